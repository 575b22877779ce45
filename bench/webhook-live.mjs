// Webhook to live (issue 17): the time from a signed GitHub push webhook to the changed service
// answering its new version, for an app of 3 process services of which one changed — beside the same
// change built and deployed by hand (`berth build DIR --env hand`, then `berth deploy DIR --env hand`).
//
// A git daemon on 127.0.0.1 serves the app's repository; the pipeline `build {env: bench}` →
// `deploy {env: bench}` fetches and checks out the pushed commit, builds (each service's build does
// real, deterministic work: it bundles 120 generated modules into one file), and deploys. A warm-up
// round first (both sides build everything once), then RUNS rounds: one commit changing service `a`,
// the webhook sent, and the edge polled every 25 ms until `a` answers the new version. The hand side
// applies the same change in its own working copy. Reports the medians and the pipeline's step times
// (from `berth pipeline status RUN -o json`).
import { execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { root, sleep, startControlPlane, waitFor } from './lib/controlPlane.mjs';
import { freePort } from './lib/ports.mjs';

const RUNS = Number(process.env.WEBHOOK_BENCH_RUNS ?? 3);
const SERVICES = ['a', 'b', 'c'];
const SECRET = 'bench-hook-secret';
const POLL_MS = 25;
const run = promisify(execFile);
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};
const git = async (args, cwd) => (await run('git', args, { cwd, env: GIT_ENV })).stdout.trim();

