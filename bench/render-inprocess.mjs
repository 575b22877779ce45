// The control plane's warm render path in one process, without HTTP, the store or the CLI: the
// generated 200-service app (render.mjs's) rendered through the release memo and the manifest memo as
// the control plane's render route calls them (an incremental spec parser, a ServiceRenderMemo, a
// ManifestMemo), RENDERS times per mode after a first render, in a process of its own per checkout
// and mode. With BASE=<another built checkout> the two alternate process by process, ROUNDS times, so
// both share the machine's load. Each process reports the median and the minimum of its renders' CPU
// (process.cpuUsage: its main thread and V8's helper threads) and wall time; the table gives the
// median over the rounds of each. On a loaded machine the minimum moves least.
// Modes: a config change every service reads (LOG_LEVEL), an edit of one service (its image tag),
// both at once, a config change one service reads (FEATURE). Knobs: RENDERS (40), ROUNDS (3), BASE,
// MODES (words picking the modes whose names contain one), SERVICES (render.mjs's).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root, generatedSpec, loadLine } from './renderApp.mjs';

const modes = {
  'config change every service reads': 'every',
  'edited berth.yaml': 'edit',
  'edit + config change': 'both',
  'config change one service reads': 'one',
};

/** One process: renders `file` through `dir`'s dist in `mode`, prints its figures as JSON. */
async function child(dir, mode, file, renders) {
  const d = (p) => import(join(dir, 'dist', p));
  const { SpecParser } = await d('spec/specParser.js');
  const { kubernetesRelease } = await d('export/kubernetesRelease.js');
  const { ServiceRenderMemo } = await d('release/serviceMemo.js');
  const { ManifestMemo } = await d('runtime/kubernetes/manifests/manifestMemo.js');
  const text = readFileSync(file, 'utf8');
  const parser = new SpecParser();
  const services = new ServiceRenderMemo();
  const manifests = new ManifestMemo();
  const digestSecret = (s) => createHmac('sha256', 'bench').update(s).digest('hex');
  const render = (loaded, values, version) => {
    const { manifest } = kubernetesRelease({
      loaded,
      environment: { name: 'local', defaults: {} },
      config: {
        version,
        values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, secret: false }])),
        files: {},
      },
      revision: 0,
      digestSecret,
      memo: services,
      options: { namespace: 'big-local', secrets: 'masked' },
    });
    return manifests.render(manifest).documents.join('---\n').length;
  };
  render(parser.parse(text, file), {}, 1);
  const wall = [];
  const cpu = [];
  for (let i = 0; i < renders; i++) {
    const edit = mode === 'edit' || mode === 'both';
    // The spec is parsed before the clock starts: the control plane's parse of an edit is src/spec's.
    const loaded = parser.parse(edit ? text.replace('svc-000:${TAG}', () => `svc-000:e${i}`) : text, file);
    const values =
      mode === 'every' || mode === 'both' ? { LOG_LEVEL: `l${i}` } : mode === 'one' ? { FEATURE: `f${i}` } : {};
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    render(loaded, values, i + 2);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(JSON.stringify({ cpu: med(cpu), cpuMin: Math.min(...cpu), wall: med(wall), wallMin: Math.min(...wall) }));
}

if (process.argv[2] === '--child') {
  const [, , , dir, mode, file, renders] = process.argv;
  await child(dir, mode, file, Number(renders));
} else {
  const RENDERS = Number(process.env.RENDERS ?? 40);
  const ROUNDS = Number(process.env.ROUNDS ?? 3);
  const words = process.env.MODES?.split(',').map((w) => w.trim());
  const picked = Object.entries(modes).filter(([m]) => words === undefined || words.some((w) => m.includes(w)));
  const dirs = [root, ...(process.env.BASE ? [process.env.BASE] : [])];
  const file = generatedSpec();
  const self = fileURLToPath(import.meta.url);
  const got = dirs.map(() => Object.fromEntries(picked.map(([m]) => [m, []])));
  try {
    for (let r = 0; r < ROUNDS; r++)
      for (const [m, mode] of picked)
        for (const [i, dir] of dirs.entries())
          got[i][m].push(
            JSON.parse(execFileSync(process.execPath, [self, '--child', dir, mode, file, String(RENDERS)]).toString()),
          );
    const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const cols = dirs.map((d) => (d === root ? 'this checkout' : d));
    console.log(
      `warm render path in one process (no HTTP), ${RENDERS} renders x ${ROUNDS} processes per mode, ms per render:`,
    );
    console.log(`  ${'mode'.padEnd(36)}${cols.map((c) => `${c} cpu med/min, wall med`.padStart(36)).join('')}`);
    for (const [m] of picked)
      console.log(
        `  ${m.padEnd(36)}${got
          .map((g) => {
            const s = g[m];
            const f = (k) => med(s.map((x) => x[k])).toFixed(1);
            return `${f('cpu')} / ${f('cpuMin')}, ${f('wall')}`.padStart(36);
          })
          .join('')}`,
      );
    if (dirs.length === 2)
      for (const [m] of picked) {
        const ratio = (k) => (med(got[0][m].map((x) => x[k])) / med(got[1][m].map((x) => x[k]))).toFixed(2);
        console.log(
          `  ${m.padEnd(36)} this ÷ base: cpu ${ratio('cpu')}, cpu min ${ratio('cpuMin')}, wall ${ratio('wall')}`,
        );
      }
    console.log(loadLine());
  } finally {
    rmSync(dirname(file), { recursive: true, force: true });
  }
}
