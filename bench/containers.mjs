// Containers on one machine: the time from `berth deploy` to every replica ready, for 1 and 10
// container replicas, beside `podman run` of the same containers directly (then polling each
// published port until it answers, as Berth's readiness probe does); and what Berth adds in memory
// per container replica (the control plane's RSS with 10 replicas running minus with none, over 10),
// beside what Podman itself keeps per container (conmon + slirp4netns, measured here).
//
// Both sides use the same image (the host's node binary and a tiny HTTP server on Debian), the same
// network mode (slirp4netns with host loopback, as Berth runs containers on Podman) and publish on
// 127.0.0.1. A Podman engine is started for the run with its own containers.conf (runc, cgroupfs).
// Runs 3 times each and reports medians.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cli, startControlPlane, waitFor } from './lib/controlPlane.mjs';
import { freePort } from './lib/ports.mjs';

const run = promisify(execFile);
const RUNS = 3;
const IMAGE = 'localhost/berth-bench/node:1';
const BASE = 'localhost/debian:12';
const work = mkdtempSync(join(tmpdir(), 'berth-bench-containers-'));
const conf = join(work, 'containers.conf');
writeFileSync(
  conf,
  '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n',
);
const penv = { ...process.env, CONTAINERS_CONF: conf };
const podman = (args, opts = {}) => run('podman', args, { env: penv, maxBuffer: 64 << 20, timeout: 900_000, ...opts });

async function imageExists(name) {
  return podman(['image', 'exists', name]).then(
    () => true,
    () => false,
  );
}

/** The base image (debootstrap, ~45 s, once per machine) and the service image. */
async function ensureImages() {
  if (!(await imageExists(BASE))) {
    const rootfs = join(work, 'rootfs');
    await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian'], {
      timeout: 900_000,
      maxBuffer: 64 << 20,
    });
    await run('sh', ['-c', `tar -C '${rootfs}' -c . | podman import - ${BASE}`], { env: penv, timeout: 600_000 });
    rmSync(rootfs, { recursive: true, force: true });
  }
  if (await imageExists(IMAGE)) return;
  const ctx = join(work, 'image');
  execFileSync('mkdir', ['-p', ctx]);
  copyFileSync(process.execPath, join(ctx, 'node'));
  writeFileSync(
    join(ctx, 'server.mjs'),
    `import { createServer } from 'node:http';
createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT ?? 8080), '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
`,
  );
  writeFileSync(
    join(ctx, 'Dockerfile'),
    `FROM ${BASE}\nCOPY node /usr/local/bin/node\nCOPY server.mjs /app/server.mjs\nENV PORT=8080\nEXPOSE 8080\nCMD ["/usr/local/bin/node", "/app/server.mjs"]\n`,
  );
  await podman(['build', '-t', IMAGE, ctx]);
}

async function answers(port) {
  try {
    return (await fetch(`http://127.0.0.1:${port}/`)).ok;
  } catch {
    return false;
  }
}

/** `podman run -d` of n containers, then each published port polled until it answers. */
async function podmanRun(n, tag) {
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const names = ports.map((_, i) => `berth-bench-${tag}-${i}`);
  const t0 = performance.now();
  await Promise.all(
    ports.map((port, i) =>
      podman([
        'run',
        '-d',
        '--name',
        names[i],
        '--network',
        'slirp4netns:allow_host_loopback=true',
        '-p',
        `127.0.0.1:${port}:8080`,
        IMAGE,
      ]),
    ),
  );
  await Promise.all(ports.map((p) => waitFor(`port ${p}`, () => answers(p), 60_000, 10)));
  const ms = performance.now() - t0;
  const overhead = await podmanOverheadBytes();
  await podman(['rm', '-f', '-t', '2', ...names]);
  return { ms, overhead };
}

/** RSS of Podman's own per-container processes (conmon, slirp4netns) now running, in bytes. */
async function podmanOverheadBytes() {
  const { stdout } = await run('ps', ['-eo', 'rss=,comm=']);
  let kb = 0;
  let count = 0;
  for (const line of stdout.split('\n')) {
    const [rss, comm] = line.trim().split(/\s+/);
    if (comm === 'conmon' || comm === 'slirp4netns') {
      kb += Number(rss);
      if (comm === 'conmon') count++;
    }
  }
  return { bytes: kb * 1024, containers: count };
}

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
}

function appDir(n) {
  const dir = mkdtempSync(join(work, 'app-'));
  writeFileSync(
    join(dir, 'berth.yaml'),
    `name: cbench
services:
  web:
    image: ${IMAGE}
    replicas: ${n}
    ports: [{ port: 8080 }]
    health: { readiness: { http: { path: / }, period: 1s } }
    terminationGracePeriod: 2s
`,
  );
  return dir;
}

const engineDir = mkdtempSync(join(tmpdir(), 'berth-bench-engine-'));
const socket = join(engineDir, 'podman.sock');
const engine = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { env: penv, stdio: 'ignore' });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let cp;
const report = { benchmark: 'containers', runs: RUNS, cases: [] };
try {
  await ensureImages();
  await waitFor('podman engine', () => existsSync(socket), 30_000);
  process.env.BERTH_CONTAINER_SOCKET = socket;
  cp = await startControlPlane('berth-bench-containers-');
  cp.env.BERTH_CONTAINER_SOCKET = socket;
  const idleRss = rssBytes(cp.proc.pid);
  for (const n of [1, 10]) {
    const berth = [];
    const direct = [];
    let perReplica;
    let podmanPer;
    for (let r = 0; r < RUNS; r++) {
      // Interleaved: podman run, then Berth, each from nothing.
      const d = await podmanRun(n, `${n}-${r}`);
      direct.push(d.ms);
      podmanPer = d.overhead.containers ? d.overhead.bytes / d.overhead.containers : undefined;
      const app = appDir(n);
      const before = rssBytes(cp.proc.pid);
      const t0 = performance.now();
      execFileSync(process.execPath, [cli, 'deploy', app, '-m', `bench ${n}/${r}`], { env: cp.env, stdio: 'ignore' });
      berth.push(performance.now() - t0);
      const [rel] = await cp.api('GET', '/api/v1/apps/cbench/envs/local/releases?limit=1');
      if (rel.status !== 'succeeded') throw new Error(`release ${rel.revision} ${rel.status}: ${rel.reason}`);
      if (n === 10) perReplica = (rssBytes(cp.proc.pid) - Math.min(before, idleRss)) / n;
      execFileSync(process.execPath, [cli, 'down', 'cbench'], { env: cp.env, stdio: 'ignore' });
    }
    const b = median(berth);
    const p = median(direct);
    report.cases.push({
      replicas: n,
      berthDeployToReadyMs: Math.round(b),
      podmanRunToAnswerMs: Math.round(p),
      ratio: +(b / p).toFixed(2),
      ...(perReplica !== undefined ? { berthRssPerReplicaMiB: +(perReplica / 2 ** 20).toFixed(2) } : {}),
      ...(podmanPer !== undefined ? { podmanOwnPerContainerMiB: +(podmanPer / 2 ** 20).toFixed(2) } : {}),
      runs: { berth: berth.map(Math.round), podman: direct.map(Math.round) },
    });
  }
} finally {
  if (cp) await cp.teardown();
  engine.kill('SIGTERM');
  rmSync(engineDir, { recursive: true, force: true });
  if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(report, null, 2));
