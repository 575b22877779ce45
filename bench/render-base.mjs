// Whole `berth render` processes against a warm control plane, this checkout beside another built one
// (BASE=<checkout>), interleaved run by run so both share the machine's load: each checkout's own
// bin/berth.js against its own control plane (a data directory each), for render.mjs's generated app.
// Rows: a cached render (the same render twice, the second timed), a config change every service
// reads (LOG_LEVEL, a new config version each run), an edited berth.yaml (one service's image tag, a
// new one each run), both at once, and `berth render --offline` as the checkout's `berth` command
// runs it (bin/berth where there is one, else node bin/berth.js: before session 18).
// Without BASE only this checkout is measured.
// Knobs: RUNS (default 9), SERVICES (render.mjs's), BASE.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { root, generatedSpec, sleep, loadLine } from './renderApp.mjs';

const RUNS = Number(process.env.RUNS ?? 9);
const file = generatedSpec();
const app = dirname(file);
const text = readFileSync(file, 'utf8');
/** The app's berth.yaml with svc-000's image tag set to `tag` (an edit of one service of 200). */
const edited = (tag) => text.replace('svc-000:${TAG}', () => `svc-000:${tag}`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A control plane of the checkout at `dir` on a data directory of its own, and its CLI. */
async function controlPlane(dir) {
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-render-base-'));
  const env = { ...process.env, BERTH_HOME: home, NO_COLOR: '1' };
  const cli = join(dir, 'dist/cli/main.js');
  const child = spawn(process.execPath, [cli, 'server', '--port', '0', '--quiet'], { env, stdio: 'ignore' });
  for (let i = 0; !existsSync(join(home, 'server.json')); i++) {
    if (child.exitCode !== null || i === 3000) throw new Error(`the control plane of ${dir} did not start`);
    await sleep(20);
  }
  const berth = (args, command = [process.execPath, join(dir, 'bin/berth.js')]) => {
    const t0 = performance.now();
    const r = spawnSync(command[0], [...command.slice(1), ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1e8,
    });
    if (r.status !== 0) throw new Error(`berth ${args.join(' ')} failed in ${dir}: ${r.stderr}`);
    return performance.now() - t0;
  };
  return {
    dir,
    times: { cached: [], every: [], edited: [], both: [], offline: [] },
    render: () => berth(['render', app, '-o', 'yaml']),
    // The package's bin: a shell script since session 18 (one process for --offline).
    offline: () =>
      berth(
        ['render', app, '--offline', '-o', 'yaml'],
        existsSync(join(dir, 'bin/berth')) ? [join(dir, 'bin/berth')] : undefined,
      ),
    set: (kv) => execFileSync(process.execPath, [cli, 'config', 'set', kv, '--app', 'big'], { env, stdio: 'ignore' }),
    async stop() {
      try {
        execFileSync(process.execPath, [cli, 'server', 'stop'], { env, stdio: 'ignore' });
      } catch {
        // stopped below
      }
      for (let i = 0; child.exitCode === null && i < 250; i++) await sleep(20);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    },
  };
}

const planes = [await controlPlane(root)];
try {
  if (process.env.BASE) planes.push(await controlPlane(process.env.BASE));
  // The first render after a start (and its warm-up) is render.mjs's row, not this one's.
  await sleep(3000);
  for (const cp of planes) cp.render();
  for (let r = 0; r < RUNS; r++)
    for (const cp of planes) {
      cp.render();
      cp.times.cached.push(cp.render());
      cp.set(`LOG_LEVEL=run${r}`);
      cp.times.every.push(cp.render());
      writeFileSync(file, edited(`edit-${r}`));
      cp.times.edited.push(cp.render());
      cp.set(`LOG_LEVEL=both${r}`);
      writeFileSync(file, edited(`both-${r}`));
      cp.times.both.push(cp.render());
      writeFileSync(file, text);
      cp.times.offline.push(cp.offline());
    }
  const cols = planes.map((cp) => (cp.dir === root ? 'this checkout' : cp.dir));
  console.log(`whole berth render processes (median of ${RUNS}, interleaved), 200-service app, YAML:`);
  console.log(`  ${'mode'.padEnd(36)}${cols.map((c) => c.padStart(18)).join('')}`);
  for (const [m, label] of [
    ['cached', 'cached render'],
    ['every', 'config change every service reads'],
    ['edited', 'edited berth.yaml'],
    ['both', 'edit + config change'],
    ['offline', 'render --offline (the berth command)'],
  ])
    console.log(
      `  ${label.padEnd(36)}${planes.map((cp) => `${median(cp.times[m]).toFixed(0)} ms`.padStart(18)).join('')}`,
    );
  console.log(loadLine());
} finally {
  for (const cp of planes) await cp.stop();
  rmSync(app, { recursive: true, force: true });
}
