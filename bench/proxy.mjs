// Proxy performance: the gateway's data path beside the proxies a user would pick, in one run,
// all in front of the same upstream on 127.0.0.1, each driven by wrk with one thread.
//
//   direct        wrk → upstream
//   berth-service wrk → Berth gateway process, Node data plane (service address) → upstream
//   berth-edge    wrk → Berth gateway process (app edge, route `/`) → upstream
//   berth (default)   the rows of the plane `berth server` picks here (BERTH_DATA_PLANE, else Node), on top
//   berth-workers-service, berth-workers-edge
//                 the same through a gateway started with `--workers N` (PROXY_BENCH_WORKERS, default
//                 auto = one per core): the Node data plane in N cluster workers (started only when asked)
//   berth-haproxy-service, berth-haproxy-edge
//                 the same through a gateway started with `--data-plane haproxy`: HAProxy 2.6 (one
//                 thread) serves the ports, driven by the gateway (skipped if haproxy is missing)
//   berth-alt-service, berth-alt-edge
//                 the one-process Node plane again, in a gateway started with the Node flags of
//                 PROXY_BENCH_ALT_FLAGS (e.g. --max-semi-space-size=64) and the environment of
//                 PROXY_BENCH_ALT_ENV (NAME=value,...): an A/B of a V8 or gateway setting in one run
//   nginx         wrk → nginx reverse proxy (keepalive 32, HTTP/1.1 upstream) → upstream
//   fastify       wrk → @fastify/http-proxy → upstream
//   node-http     wrk → node:http proxy with a keep-alive Agent → upstream
//
// The upstream is nginx `return 200` (one worker), as in the issue's reference figures; a Node
// hello-world is measured directly too, as the ceiling of any one-process Node server here.
// Saturation: `wrk -t1 -c32 -d10s`, rounds interleaved (the median per target is reported).
// Latency: wrk paced by a Lua script (LuaJIT ffi clock; wrk2 is not packaged) at half of
// Berth's saturated rate, against the upstream directly and through Berth; the difference of
// the p99s is what Berth adds.
//
// Env: PROXY_BENCH_DURATION (s, default 10), PROXY_BENCH_ROUNDS (default 3),
//      PROXY_BENCH_ONLY (comma list of targets), PROXY_BENCH_NO_LATENCY=1,
//      PROXY_BENCH_RATE=<req/s> (pace the latency run at this rate instead of half of Berth's),
//      PROXY_BENCH_PROFILE=<dir> (the gateway writes a --cpu-prof profile there),
//      PROXY_BENCH_WORKERS=<N|auto> (workers of the berth-workers-* gateway, default auto),
//      PROXY_BENCH_ALT_FLAGS, PROXY_BENCH_ALT_ENV (the berth-alt-* gateway, see above),
//      PROXY_BENCH_WARM=<s> (default 1: an unmeasured run of each target just before each measured
//      one, at the same rate: a process idle while the others ran pays a major GC of the garbage left
//      from its last run, and the first of two rows through one process paid it alone),
//      BERTH_GATEWAY_TRACING=off (the gateways proxy without tracing: the "tracing off" figures;
//      with tracing on, the bench drains their spans every second as the control plane does).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from './lib/ports.mjs';
import { nginxConf, nginxFromTable, tableOnPorts, waitHttp, which } from './lib/proxyTools.mjs';
import { pacedScript as pacedScriptIn, reportLua, runWrk as runWrkWith } from './lib/wrkRuns.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.PROXY_BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.PROXY_BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const WARM = Number(process.env.PROXY_BENCH_WARM ?? 1);
const ONLY = process.env.PROXY_BENCH_ONLY?.split(',');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const wrk = which('wrk');
const nginx = which('nginx');
const haproxy = which('haproxy');
if (!wrk || !nginx) {
  console.error(
    `proxy benchmark needs wrk and nginx (missing: ${[!wrk && 'wrk', !nginx && 'nginx'].filter(Boolean).join(', ')}).\n` +
      'Install them with: apt-get install -y wrk nginx   (Debian; the nginx service need not run)',
  );
  process.exit(2);
}
const gatewayDist = join(root, 'dist/gateway/control.js');
if (!existsSync(gatewayDist)) {
  console.error('dist/gateway is missing: run `npm run build` first');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'berth-bench-proxy-'));
