// Render speed: a generated app of 200 services (config files, secrets, probes, resources,
// autoscaling, stateful and per-node services, jobs, routes). Measured as whole processes, on the
// same machine in the same run, interleaved:
//   - `berth render -o yaml` (bin/berth.js, what a user runs) against a running control plane (CLI
//     start to exit): with a berth.yaml the control plane rendered before (its render cache), with a
//     new text of the same spec (a new comment: parsed again, the render found by the spec's meaning),
//     with an edited one (one service's image tag changed: parsed and every service rendered again),
//     after a config change (a new config version used by every service, the same berth.yaml), after
//     a config change that one service reads (the other 199 differ only in their config version), and
//     after an edit and a config change at once (nothing an earlier render made can be reused), and
//     as the first render of a control plane just started (restarted before each run, off the clock;
//     once its background warm-up of the render path is over, and once started without it; a control
//     plane of its own, FIRST_APART below, so the other rows' control plane is never restarted),
//   - `berth render --offline -o yaml` (no control plane: rendered and validated in a Node process
//     started from the render's V8 startup snapshot: by the berth command, bin/berth, as its only
//     process; by `node bin/berth.js` as a second process before the CLI loads), the same through the
//     CLI (`berth -o yaml render --offline`: commander and the CLI bundle first), and without the
//     snapshot (BERTH_RENDER_SNAPSHOT=0: in the CLI's process, from the code-cached bundle),
//   - `helm template` of the chart `berth export --format helm` wrote for the same app,
//   - `berth --version`: the CLI's own start (Node, the bundled CLI, commander), no request,
//   - `node -e 0`: Node's own start on this machine, the floor under every Berth figure.
// Each is run RUNS times; the median is reported with the ratio helm / berth.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli/main.js');
const bin = join(root, 'bin/berth.js');
const SERVICES = Number(process.env.SERVICES ?? 200);
const RUNS = Number(process.env.RUNS ?? 10);
const { helmBinary } = await import(join(root, 'test/support/helmBinary.mjs'));
const helm = await helmBinary();

const app = mkdtempSync(join(tmpdir(), 'berth-bench-render-'));
const home = mkdtempSync(join(tmpdir(), 'berth-bench-home-'));
const lines = [
  'name: big',
  'variables:',
  '  LOG_LEVEL: info',
  '  REGION: eu-west',
  '  TAG: "2.3.1"',
  '  DB_PASSWORD: { secret: true, default: bench-only }',
  // Read by svc-000 only: a config change of it changes one service of 200 (the berthConfigOne row).
  '  FEATURE: "off"',
  'services:',
];
for (let i = 0; i < SERVICES; i++) {
  const name = `svc-${String(i).padStart(3, '0')}`;
  const next = `svc-${String((i + 1) % SERVICES).padStart(3, '0')}`;
  lines.push(`  ${name}:`, `    image: registry.example/big/${name}:\${TAG}`);
  if (i % 50 === 7) lines.push('    kind: job');
  else {
    lines.push(`    ports: [8080]`, `    replicas: ${1 + (i % 3)}`);
    lines.push(
      '    health:',
      '      readiness: { http: { path: /healthz }, period: 2s }',
      '      liveness: { tcp: {} }',
    );
    if (i % 20 === 3) lines.push('    stateful: true');
    else if (i % 40 === 9) lines.push('    placement: perNode');
    else if (i % 10 === 5) lines.push('    autoscale: { min: 2, max: 8, cpu: 70% }');
  }
  lines.push('    resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 512Mi } }');
  lines.push(
    '    env:',
    '      LOG_LEVEL: ${LOG_LEVEL}',
    `      UPSTREAM: "\${${next.toUpperCase().replaceAll('-', '_')}_URL:-none}/api"`,
  );
  if (i % 4 === 0) lines.push('      DB_URL: postgres://app:${DB_PASSWORD}@db:5432/big');
  if (i === 0) lines.push('      FEATURE: ${FEATURE}');
  lines.push('    files:', `      - { path: app.conf, content: "region=\${REGION}\\nname=${name}\\n" }`);
}
lines.push('routes:');
for (let i = 0; i < 10 && i * 10 < SERVICES; i++)
  lines.push(`  - { path: /s${i}, service: svc-${String(i * 10).padStart(3, '0')} }`);
