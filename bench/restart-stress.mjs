// The control plane SIGKILLed 100 times: while idle and in the middle of deploys, alternating.
// Replicas run under detached shims and the gateway is its own process, so a dead control plane
// must not touch the services: after every restart the replicas are re-adopted (pid + start
// time), nothing is started twice, nothing is left behind, and every release ends. A keep-alive
// request loop runs through the edge and the service address the whole time.
//
// Usage: node bench/restart-stress.mjs [kills=100]   (needs `npm run build`)
// Prints a summary and writes bench/results/restart-stress.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELLO, processesOf, requestLoop, root, sleep, startControlPlane } from './lib/controlPlane.mjs';

const KILLS = Number(process.argv[2] ?? 100);
const APP = 'stress';
const DESIRED = { backend: 1, web: 3 };
const SETTLE_TIMEOUT_MS = 30_000;

const appDir = mkdtempSync(join(tmpdir(), 'berth-stress-app-'));
writeFileSync(
  join(appDir, 'berth.yaml'),
  `name: ${APP}
variables:
  VERSION: { default: "0" }
services:
  backend:
    command: [node, ${JSON.stringify(HELLO)}]
    replicas: ${DESIRED.backend}
    env: { VERSION: "\${VERSION}" }
    health: { readiness: { http: { path: /healthz }, period: 1s } }
    terminationGracePeriod: 5s
  web:
    command: [node, ${JSON.stringify(HELLO)}]
    replicas: ${DESIRED.web}
    dependsOn: [backend]
    env: { VERSION: "\${VERSION}", READY_AFTER_MS: "200", ON_SIGTERM: drain }
    health: { readiness: { http: { path: /healthz }, period: 1s } }
    terminationGracePeriod: 5s
routes:
  - { path: /, service: web }
`,
);

/** The replicas' command processes (not shims, not the gateway). */
// A native shim's command line holds the command it runs: it is not one of them.
const appProcesses = (home) =>
  processesOf(home).filter((p) => p.cmd.includes(HELLO) && !p.cmd.includes('/native/berth-shim '));

/**
 * Waits until the app looks exactly as desired: every service ready/desired/listed equal, one hash,
 * and the replica processes are exactly the pids the status lists. Returns what it found last.
 */
async function settle(cp) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let last;
  for (;;) {
    const st = await cp.status(APP);
    const pids = new Set(st.services.flatMap((s) => s.replicas.map((r) => r.pid).filter(Boolean)));
    const procs = appProcesses(cp.home);
    const extra = st.services.reduce((n, s) => n + Math.max(0, s.replicas.length - (DESIRED[s.service] ?? 0)), 0);
    const orphans = procs.filter((p) => !pids.has(p.pid)).length;
    const exact = Object.entries(DESIRED).every(([name, n]) => {
      const s = st.services.find((x) => x.service === name);
      return (
        s &&
        s.desiredReplicas === n &&
        s.readyReplicas === n &&
        s.replicas.length === n &&
        s.replicas.every((r) => r.hash === s.hash)
      );
    });
    last = { exact: exact && orphans === 0 && procs.length === pids.size, extra, orphans, processes: procs.length };
    if (last.exact || Date.now() > deadline) return last;
    await sleep(100);
  }
}

async function allReleasesFinished(cp) {
  const apps = await cp.api('GET', '/api/v1/apps');
  return apps.every((a) => a.lastRelease.status === 'succeeded' || a.lastRelease.status === 'failed');
}