const children = [];
let gatewayControl;
let haproxyControl;
let workersControl;
let altControl;
let spanDrain;

async function cleanup() {
  clearInterval(spanDrain);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  if (gatewayControl) await gatewayControl.stop().catch(() => undefined);
  if (haproxyControl) await haproxyControl.stop().catch(() => undefined);
  if (workersControl) await workersControl.stop().catch(() => undefined);
  if (altControl) await altControl.stop().catch(() => undefined);
  await sleep(200);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

function start(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: root, ...opts });
  let err = '';
  child.stderr?.on('data', (d) => (err += d));
  child.once('exit', (code, sig) => {
    if (!stopping) console.error(`${name} exited early (code ${code}, signal ${sig}): ${err.trim()}`);
  });
  children.push(child);
  return child;
}
let stopping = false;

// ---- processes under test ----

const upstreamPort = await freePort();
const nodeHelloPort = await freePort();
const nginxProxyPort = await freePort();
const nginxEdgePort = await freePort();
const fastifyPort = await freePort();
const nodeProxyPort = await freePort();
const servicePort = await freePort();
const edgePort = await freePort();
const hxServicePort = await freePort();
const hxEdgePort = await freePort();
const wkServicePort = await freePort();
const wkEdgePort = await freePort();
const altServicePort = await freePort();
const altEdgePort = await freePort();

const upstreamNginx = start('nginx upstream', nginx, [
  '-c',
  nginxConf(
    join(work, 'upstream'),
    `server { listen 127.0.0.1:${upstreamPort}; location / { return 200 "hello\\n"; } }`,
  ),
  '-p',
  join(work, 'upstream'),
]);
// nginx as the reverse proxy, its configuration rendered from the same routing table the gateway
// serves: what "Berth drives nginx as its data plane" would run (service address and edge).
const table = {
  services: [
    { key: 'bench/prod/web', port: servicePort, backends: [{ id: 'web-1', host: '127.0.0.1', port: upstreamPort }] },
  ],
  edges: [
    { key: 'bench/prod', port: edgePort, routes: [{ pathPrefix: '/', target: 'bench/prod/web', stripPrefix: false }] },
  ],
};

const nginxPorts = new Map([
  [servicePort, nginxProxyPort],
  [edgePort, nginxEdgePort],
]);
const nginxProxy = start('nginx proxy', nginx, [
  '-c',
  nginxConf(
    join(work, 'proxy'),
    nginxFromTable(table, (p) => nginxPorts.get(p)),
  ),
  '-p',
  join(work, 'proxy'),
]);

const nodeHello = `import { createServer } from 'node:http';
createServer((req, res) => { res.writeHead(200, ['content-type', 'text/plain', 'content-length', '6']); res.end('hello\\n'); })
  .listen(${nodeHelloPort}, '127.0.0.1');`;
const nodeHelloChild = start('node hello', process.execPath, ['--input-type=module', '-e', nodeHello]);

const fastifyProxy = `import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: 'http://127.0.0.1:${upstreamPort}' });
await app.listen({ port: ${fastifyPort}, host: '127.0.0.1' });`;
const fastifyChild = start('fastify proxy', process.execPath, ['--input-type=module', '-e', fastifyProxy]);

// The plain proxy a Node user writes: http.request per request through a keep-alive Agent, piped.
const nodeProxy = `import http from 'node:http';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
http.createServer((req, res) => {
  const up = http.request({ host: '127.0.0.1', port: ${upstreamPort}, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(up);
}).listen(${nodeProxyPort}, '127.0.0.1');`;
const nodeProxyChild = start('node:http proxy', process.execPath, ['--input-type=module', '-e', nodeProxy]);