writeFileSync(join(app, 'berth.yaml'), `${lines.join('\n')}\n`);
if (process.env.SPEC_ONLY) {
  // Only the generated berth.yaml (for profiling): its folder stays, the data directory goes.
  rmSync(home, { recursive: true, force: true });
  console.log(join(app, 'berth.yaml'));
  process.exit(0);
}

const env = { ...process.env, BERTH_HOME: home, NO_COLOR: '1' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A control plane on the data directory `dataDir`, started and stopped on demand. */
const controlPlane = (dataDir) => {
  let server;
  let url;
  let token;
  return {
    dataDir,
    /**
     * Starts it and waits until it answers its health check, and (unless BERTH_RENDER_WARMUP=0 is in
     * `serverEnv`) until GET /api/v1/info says its background warm-up of the render path
     * (src/server/renderWarmup.ts) is over: "the first render after start" is the first one after that,
     * ~0.2 s (idle) after the health check.
     */
    async start(serverEnv = {}) {
      rmSync(join(dataDir, 'server.json'), { force: true });
      server = spawn(process.execPath, [cli, 'server', '--port', '0', '--quiet'], {
        env: { ...env, BERTH_HOME: dataDir, ...serverEnv },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      server.stderr.on('data', (d) => (stderr += d));
      const healthy = (u) =>
        fetch(`${u}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      // A server that exits (or never answers, 60 s) stops the benchmark with its own words.
      for (let i = 0; ; i++) {
        if (server.exitCode !== null || i === 3000) throw new Error(`the control plane did not start: ${stderr}`);
        if (existsSync(join(dataDir, 'server.json'))) {
          ({ url } = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')));
          if (await healthy(url)) break;
        }
        await sleep(20);
      }
      token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
      const warmupOf = () =>
        fetch(`${url}/api/v1/info`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json());
      for (let i = 0; (await warmupOf()).renderWarmup === 'running'; i++) {
        if (i === 3000) throw new Error('the control plane did not end its render warm-up in 60 s');
        await sleep(20);
      }
    },
    /** Stops it (and its gateway) and waits for its exit; nothing when it is not running. */
    async stop() {
      if (!server || server.exitCode !== null) return;
      const exited = new Promise((r) => server.once('exit', r));
      await fetch(`${url}/api/v1/shutdown`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"stopGateway":true}',
      }).catch(() => {});
      const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
};
// The control plane of the warm rows (cached, new text, edits, config changes) runs for the whole
// benchmark, as a control plane does. The rows "first render after start" restart one of their own
// (its own data directory: the same berth.yaml, default config values) before each run, so the warm
// rows are not measured against a process just restarted, its code not yet optimized (and, before
// session 20, started without its warm-up by the row before). FIRST_APART=0: the old way, the first
// rows restarting the warm rows' control plane.
const shared = controlPlane(home);
const firstApart = process.env.FIRST_APART !== '0';
const restarted = firstApart ? controlPlane(mkdtempSync(join(tmpdir(), 'berth-bench-home-first-'))) : shared;
await shared.start();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const time = (cmd, args, extraEnv) => {
  const t0 = performance.now();
  const out = execFileSync(cmd, args, { env: { ...env, ...extraEnv }, maxBuffer: 512 * 1024 * 1024 });
  return { ms: performance.now() - t0, bytes: out.length, text: out.toString() };
};
const docs = (text) => text.split(/^---$/m).filter((d) => /\bkind:/.test(d)).length;

const chart = join(app, 'chart');
mkdirSync(chart);
try {
  execFileSync(process.execPath, [cli, 'export', chart, '--format', 'helm', '-f', app], { env, stdio: 'ignore' });
  const specText = readFileSync(join(app, 'berth.yaml'), 'utf8');
  let fresh = 0;
  let edit = 0;
  let level = 0;
  /** The same berth.yaml, and a new config version that sets `name` to a new value. */
  const configChange = (name, prefix) => {
    writeFileSync(join(app, 'berth.yaml'), specText);
    execFileSync(process.execPath, [cli, 'config', 'set', `${name}=${prefix}${level++}`, '--app', 'big'], {
      env,
      stdio: 'ignore',
    });
  };
  /** A render of the benchmark's berth.yaml by a control plane restarted (off the clock) with `serverEnv`. */
  const firstAfterStart = (serverEnv) => [
    process.execPath,
    [bin, 'render', app, '-o', 'yaml'],
    async () => {
      writeFileSync(join(app, 'berth.yaml'), specText);
      await restarted.stop();
      await restarted.start(serverEnv);
    },
    { BERTH_HOME: restarted.dataDir },
  ];
  const commands = {
    // A new text each run (a comment), the same spec: the control plane parses it again.
    berthCold: [
      process.execPath,
      [bin, 'render', app, '-o', 'yaml'],
      () => writeFileSync(join(app, 'berth.yaml'), `${specText}# run ${fresh++}\n`),
    ],
    // An edit each run (a new image tag for svc-000): parsed, and the release rendered again.
    berthEdit: [
      process.execPath,
      [bin, 'render', app, '-o', 'yaml'],
      () =>
        writeFileSync(
          join(app, 'berth.yaml'),
          specText.replace('svc-000:${TAG}', () => `svc-000:edit-${edit++}`),
        ),
    ],
    // A new config version each run (LOG_LEVEL, used by every service), the same berth.yaml.
    berthConfig: [process.execPath, [bin, 'render', app, '-o', 'yaml'], () => configChange('LOG_LEVEL', 'level')],
    // A new config version each run that changes one service (FEATURE, read by svc-000 only): the
    // other 199 render as before but for the config version they are annotated with.
    berthConfigOne: [process.execPath, [bin, 'render', app, '-o', 'yaml'], () => configChange('FEATURE', 'f')],
    // An edit and a new config version at once: nothing rendered before can be reused, and the render
    // kept warm after the write (of the previous text) is not this one: the worst case.
    berthEditConfig: [
      process.execPath,
      [bin, 'render', app, '-o', 'yaml'],
      () => {
        writeFileSync(
          join(app, 'berth.yaml'),
          specText.replace('svc-000:${TAG}', () => `svc-000:both-${edit++}`),
        );
        execFileSync(process.execPath, [cli, 'config', 'set', `LOG_LEVEL=level${level++}`, '--app', 'big'], {
          env,
          stdio: 'ignore',
        });
      },
    ],
    // The first render after the control plane started (its render cache and memos empty, its code
    // as warm as its start-up and background warm-up left it): the server is restarted before each
    // run, off the clock.
    berthFirst: firstAfterStart(),
    // The same, from a control plane started without its background warm-up of the render path.
    berthFirstNoWarmup: firstAfterStart({ BERTH_RENDER_WARMUP: '0' }),
    // The same berth.yaml again: the control plane answers from its render cache.
    berth: [
      process.execPath,
      [bin, 'render', app, '-o', 'yaml'],
      () => writeFileSync(join(app, 'berth.yaml'), specText),
    ],
    // The berth command (bin/berth, package.json's bin: a shell script) starts the snapshot as its
    // only process; bin/berth.js run by node starts it as a second process (session 17's way).
    berthOffline: [join(root, 'bin/berth'), ['render', app, '--offline', '-o', 'yaml']],
    berthOfflineJs: [process.execPath, [bin, 'render', app, '--offline', '-o', 'yaml']],
    // The same through the CLI (commander and the CLI bundle load first): a global option before the
    // command is not read by bin/berth.js's own start of the snapshot (src/cli/renderFast.ts).
    berthOfflineCli: [process.execPath, [bin, '-o', 'yaml', 'render', app, '--offline']],
    berthOfflineBundle: [
      process.execPath,
      [bin, 'render', app, '--offline', '-o', 'yaml'],
      undefined,
      { BERTH_RENDER_SNAPSHOT: '0' },
    ],
    helm: [helm, ['template', 'big', chart, '--namespace', 'local', '--set', 'secrets.DB_PASSWORD=bench-only']],
    berthVersion: [process.execPath, [bin, '--version']],
    node: [process.execPath, ['-e', '0']],
  };
  // Warm-up (file cache, the server's first render), and the object counts.
  const objects = {};
  for (const [k, [cmd, args, before, extraEnv]] of Object.entries(commands)) {
    await before?.();
    objects[k] = docs(time(cmd, args, extraEnv).text);
  }
  const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let r = 0; r < RUNS; r++)
    for (const [k, [cmd, args, before, extraEnv]] of Object.entries(commands)) {
      await before?.();
      if (k === 'berth') time(cmd, args); // the cached render of this exact file
      samples[k].push(time(cmd, args, extraEnv).ms);
    }
  const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))]));
  const result = {
    services: SERVICES,
    runs: RUNS,
    objects,
    medianMs: med,
    helmOverBerth: +(med.helm / med.berth).toFixed(1),
    helmOverBerthCold: +(med.helm / med.berthCold).toFixed(1),
    helmOverBerthEdit: +(med.helm / med.berthEdit).toFixed(1),
    helmOverBerthConfig: +(med.helm / med.berthConfig).toFixed(1),
    helmOverBerthConfigOne: +(med.helm / med.berthConfigOne).toFixed(1),
    helmOverBerthEditConfig: +(med.helm / med.berthEditConfig).toFixed(1),
    helmOverBerthFirst: +(med.helm / med.berthFirst).toFixed(1),
    helmOverBerthFirstNoWarmup: +(med.helm / med.berthFirstNoWarmup).toFixed(1),
    helmOverBerthOffline: +(med.helm / med.berthOffline).toFixed(1),
    helmOverBerthOfflineJs: +(med.helm / med.berthOfflineJs).toFixed(1),
    helmOverBerthOfflineBundle: +(med.helm / med.berthOfflineBundle).toFixed(1),
    helmOverBerthOfflineCli: +(med.helm / med.berthOfflineCli).toFixed(1),
    samplesMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map(Math.round)])),
    // NODE_EXTRA_CA_CERTS makes every Node process read a CA bundle at start (~60 ms here).
    machine: {
      cpus: (await import('node:os')).cpus().length,
      node: process.version,
      loadAverage: (await import('node:os')).loadavg().map((l) => +l.toFixed(1)),
      nodeExtraCaCerts: Boolean(process.env.NODE_EXTRA_CA_CERTS),
    },
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/render.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`render of ${SERVICES} services (${objects.berth} objects), median of ${RUNS} whole-process runs:`);
  console.log(`  berth render (control plane, cached render)  ${med.berth} ms`);
  console.log(`  berth render (control plane, new text, same spec)  ${med.berthCold} ms`);
  console.log(`  berth render (control plane, edited berth.yaml)   ${med.berthEdit} ms`);
  console.log(`  berth render (control plane, config change)  ${med.berthConfig} ms`);
  console.log(`  berth render (control plane, config change of one service)  ${med.berthConfigOne} ms`);
  console.log(`  berth render (control plane, edit + config change)  ${med.berthEditConfig} ms`);
  console.log(`  berth render (control plane, first render after start and warm-up)  ${med.berthFirst} ms`);
  console.log(`  berth render (control plane, first render after start, no warm-up)  ${med.berthFirstNoWarmup} ms`);
  console.log(
    `  berth render --offline (the berth command: one process from the startup snapshot)  ${med.berthOffline} ms`,
  );
  console.log(
    `  berth render --offline (node bin/berth.js: a second process from the snapshot)  ${med.berthOfflineJs} ms`,
  );
  console.log(`  berth render --offline (startup snapshot, through the CLI)  ${med.berthOfflineCli} ms`);
  console.log(`  berth render --offline (no snapshot: code-cached bundle)  ${med.berthOfflineBundle} ms`);
  console.log(`  helm template (exported chart) ${med.helm} ms  (${objects.helm} objects)`);
  console.log(`  berth --version (CLI start)    ${med.berthVersion} ms`);
  console.log(`  node -e 0 (Node's own start)   ${med.node} ms`);
  console.log(
    `  (Node ${process.version}, NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'}, load average ${result.machine.loadAverage.join(' ')})`,
  );
  console.log(
    `  helm / berth: ${result.helmOverBerth}x (cached), ${result.helmOverBerthCold}x (new text), ${result.helmOverBerthEdit}x (edit), ${result.helmOverBerthConfig}x (config change), ${result.helmOverBerthConfigOne}x (config change of one service), ${result.helmOverBerthEditConfig}x (edit + config), ${result.helmOverBerthFirst}x (first after start), ${result.helmOverBerthFirstNoWarmup}x (first after start, no warm-up), ${result.helmOverBerthOffline}x (offline), ${result.helmOverBerthOfflineJs}x (offline by node bin/berth.js), ${result.helmOverBerthOfflineCli}x (offline through the CLI), ${result.helmOverBerthOfflineBundle}x (offline, no snapshot)`,
  );
} finally {
  await restarted.stop();
  await shared.stop();
  if (!process.env.KEEP) rmSync(app, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
  rmSync(restarted.dataDir, { recursive: true, force: true });
}