const cp = await startControlPlane('berth-stress-');
const summary = {
  kills: 0,
  idleKills: 0,
  deployKills: 0,
  releasesSucceeded: 0,
  releasesFailed: 0,
  releasesUnfinished: 0,
  maxRestartMs: 0,
  maxFinishAfterRestartMs: 0,
  maxSettleAfterRestartMs: 0,
  duplicatesFound: 0,
  orphansFound: 0,
  notExact: 0,
  requestsIdle: 0,
  failedRequestsIdle: 0,
  requestsDuringDeploys: 0,
  failedRequestsDuringDeploys: 0,
  failureReasons: {},
};
let loop;
try {
  const first = await cp.deploy(appDir);
  const r1 = await cp.waitRelease(APP, first.revision);
  if (r1.status !== 'succeeded') throw new Error(`first deploy failed: ${r1.reason}`);
  const st = await cp.status(APP);
  loop = requestLoop([st.edge.url, st.services.find((s) => s.service === 'web').address.url], { connections: 4 });
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

  for (let i = 1; i <= KILLS; i++) {
    const idle = i % 2 === 1;
    const before = { ...loop.stats };
    let revision;
    if (!idle) {
      await cp.setConfig(APP, { VERSION: i });
      revision = (await cp.deploy(appDir)).revision;
      // A deploy here takes about 2 s: kill anywhere from its start to just past its end.
      await sleep(Math.round(rand() * 2500));
    }
    await cp.kill('SIGKILL');
    const t0 = Date.now();
    await cp.start();
    const upMs = Date.now() - t0;
    summary.maxRestartMs = Math.max(summary.maxRestartMs, upMs);
    summary.kills++;
    if (idle) summary.idleKills++;
    else {
      summary.deployKills++;
      const r = await cp.waitRelease(APP, revision).catch(() => undefined);
      summary.maxFinishAfterRestartMs = Math.max(summary.maxFinishAfterRestartMs, Date.now() - t0);
      if (!r) summary.releasesUnfinished++;
      else if (r.status === 'succeeded') summary.releasesSucceeded++;
      else summary.releasesFailed++;
    }
    // An auto-rollback may follow a failed release: wait for it too.
    for (let w = 0; w < 600 && !(await allReleasesFinished(cp)); w++) await sleep(100);
    const s = await settle(cp);
    summary.maxSettleAfterRestartMs = Math.max(summary.maxSettleAfterRestartMs, Date.now() - t0);
    summary.duplicatesFound += s.extra;
    summary.orphansFound += s.orphans;
    if (!s.exact) summary.notExact++;
    const ok = loop.stats.ok - before.ok;
    const failed = loop.stats.failed - before.failed;
    if (idle) {
      summary.requestsIdle += ok + failed;
      summary.failedRequestsIdle += failed;
    } else {
      summary.requestsDuringDeploys += ok + failed;
      summary.failedRequestsDuringDeploys += failed;
    }
    process.stdout.write(
      `kill ${i} (${idle ? 'idle' : `deploy r${revision}`}): ${s.exact ? 'exact' : `NOT EXACT ${JSON.stringify(s)}`}, ` +
        `${ok + failed} requests, ${failed} failed, up in ${upMs} ms, settled in ${Date.now() - t0} ms\n`,
    );
  }
} finally {
  if (loop) summary.failureReasons = (await loop.stop()).reasons;
  await cp.teardown();
  rmSync(appDir, { recursive: true, force: true });
}

console.log('\nrestart-stress summary');
console.table({
  kills: `${summary.kills} (${summary.idleKills} idle, ${summary.deployKills} during a deploy)`,
  releases: `${summary.releasesSucceeded} succeeded, ${summary.releasesFailed} failed, ${summary.releasesUnfinished} unfinished`,
  'control plane up again (max)': `${summary.maxRestartMs} ms`,
  'release finished after restart (max)': `${summary.maxFinishAfterRestartMs} ms`,
  'exact state after restart (max)': `${summary.maxSettleAfterRestartMs} ms`,
  'duplicates found': summary.duplicatesFound,
  'orphans found': summary.orphansFound,
  'checks not exact': summary.notExact,
  'failed requests while idle': `${summary.failedRequestsIdle} of ${summary.requestsIdle}`,
  'failed requests during deploys': `${summary.failedRequestsDuringDeploys} of ${summary.requestsDuringDeploys}`,
});
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/restart-stress.json'),
  `${JSON.stringify({ at: new Date().toISOString(), ...summary }, null, 2)}\n`,
);
const bad =
  summary.duplicatesFound +
  summary.orphansFound +
  summary.notExact +
  summary.releasesUnfinished +
  summary.failedRequestsIdle;
process.exit(bad > 0 ? 1 : 0);