// Berth's gateways (berth-service/-edge: the Node data plane; berth-haproxy-*: HAProxy), started here
// in the benchmark's session and adopted by their controls: a control detaches its gateway into a
// session of its own, which autogroup scheduling makes a scheduling group of its own — on a loaded
// machine the comparison with nginx and wrk (this session's group) would measure the scheduler.
const { createGatewayControl } = await import(pathToFileURL(gatewayDist).href);
// PROXY_BENCH_PROFILE=<dir>: the Node-plane gateway runs under --cpu-prof and writes its profile
// there when the control stops it.
async function gatewayHere(home, args, nodeFlags = [], env = process.env) {
  const child = spawn(process.execPath, [...nodeFlags, join(root, 'dist/gateway/main.js'), '--home', home, ...args], {
    stdio: 'ignore',
    env,
  });
  for (let i = 0; i < 200 && !existsSync(join(home, 'gateway/gateway.json')); i++) await sleep(50);
  return child;
}
const profileFlags = process.env.PROXY_BENCH_PROFILE
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROXY_BENCH_PROFILE}`]
  : [];
await gatewayHere(join(work, 'home'), ['--data-plane', 'node', '--workers', '1'], profileFlags);
gatewayControl = createGatewayControl({ home: join(work, 'home'), dataPlane: 'node' });
// What `berth server` would choose on this machine with BERTH_DATA_PLANE as set (the Node plane when
// unset; `auto`: HAProxy when installed): its rows are the "berth (default)" ones of the table.
const { chooseDataPlane } = await import(pathToFileURL(join(root, 'dist/gateway/dataPlaneChoice.js')).href);
const defaultPlane = await chooseDataPlane({ env: process.env.BERTH_DATA_PLANE });
const defaultRow = (kind) => (defaultPlane.plane === 'haproxy' ? `berth-haproxy-${kind}` : `berth-${kind}`);
await gatewayControl.update((t) => tableOnPorts(t, table, new Map()));

const gatewayPid = gatewayControl.pid();
// What the control plane does with tracing on: take the gateways' spans every second (their JSON
// encoding is part of the gateway's CPU per request; an undrained queue would drop them cheaply).
spanDrain = setInterval(() => {
  for (const c of [gatewayControl, haproxyControl, workersControl, altControl])
    void c?.spans(20_000).catch(() => undefined);
}, 1000);

// The same table through a second gateway whose data plane is HAProxy (its own home and ports).
let haproxyPid;
const haproxyRows = !ONLY || ONLY.some((n) => n.startsWith('berth-haproxy'));
if (haproxy && haproxyRows) {
  await gatewayHere(join(work, 'home-haproxy'), ['--data-plane', 'haproxy']);
  haproxyControl = createGatewayControl({ home: join(work, 'home-haproxy'), dataPlane: 'haproxy' });
  const hxPorts = new Map([
    [servicePort, hxServicePort],
    [edgePort, hxEdgePort],
  ]);
  await haproxyControl.update((t) => tableOnPorts(t, table, hxPorts));
  // CPU is counted for the HAProxy master and its worker (the gateway's Node process is idle).
  haproxyPid = JSON.parse(readFileSync(join(work, 'home-haproxy/gateway/haproxy/haproxy.json'), 'utf8')).pid;
} else if (haproxyRows) {
  console.error('haproxy not installed (apt-get install -y haproxy): skipping the berth-haproxy rows');
}
// The same table through a third gateway whose Node data plane runs in N workers (own home, ports).
const WORKERS = process.env.PROXY_BENCH_WORKERS ?? 'auto';
const workersRows = !ONLY || ONLY.some((n) => n.startsWith('berth-workers'));
if (workersRows) {
  await gatewayHere(join(work, 'home-workers'), ['--data-plane', 'node', '--workers', WORKERS]);
  workersControl = createGatewayControl({ home: join(work, 'home-workers'), dataPlane: 'node' });
  const wkPorts = new Map([
    [servicePort, wkServicePort],
    [edgePort, wkEdgePort],
  ]);
  await workersControl.update((t) => tableOnPorts(t, table, wkPorts));
}
// The one-process Node plane again with other Node flags or environment (own home and ports).
const altRows = process.env.PROXY_BENCH_ALT_FLAGS !== undefined || process.env.PROXY_BENCH_ALT_ENV !== undefined;
if (altRows) {
  const altEnv = Object.fromEntries(
    (process.env.PROXY_BENCH_ALT_ENV ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const altFlags = (process.env.PROXY_BENCH_ALT_FLAGS ?? '').split(' ').filter(Boolean);
  const home = join(work, 'home-alt');
  await gatewayHere(home, ['--data-plane', 'node', '--workers', '1'], altFlags, { ...process.env, ...altEnv });
  altControl = createGatewayControl({ home, dataPlane: 'node' });
  const altPorts = new Map([
    [servicePort, altServicePort],
    [edgePort, altEdgePort],
  ]);
  await altControl.update((t) => tableOnPorts(t, table, altPorts));
}
// The process whose CPU time a request through each target costs (beyond the upstream's).
// The HAProxy rows' gateway (Node) reads the log line of every request: its CPU is `gateway us/req`.
const sidePids = { 'berth-haproxy-service': haproxyControl?.pid(), 'berth-haproxy-edge': haproxyControl?.pid() };
const pids = {
  direct: upstreamNginx.pid,
  'berth-service': gatewayPid,
  'berth-edge': gatewayPid,
  'berth-haproxy-service': haproxyPid,
  'berth-haproxy-edge': haproxyPid,
  // The primary and its workers (cpuTicks adds the children).
  'berth-workers-service': workersControl?.pid(),
  'berth-workers-edge': workersControl?.pid(),
  'berth-alt-service': altControl?.pid(),
  'berth-alt-edge': altControl?.pid(),
  nginx: nginxProxy.pid,
  'nginx-edge': nginxProxy.pid,
  fastify: fastifyChild.pid,
  'node-http': nodeProxyChild.pid,
  'node-hello': nodeHelloChild.pid,
};
const targets = {
  direct: upstreamPort,
  'berth-service': servicePort,
  'berth-edge': edgePort,
  ...(workersControl ? { 'berth-workers-service': wkServicePort, 'berth-workers-edge': wkEdgePort } : {}),
  ...(altControl ? { 'berth-alt-service': altServicePort, 'berth-alt-edge': altEdgePort } : {}),
  ...(haproxyPid ? { 'berth-haproxy-service': hxServicePort, 'berth-haproxy-edge': hxEdgePort } : {}),
  nginx: nginxProxyPort,
  'nginx-edge': nginxEdgePort,
  fastify: fastifyPort,
  'node-http': nodeProxyPort,
  'node-hello': nodeHelloPort,
};
for (const port of Object.values(targets)) await waitHttp(port);

// ---- wrk (bench/lib/wrkRuns.mjs) ----

const saturateScript = join(work, 'report.lua');
writeFileSync(saturateScript, reportLua);
const pacedScript = (rate) => pacedScriptIn(work, rate);
const runWrk = (port, script, seconds = DURATION, pid = undefined, sidePid = undefined) =>
  runWrkWith(wrk, CONNECTIONS, port, script, seconds, pid, sidePid);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const loadAtStart = loadavg()[0];
const names = Object.keys(targets).filter((n) => !ONLY || ONLY.includes(n));
const runs = Object.fromEntries(names.map((n) => [n, []]));
try {
  for (const n of names) runWrk(targets[n], saturateScript, 2); // warm-up: JIT, pools, nginx keep-alives
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of names) {
      if (WARM > 0) runWrk(targets[n], saturateScript, WARM);
      const r = runWrk(targets[n], saturateScript, DURATION, pids[n], sidePids[n]);
      runs[n].push(r);
      const side = r.gatewayCpuUsPerRequest === undefined ? '' : ` + gateway ${r.gatewayCpuUsPerRequest}`;
      console.log(
        `round ${round + 1} ${n.padEnd(14)} ${String(r.rps).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  cpu ${r.cpuUsPerRequest}${side} us/req${r.errors ? `  errors ${r.errors}` : ''}`,
      );
      await sleep(300);
    }
  }
  const summary = {};
  for (const n of names) {
    const rs = runs[n];
    if (rs.length === 0) continue;
    const mid = rs.find((r) => r.rps === median(rs.map((x) => x.rps))) ?? rs[0];
    summary[n] = {
      rps: median(rs.map((r) => r.rps)),
      cpuUsPerRequest: median(rs.map((r) => r.cpuUsPerRequest)),
      ...(sidePids[n] ? { gatewayCpuUsPerRequest: median(rs.map((r) => r.gatewayCpuUsPerRequest)) } : {}),
      p50Ms: mid.p50Ms,
      p99Ms: mid.p99Ms,
      errors: rs.reduce((a, r) => a + r.errors, 0),
    };
  }
  const ratio = (a, b) =>
    summary[a] && summary[b] ? Math.round((summary[a].rps / summary[b].rps) * 1000) / 1000 : null;
  const ratios = {
    berthServiceToNginx: ratio('berth-service', 'nginx'),
    berthEdgeToNginx: ratio('berth-edge', 'nginx'),
    berthServiceToFastify: ratio('berth-service', 'fastify'),
    berthEdgeToFastify: ratio('berth-edge', 'fastify'),
    berthServiceToNodeHttp: ratio('berth-service', 'node-http'),
    berthWorkersServiceToNginx: ratio('berth-workers-service', 'nginx'),
    berthWorkersEdgeToNginx: ratio('berth-workers-edge', 'nginx'),
    berthWorkersServiceToBerthService: ratio('berth-workers-service', 'berth-service'),
    berthAltServiceToBerthService: ratio('berth-alt-service', 'berth-service'),
    berthAltEdgeToBerthEdge: ratio('berth-alt-edge', 'berth-edge'),
    berthHaproxyServiceToNginx: ratio('berth-haproxy-service', 'nginx'),
    berthHaproxyServiceToFastify: ratio('berth-haproxy-service', 'fastify'),
    berthDefaultServiceToNginx: ratio(defaultRow('service'), 'nginx'),
    berthDefaultEdgeToNginx: ratio(defaultRow('edge'), 'nginx'),
    nodeHelloToNginx: ratio('node-hello', 'nginx'),
  };

  // Paced at half of one Berth data plane's saturated rate: that plane, the upstream directly and
  // nginx at the same rate; what a plane adds is its p99 minus the direct p99 of the same run.
  async function pacedLatency(reference, names) {
    const rate = Number(process.env.PROXY_BENCH_RATE ?? 0) || Math.round(summary[reference].rps / 2);
    const script = pacedScript(rate);
    const at = {};
    for (const n of names.filter((p) => targets[p] !== undefined && (!ONLY || ONLY.includes(p)))) {
      if (WARM > 0) runWrk(targets[n], script, WARM);
      at[n] = runWrk(targets[n], script, DURATION, pids[n]);
      console.log(
        `paced ${rate}/s ${n.padEnd(14)} got ${at[n].rps} req/s  p50 ${at[n].p50Ms.toFixed(2)} ms  p99 ${at[n].p99Ms.toFixed(2)} ms  p99.9 ${at[n].p999Ms.toFixed(2)} ms`,
      );
      await sleep(300);
    }
    return {
      rate,
      method: 'wrk -t1 -c32 with a Lua delay() pacing script (open-loop schedule t0 + n/rate, LuaJIT ffi clock)',
      runs: at,
      addedP99Ms: Object.fromEntries(
        Object.keys(at)
          .filter((n) => n !== 'direct' && at.direct)
          .map((n) => [n, Math.round((at[n].p99Ms - at.direct.p99Ms) * 1000) / 1000]),
      ),
    };
  }
  let latency = null;
  let latencyHaproxy = null;
  let latencyWorkers = null;
  const forced = Number(process.env.PROXY_BENCH_RATE ?? 0) > 0;
  if (process.env.PROXY_BENCH_NO_LATENCY !== '1') {
    if (forced || summary['berth-service']) {
      // The berth-alt rows at the same rate: their tail beside the plain gateway's.
      const rows = ['direct', 'berth-service', 'berth-edge', 'berth-alt-service', 'berth-alt-edge', 'nginx'];
      latency = await pacedLatency('berth-service', rows);
    }
    // Each other plane paced at half of its own service row's rate: `berth-<plane>-service|edge`.
    const paced = (p) => ['direct', `berth-${p}-service`, `berth-${p}-edge`, 'nginx'];
    const plane = (p) => (summary[`berth-${p}-service`] ? pacedLatency(`berth-${p}-service`, paced(p)) : null);
    latencyWorkers = await plane('workers');
    latencyHaproxy = await plane('haproxy');
  }

  const result = {
    benchmark: 'proxy',
    date: new Date().toISOString(),
    machine: { cores: cpus().length, node: process.version },
    // 1-minute load average: other work on the machine makes every figure noisier.
    loadAverage: { start: loadAtStart, end: loadavg()[0] },
    upstream: 'nginx return 200 (1 worker)',
    command: `wrk -t1 -c${CONNECTIONS} -d${DURATION}s --timeout 5s -s report.lua http://127.0.0.1:PORT/`,
    rounds: ROUNDS,
    // The data plane `berth server` picks here by default, why, and the rows that measured it.
    defaultPlane: { ...defaultPlane, rows: [defaultRow('service'), defaultRow('edge')] },
    summary,
    ratios,
    targets: { berthRatioToNginx: 0.25, berthRatioToFastify: 1.5, addedP99Ms: 2 },
    latency,
    // The same, paced at half of the HAProxy data plane's saturated rate.
    latencyHaproxy,
    // The same, paced at half of the Node data plane's rate in N workers.
    workers: workersControl ? WORKERS : undefined,
    alt: altControl ? { flags: process.env.PROXY_BENCH_ALT_FLAGS, env: process.env.PROXY_BENCH_ALT_ENV } : undefined,
    warmSeconds: WARM,
    latencyWorkers,
    runs,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/proxy.json'), `${JSON.stringify(result, null, 2)}\n`);

  console.log(`\nberth (default) is the ${defaultPlane.plane} data plane here: ${defaultPlane.reason}`);
  const load = `${loadAtStart.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end (${cpus().length} cores)`;
  console.log(`load average ${load}`);
  console.log('\ntarget                               req/s    p50 ms   p99 ms  cpu us/req  gateway us/req  / nginx');
  const row = (label, n) => {
    const s = summary[n];
    if (!s) return;
    const toNginx = ratio(n, 'nginx');
    console.log(
      `${label.padEnd(34)} ${String(s.rps).padStart(7)}  ${s.p50Ms.toFixed(2).padStart(7)}  ${s.p99Ms.toFixed(2).padStart(7)}  ${String(s.cpuUsPerRequest).padStart(10)}  ${String(s.gatewayCpuUsPerRequest ?? '').padStart(14)}  ${toNginx === null ? '' : toNginx.toFixed(2).padStart(7)}`,
    );
  };
  for (const kind of ['service', 'edge']) row(`berth (default: ${defaultPlane.plane}) ${kind}`, defaultRow(kind));
  for (const n of names) row(n, n);
  console.log('ratios', JSON.stringify(ratios));
  if (latency) console.log(`added p99 at ${latency.rate} req/s`, JSON.stringify(latency.addedP99Ms));
  if (latencyWorkers) {
    console.log(`added p99 at ${latencyWorkers.rate} req/s`, JSON.stringify(latencyWorkers.addedP99Ms));
  }
  if (latencyHaproxy) {
    console.log(`added p99 at ${latencyHaproxy.rate} req/s`, JSON.stringify(latencyHaproxy.addedP99Ms));
  }
} finally {
  stopping = true;
  await cleanup();
}
