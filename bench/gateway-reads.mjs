// The control plane's reads of its gateway, per answer: an in-process gateway (Node data plane) serving
// N services answers GET /stats in full, GET /stats with the ETag of a reading while nothing moved (304),
// GET /spans with an empty queue and GET /healthz (the HTTP exchange alone), each over one kept-alive
// connection, as the control plane asks them. CPU per exchange is the process's (gateway and client
// together) over GWREADS_N calls in a row; builds are interleaved round by round.
//
// Knobs (environment): GWREADS_SERVICES=100  GWREADS_N=300  GWREADS_ROUNDS=2
//   GWREADS_BEFORE=<another build's dist/ directory>: measures that build too (a build without ETags
//   shows `—` for the 304 row).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { freePort } from './lib/ports.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const SERVICES = Number(process.env.GWREADS_SERVICES ?? 100);
const N = Number(process.env.GWREADS_N ?? 300);
const ROUNDS = Number(process.env.GWREADS_ROUNDS ?? 2);

if (process.argv[2] === '--one') {
  const dist = process.argv[3];
  const { startGateway } = await import(pathToFileURL(join(dist, 'gateway/server.js')).href);
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-gwreads-'));
  const gw = await startGateway({ home });
  const token = readFileSync(gw.paths.token, 'utf8').trim();
  const base = `http://127.0.0.1:${gw.controlPort}`;
  const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
  const ask = async (path, headers = {}, method = 'GET', body) => {
    const r = await request(`${base}${path}`, {
      method,
      dispatcher,
      headers: { authorization: `Bearer ${token}`, ...headers },
      body,
    });
    const text = await r.body.text();
    if (r.statusCode === 200 && path === '/stats') JSON.parse(text);
    return { status: r.statusCode, etag: r.headers.etag, bytes: text.length };
  };
  const services = [];
  for (let i = 0; i < SERVICES; i++)
    services.push({
      key: `bench/local/s${i}`,
      port: await freePort(),
      backends: [{ id: `b${i}`, host: '127.0.0.1', port: 9 }],
    });
  await ask(
    '/table',
    { 'content-type': 'application/json' },
    'PUT',
    JSON.stringify({ generation: 1, services, edges: [] }),
  );
  const full = await ask('/stats');
  const cases = [
    ['GET /stats full', '/stats', {}],
    ['GET /stats 304', '/stats', full.etag ? { 'if-none-match': full.etag } : undefined],
    ['GET /spans (empty)', '/spans?max=5000', {}],
    ['GET /healthz', '/healthz', {}],
  ];
  const out = { bytes: full.bytes };
  for (const [label, path, headers] of cases) {
    if (headers === undefined) continue;
    for (let i = 0; i < 20; i++) await ask(path, headers);
    const c0 = process.cpuUsage();
    let status = 0;
    for (let i = 0; i < N; i++) status = (await ask(path, headers)).status;
    const c = process.cpuUsage(c0);
    out[label] = { us: (c.user + c.system) / N, status };
  }
  await gw.close();
  await dispatcher.close();
  rmSync(home, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const builds = [{ name: 'berth', dist: join(root, 'dist') }];
if (process.env.GWREADS_BEFORE) builds.unshift({ name: 'before', dist: process.env.GWREADS_BEFORE });
const results = new Map(builds.map((b) => [b.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const b of builds) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', b.dist], {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    if (r.status !== 0) {
      console.error(r.stderr);
      process.exit(1);
    }
    results.get(b.name).push(JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{"bytes"'))));
  }
}
const labels = ['GET /stats full', 'GET /stats 304', 'GET /spans (empty)', 'GET /healthz'];
console.log(
  `gateway control reads, ${SERVICES} services, ${N} calls each, median of ${ROUNDS} rounds; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`${'build'.padEnd(8)}${'stats bytes'.padStart(12)}${labels.map((l) => `${l} µs`.padStart(24)).join('')}`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, runs] of results) {
  const cells = labels.map((l) => {
    const xs = runs.map((r) => r[l]?.us).filter((x) => x !== undefined);
    return (xs.length ? median(xs).toFixed(0) : '—').padStart(24);
  });
  console.log(`${name.padEnd(8)}${String(runs[0].bytes).padStart(12)}${cells.join('')}`);
}