// The app: each service's build bundles its src/ modules into dist/ with server.mjs and version.txt.
const SERVER = `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const version = readFileSync(new URL('./version.txt', import.meta.url), 'utf8').trim();
createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : process.env.SERVICE + ' ' + version))
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;
const BUILD = `import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
const parts = [];
for (const f of readdirSync('src').sort()) {
  // "Minify": strip comments and blank lines, then hash each module (the bundle's integrity list).
  const text = readFileSync('src/' + f, 'utf8').replace(/\\/\\/.*$/gm, '').replace(/\\n\\s*\\n/g, '\\n');
  let h = text;
  for (let i = 0; i < 150; i++) h = createHash('sha256').update(h).update(text).digest('hex');
  parts.push('// ' + f + ' ' + h + '\\n' + text);
}
writeFileSync('dist/bundle.js', parts.join('\\n'));
cpSync('server.mjs', 'dist/server.mjs');
cpSync('version.txt', 'dist/version.txt');
`;
function module(service, i) {
  const lines = [];
  for (let j = 0; j < 200; j++)
    lines.push(`// ${service} module ${i} line ${j}`, `export const v${j} = ${i * 1000 + j};`);
  return lines.join('\n') + '\n';
}
function appFiles() {
  const files = {
    'berth.yaml': [
      'name: webhooklive',
      'services:',
      ...SERVICES.flatMap((s) => [
        `  ${s}:`,
        '    command: node server.mjs',
        `    cwd: ./${s}`,
        `    env: { SERVICE: ${s} }`,
        '    build: { command: node build.mjs, output: dist }',
        '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
        '    terminationGracePeriod: 2s',
      ]),
      'routes:',
      ...SERVICES.map((s) => `  - { path: /${s}, service: ${s} }`),
      '',
    ].join('\n'),
    '.gitignore': 'dist/\n',
  };
  for (const s of SERVICES) {
    files[`${s}/server.mjs`] = SERVER;
    files[`${s}/build.mjs`] = BUILD;
    files[`${s}/version.txt`] = 'v0\n';
    for (let i = 0; i < 120; i++) files[`${s}/src/m${String(i).padStart(3, '0')}.js`] = module(s, i);
  }
  return files;
}
function writeFiles(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

// The git daemon and its repository, the pipeline's source; `work` is the developer's clone that pushes.
const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-webhook-'));
const served = join(tmp, 'served');
const work = join(tmp, 'work', 'app');
const hand = join(tmp, 'hand', 'app');
mkdirSync(served);
const gitPort = await freePort();
const daemon = spawn(
  'git',
  ['daemon', '--reuseaddr', '--export-all', `--base-path=${served}`, '--listen=127.0.0.1', `--port=${gitPort}`, served],
  { stdio: 'ignore' },
);
await git(['init', '--bare', '--quiet', '--initial-branch=main', join(served, 'app.git')]);
await git(['init', '--quiet', '--initial-branch=main', work]);
await git(['remote', 'add', 'origin', join(served, 'app.git')], work);
async function commitAndPush(files, message) {
  writeFiles(work, files);
  await git(['add', '-A'], work);
  await git(['commit', '--quiet', '-m', message], work);
  await git(['push', '--quiet', 'origin', 'main:main'], work);
  return git(['rev-parse', 'HEAD'], work);
}

// The pipeline's `${PIPELINE_SECRET}` is read from the environment of the CLI and the server.
process.env.PIPELINE_SECRET = SECRET;
const cp = await startControlPlane('berth-bench-webhook-home-');
let delivery = 0;
const sample = JSON.parse(readFileSync(join(root, 'test/fixtures/webhooks/github/push.json'), 'utf8'));
async function sendPush(commit) {
  const body = Buffer.from(JSON.stringify({ ...sample, ref: 'refs/heads/main', after: commit }));
  const res = await fetch(`${cp.url}/api/v1/hooks/github/webhooklive`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': `bench-${++delivery}`,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
  });
  const answer = await res.json();
  if (res.status !== 202) throw new Error(`webhook: ${res.status} ${JSON.stringify(answer)}`);
  return Number(answer.runId);
}
async function must(args) {
  const r = await cp.cli(args);
  if (r.code !== 0) throw new Error(`berth ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}
async function timedCli(args) {
  const t0 = performance.now();
  await must(args);
  return performance.now() - t0;
}
async function edgeUrl(env) {
  const st = JSON.parse(await must(['status', 'webhooklive', '--env', env, '-o', 'json']));
  if (!st.edge?.url) throw new Error(`no edge for ${env}: ${JSON.stringify(st.edge)}`);
  return st.edge.url.replace(/\/$/, '');
}
async function answers(url, want) {
  try {
    return (await (await fetch(url)).text()) === want;
  } catch {
    return false;
  }
}
/** The run's step times in ms: queued (webhook's run created → started) and each step. */
async function finishedRun(id) {
  const r = await waitFor(
    `pipeline run ${id}`,
    async () => {
      const x = JSON.parse(await must(['pipeline', 'status', String(id), '-o', 'json']));
      return ['succeeded', 'failed', 'cancelled'].includes(x.status) ? x : undefined;
    },
    120_000,
    100,
  );
  if (r.status !== 'succeeded') throw new Error(`run ${id} ${r.status}: ${r.error} ${JSON.stringify(r.steps)}`);
  const ms = (a, b) => Date.parse(b) - Date.parse(a);
  const steps = Object.fromEntries(r.steps.map((s) => [s.spec.kind, ms(s.startedAt, s.finishedAt)]));
  return {
    queuedMs: ms(r.createdAt, r.startedAt),
    // Run started → first step started: the git fetch and checkout of the commit.
    checkoutMs: ms(r.startedAt, r.steps[0].startedAt),
    buildMs: steps.build,
    deployMs: steps.deploy,
    runMs: ms(r.createdAt, r.finishedAt),
    buildServices: r.steps[0].result?.services?.map((s) => `${s.service}:${s.status}`).join(' '),
  };
}

const results = [];
try {
  await must(['env', 'create', 'bench']);
  await must(['env', 'create', 'hand']);
  const first = await commitAndPush(appFiles(), 'app');
  await git(['clone', '--quiet', `git://127.0.0.1:${gitPort}/app.git`, hand]);
  const pipelineFile = join(tmp, 'pipeline.yaml');
  writeFileSync(
    pipelineFile,
    [
      `source: { url: "git://127.0.0.1:${gitPort}/app.git", branch: main, path: . }`,
      'webhook: { secret: "${PIPELINE_SECRET}" }',
      'steps:',
      '  - build: { env: bench }',
      '  - deploy: { env: bench }',
      '',
    ].join('\n'),
  );
  await must(['pipeline', 'set', 'webhooklive', '-f', pipelineFile]);

  // Warm-up: everything built and deployed once on both sides.
  const warm = await finishedRun(await sendPush(first));
  await must(['build', hand, '--env', 'hand']);
  await must(['deploy', hand, '--env', 'hand', '-m', 'warm-up']);
  const benchUrl = await edgeUrl('bench');
  const handUrl = await edgeUrl('hand');
  for (const [url, env] of [
    [benchUrl, 'bench'],
    [handUrl, 'hand'],
  ])
    await waitFor(`${env} to answer`, () => answers(`${url}/a`, 'a v0'), 30_000);

  for (let i = 1; i <= RUNS; i++) {
    const version = `v${i}`;
    const change = { 'a/version.txt': `${version}\n` };
    const commit = await commitAndPush(change, `a ${version}`);
    const t0 = performance.now();
    const runId = await sendPush(commit);
    while (!(await answers(`${benchUrl}/a`, `a ${version}`))) {
      if (performance.now() - t0 > 120_000) throw new Error(`bench env never answered a ${version}`);
      await sleep(POLL_MS);
    }
    const webhookToLiveMs = performance.now() - t0;
    const pipeline = await finishedRun(runId);

    writeFiles(hand, change);
    const handBuildMs = await timedCli(['build', hand, '--env', 'hand']);
    const [handBuild] = JSON.parse(
      await must(['builds', 'webhooklive', '--env', 'hand', '--limit', '1', '-o', 'json']),
    );
    const handServices = handBuild.services.map((s) => `${s.service}:${s.status}`).join(' ');
    const [benchBuild] = JSON.parse(
      await must(['builds', 'webhooklive', '--env', 'bench', '--limit', '1', '-o', 'json']),
    );
    // The build's own span in the control plane (first service's start → last end), both sides.
    const span = (b) => Date.parse(b.endedAt) - Date.parse(b.startedAt);
    pipeline.buildEngineMs = span(benchBuild);
    const handBuildEngineMs = span(handBuild);
    // Both sides do the same work: the changed service built, the two others skipped.
    for (const [side, got] of [
      ['pipeline', pipeline.buildServices],
      ['hand', handServices],
    ])
      if (got !== 'a:built b:skipped c:skipped') throw new Error(`${side} build did other work: ${got}`);
    const handDeployMs = await timedCli(['deploy', hand, '--env', 'hand', '-m', `hand ${version}`]);
    if (!(await answers(`${handUrl}/a`, `a ${version}`))) throw new Error(`hand env does not answer a ${version}`);
    results.push({
      webhookToLiveMs,
      handBuildMs,
      handBuildEngineMs,
      handDeployMs,
      handTotalMs: handBuildMs + handDeployMs,
      pipeline,
    });
    console.log(
      `round ${i}: webhook → live ${Math.round(webhookToLiveMs)} ms (pipeline ${JSON.stringify(pipeline)}); by hand build ${Math.round(handBuildMs)} (engine ${handBuildEngineMs}) + deploy ${Math.round(handDeployMs)} ms`,
    );
  }
  results.warm = warm;
  // Floors that explain the figures: the build command alone (one service), and the CLI's own start.
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    await run(process.execPath, ['build.mjs'], { cwd: join(hand, 'a') });
    const buildCommandMs = performance.now() - t0;
    t0 = performance.now();
    await must(['--version']);
    results.floors = [...(results.floors ?? []), { buildCommandMs, cliStartMs: performance.now() - t0 }];
  }
} finally {
  await cp.teardown();
  daemon.kill('SIGTERM');
  if (!process.env.KEEP) rmSync(tmp, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (f) => Math.round(median(results.map(f)));
const report = {
  benchmark: 'webhook-live',
  services: SERVICES.length,
  changed: 1,
  runs: RUNS,
  webhookToLiveMs: med((r) => r.webhookToLiveMs),
  handBuildMs: med((r) => r.handBuildMs),
  handBuildEngineMs: med((r) => r.handBuildEngineMs),
  handDeployMs: med((r) => r.handDeployMs),
  handTotalMs: med((r) => r.handTotalMs),
  ratio: 0,
  pipeline: {
    queuedMs: med((r) => r.pipeline.queuedMs),
    checkoutMs: med((r) => r.pipeline.checkoutMs),
    buildMs: med((r) => r.pipeline.buildMs),
    buildEngineMs: med((r) => r.pipeline.buildEngineMs),
    deployMs: med((r) => r.pipeline.deployMs),
    runMs: med((r) => r.pipeline.runMs),
  },
  buildCommandMs: Math.round(median(results.floors.map((f) => f.buildCommandMs))),
  cliStartMs: Math.round(median(results.floors.map((f) => f.cliStartMs))),
  warmUpPipeline: results.warm,
  rounds: results.map((r) => ({
    webhookToLiveMs: Math.round(r.webhookToLiveMs),
    handBuildMs: Math.round(r.handBuildMs),
    handBuildEngineMs: r.handBuildEngineMs,
    handDeployMs: Math.round(r.handDeployMs),
    pipeline: r.pipeline,
  })),
};
report.ratio = +(report.webhookToLiveMs / report.handTotalMs).toFixed(2);
console.log(
  `3 process services, one changed; median of ${RUNS}: webhook → live ${report.webhookToLiveMs} ms; by hand ${report.handTotalMs} ms (build ${report.handBuildMs} + deploy ${report.handDeployMs}) → ${report.ratio}×`,
);
console.log(`pipeline steps (median): ${JSON.stringify(report.pipeline)}`);
console.log(
  `the build command alone (one service): ${report.buildCommandMs} ms; the CLI's start: ${report.cliStartMs} ms`,
);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/webhook-live.json'), `${JSON.stringify(report, null, 2)}\n`);
