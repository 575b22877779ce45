/**
 * Renders haproxy.cfg from the gateway's data-plane model: one frontend per service port and per
 * edge port, one backend per service with fixed server slots whose address and state change at
 * runtime through the admin socket (so a rolling update never reloads HAProxy). Pure: the same
 * model always renders the same text, and `structureKey` says when two models need a reload.
 */
import type { EdgeRoute, ServiceListener } from '../table.js';
import { compileRoutes } from '../router.js';
import { logRing, traceRules } from './traceRules.js';
import { MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_URL_BYTES, PARSER_BYTES, tooLargeBody } from '../requestLimits.js';

/** One replica in a server slot. */
export interface SlotServer {
  /** Replica id (not rendered: HAProxy knows slots, the gateway knows which replica fills one). */
  id: string;
  host: string;
  port: number;
}

/** The server slots of one service's backend. */
export interface BackendModel {
  /** `app/env/service`. */
  key: string;
  /** Stable-track replicas; `undefined` is a free slot (rendered disabled). */
  stable: (SlotServer | undefined)[];
  /** Canary-track replicas, rendered as `backup`: used only when no stable replica is ready, as in the Node balancer. */
  canary: (SlotServer | undefined)[];
  /**
   * Port of the gateway's Node listener for this service when it has a split or a policy (then it
   * alone gets the traffic); undefined when HAProxy balances over the replicas itself.
   */
  nodePort?: number;
  /** `tcp`: the backend of an L4 address (`key` is `app/env/service:port-name`), balanced by connections. */
  mode?: 'tcp';
}

/** An L4 address HAProxy binds (`mode tcp`): its backend is the BackendModel of the same key. */
export interface TcpFrontendModel {
  /** `app/env/service:port-name`. */
  key: string;
  port: number;
  /** Hosts bound besides 127.0.0.1 (RoutingTable.serviceHosts that could be bound). */
  hosts?: string[];
}

/** A service address HAProxy binds. */
export interface ServiceFrontendModel {
  key: string;
  port: number;
  /** Hosts bound besides 127.0.0.1 (RoutingTable.serviceHosts that could be bound). */
  hosts?: string[];
}

/** The bind lines of a service address: 127.0.0.1 and its further hosts, on its port. */
function serviceBinds(f: { port: number; hosts?: string[] }): string[] {
  return ['127.0.0.1', ...(f.hosts ?? [])].map((h) => `  bind ${h}:${f.port}`);
}

/**
 * An edge HAProxy binds: routed natively, or passed whole to the gateway's Node edge listener. Both
 * ways are in the config at once; which one serves is the runtime state of the edge backend's `node`
 * slot (`srv_is_up`), so an edge switches without a reload.
 */
export interface EdgeFrontendModel {
  key: string;
  port: number;
  /** Native routing (their policies are not rendered: Node applies them). Absent in models saved before session 14. */
  routes?: EdgeRoute[];
  /**
   * Port of the Node edge listener that routes this edge (some route has a policy or a Node-only
   * target); undefined while HAProxy routes it. Runtime state, like a slot's address: not a reload.
   */
  nodePort?: number;
  /** HTTPS on a second bind of the same frontend: certificates by SNI from a crt-list file. */
  tls?: EdgeTlsModel;
}

/** The HTTPS side of an edge frontend. */
export interface EdgeTlsModel {
  port: number;
  /** Plain HTTP answers 308 with the https:// URL. */
  redirect: boolean;
  /** crt-list file: `<pem> <sni filter>...` per certificate, the first the default. */
  crtList: string;
}

/** Everything haproxy.cfg is rendered from. */
export interface HaproxyModel {
  /** Directory of the admin socket (the gateway's directory). */
  dir: string;
  services: ServiceFrontendModel[];
  edges: EdgeFrontendModel[];
  /** One per service of the table (also those whose port is taken: edges may route to them), and per L4 address. */
  backends: BackendModel[];
  /** L4 addresses (absent in models saved before them: none). */
  tcp?: TcpFrontendModel[];
  /** Longest life of an old worker after a reload. */
  hardStopAfterMs?: number;
  /**
   * The gateway's TCP port for the log lines of the requests HAProxy serves alone (traceRules.ts,
   * forwarded from a ring buffer): each one's span, and its latency and edge route for the counters
   * (haproxyLogCounters.ts).
   */
  traceLogPort?: number;
  /** The log lines go through the ring (`tcp`); absent in models saved when they were UDP datagrams. */
  traceLog?: 'tcp';
  /** false: tracing is off, the log lines carry no span and no trace header is set. */
  tracing?: boolean;
}

/** Name of the server slot that points at the gateway's Node listener. */
export const nodeSlot = 'node';

/**
 * The never-used server whose state says the worker is about to be replaced by a reload (`ready`):
 * every HTTP response then closes its client connection, so that no busy keep-alive client is idle
 * in the old worker when the reload closes its idle connections (a `disabled` server: a new worker
 * starts without it). Not a `s.`, `e.` or `f.` name, so no service or edge can take it.
 */
export const closingServer = { backend: 'ctl', server: 'closing' } as const;

/** Sets `Connection: close` on every response of an HTTP frontend while a reload is under way. */
const closingRule = `  http-after-response set-header Connection close if { srv_is_up(${closingServer.backend}/${closingServer.server}) }`;

/**
 * A route's text as one HAProxy word: single quotes take everything literally (no `$` expansion, no
 * `#` comment). The table's schema refuses quotes, spaces and `#`, so nothing can close the quote.
 */
function quoted(text: string): string {
  return `'${text}'`;
}

/** A HAProxy-safe proxy name for a key (`shop/local/orders` → `shop:2flocal:2forders`-style escaping of `/`). */
export function proxyName(prefix: 's' | 'e' | 'f', key: string): string {
  return `${prefix}.${key.replace(/[^A-Za-z0-9_.-]/g, (c) => `:${c.charCodeAt(0).toString(16)}`)}`;
}

/** Slot server name: `r1`.. for stable, `c1`.. for canary. */
export function slotName(track: 'stable' | 'canary', index: number): string {
  return `${track === 'stable' ? 'r' : 'c'}${index + 1}`;
}

/** True if HAProxy can balance this service itself: no split that can pick the canary, no policy. */
export function isNativeService(s: ServiceListener): boolean {
  const split = s.split;
  const splits = split !== undefined && (split.canaryWeight > 0 || split.match !== undefined);
  return !splits && !hasPolicy(s.policy);
}

function hasPolicy(policy: object | undefined): boolean {
  return policy !== undefined && Object.values(policy).some((v) => v !== undefined);
}

/** True if HAProxy can route this edge itself: no route policy and every target service native (or absent). */
export function isNativeEdge(
  routes: readonly EdgeRoute[],
  nativeTargets: ReadonlySet<string>,
  known: ReadonlySet<string>,
): boolean {
  return routes.every((r) => !hasPolicy(r.policy) && (nativeTargets.has(r.target) || !known.has(r.target)));
}

/** What needs a reload when it changes: everything but which replica fills which slot and the Node ports' liveness. */
export function structureKey(m: HaproxyModel): string {
  return JSON.stringify({
    services: m.services,
    // An edge's Node port and its routes' policies are runtime state (its `node` slot), not config.
    edges: m.edges.map(({ nodePort: _n, routes, ...e }) => ({
      ...e,
      routes: (routes ?? []).map(({ policy: _p, ...r }) => r),
    })),
    tcp: m.tcp ?? [],
    backends: m.backends.map((b) => ({ key: b.key, stable: b.stable.length, canary: b.canary.length })),
    hardStopAfterMs: m.hardStopAfterMs,
    traceLogPort: m.traceLogPort,
    traceLog: m.traceLog,
    tracing: m.tracing,
  });
}

function quote(s: string): string {
  // Inside double quotes HAProxy reads backslash escapes, `\n` included, and expands `$VARS`.
  return `"${s.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

function regexEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`);
}

function renderSlot(name: string, server: SlotServer | undefined, flags: string): string {
  // A free slot needs some address: port 1 on loopback, disabled, is never used.
  if (server === undefined) return `  server ${name} 127.0.0.1:1 disabled${flags}`;
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return `  server ${name} ${host}:${server.port}${flags}`;
}

/** Idle limit of an L4 connection (a database or cache client keeps its connections open). */
const TCP_IDLE = '1h';

/**
 * An L4 backend: the same fixed slots as an HTTP one (filled and drained through the admin socket),
 * balanced by connections. A slot set to drain takes no new connection and keeps its open ones.
 */
function renderTcpBackend(b: BackendModel): string[] {
  const lines = [
    `backend ${proxyName('s', b.key)}`,
    '  mode tcp',
    '  balance leastconn',
    `  timeout server ${TCP_IDLE}`,
  ];
  b.stable.forEach((s, i) => lines.push(renderSlot(slotName('stable', i), s, '')));
  b.canary.forEach((s, i) => lines.push(renderSlot(slotName('canary', i), s, ' backup')));
  lines.push(`  server ${nodeSlot} 127.0.0.1:1 disabled`);
  return lines;
}

function renderBackend(b: BackendModel): string[] {
  if (b.mode === 'tcp') return renderTcpBackend(b);
  const node = b.nodePort !== undefined;
  const lines = [
    `backend ${proxyName('s', b.key)}`,
    '  balance roundrobin',
    // Canary replicas are backups; when every stable slot is free they share the load, as in Node.
    '  option allbackups',
    // HAProxy's own 503 (no server usable) with the Node proxy's body. Not `nbsrv`: an old worker
    // after a reload counts no usable server while it still answers its idle clients' last requests.
    `  http-error status 503 content-type text/plain string ${quote(`no ready replicas for ${b.key}\n`)}`,
    // Plain text naming the service, like the Node proxy's, never HAProxy's HTML page.
    `  http-error status 502 content-type text/plain string ${quote(`an upstream of ${b.key} failed\n`)}`,
    `  http-error status 504 content-type text/plain string ${quote(`an upstream of ${b.key} timed out\n`)}`,
  ];
  // In Node mode the replicas stay in their slots, disabled: switching back needs no reload.
  const replicaFlags = node ? ' disabled' : '';
  b.stable.forEach((s, i) => lines.push(renderSlot(slotName('stable', i), s, replicaFlags)));
  b.canary.forEach((s, i) => lines.push(renderSlot(slotName('canary', i), s, ` backup${replicaFlags}`)));
  lines.push(node ? `  server ${nodeSlot} 127.0.0.1:${b.nodePort}` : `  server ${nodeSlot} 127.0.0.1:1 disabled`);
  return lines;
}

/** The Node listeners' 414 and 431 (requestLimits.ts), first in every frontend. */
const limitRules = [
  `  http-request return status 414 content-type text/plain string ${quote(tooLargeBody(414))} hdr connection close if { url,length gt ${MAX_URL_BYTES} }`,
  `  http-request return status 431 content-type text/plain string ${quote(tooLargeBody(431))} hdr connection close if { req.hdrs,length gt ${MAX_HEADER_BYTES} }`,
];

/** Request headers the Node proxy sets (see headers.ts): the original Host, and the scheme. */
const forwardingRules = [
  '  http-request set-header X-Forwarded-Host %[req.hdr(host)] if { req.hdr(host) -m found }',
  '  http-request del-header X-Forwarded-Host unless { req.hdr(host) -m found }',
  '  http-request set-header X-Forwarded-Proto http',
];

/** The HTTPS bind, and the redirect of plain HTTP to it, as the Node edge does them. */
function tlsRules(t: EdgeTlsModel): string[] {
  const lines = [`  bind 127.0.0.1:${t.port} ssl crt-list ${t.crtList}`];
  if (t.redirect) {
    const port = t.port === 443 ? '' : `:${t.port}`;
    lines.push(
      `  http-request redirect location https://%[req.hdr(host),lower,regsub(:[0-9]+$,)]${port}%[url] code 308 if !{ ssl_fc } { req.hdr(host) -m found }`,
      `  http-request redirect location https://127.0.0.1${port}%[url] code 308 if !{ ssl_fc }`,
    );
  }
  return lines;
}

/** The edge's Node backend, whose `node` slot says (srv_is_up) whether Node routes the edge. */
function renderEdgeBackend(e: EdgeFrontendModel): string[] {
  return [
    `backend ${proxyName('e', e.key)}`,
    `  http-error status 503 content-type text/plain string ${quote(`no route of ${e.key} is served right now\n`)}`,
    `  http-error status 502 content-type text/plain string ${quote(`the Node edge of ${e.key} failed\n`)}`,
    `  http-error status 504 content-type text/plain string ${quote(`the Node edge of ${e.key} timed out\n`)}`,
    e.nodePort !== undefined
      ? `  server ${nodeSlot} 127.0.0.1:${e.nodePort}`
      : `  server ${nodeSlot} 127.0.0.1:1 disabled`,
  ];
}

/** True for a request of an edge frontend that goes to the Node edge (txn.route -1, set first). */
const TO_NODE = 'to_node';

function renderEdge(e: EdgeFrontendModel, backends: ReadonlySet<string>, m: HaproxyModel): string[] {
  const lines = [`frontend ${proxyName('f', `edge/${e.key}`)}`, `  bind 127.0.0.1:${e.port}`];
  if (e.tls) lines.push(...tlsRules(e.tls));
  lines.push(...limitRules, closingRule);
  // Node routes the edge while the edge backend's node slot is up (the gateway switches it through
  // the admin socket): route -1 skips every native rule below; a request decides once, here.
  lines.push(
    `  http-request set-var(txn.route) int(-1) if { srv_is_up(${proxyName('e', e.key)}/${nodeSlot}) }`,
    `  acl ${TO_NODE} var(txn.route) -m int lt 0`,
    // The Node edge sets the forwarding headers itself, from the original request; the scheme it
    // cannot see (TLS ends here) it takes from this header, which no client can set through here.
    `  http-request set-header X-Forwarded-Proto http`,
  );
  if (e.tls) lines.push('  http-request set-header X-Forwarded-Proto https if { ssl_fc }');
  lines.push(
    `  http-request set-header X-Forwarded-Host %[req.hdr(host)] if !${TO_NODE} { req.hdr(host) -m found }`,
    `  http-request del-header X-Forwarded-Host if !${TO_NODE} !{ req.hdr(host) -m found }`,
  );
  if (m.traceLogPort !== undefined) lines.push(...traceRules(m.tracing !== false, TO_NODE));
  // In the Node router's order (exact hosts, longer wildcards, shorter ones, any host; then the
  // longest prefix; table order on ties): the first rule that matches wins, as there.
  const routes = compileRoutes(e.routes ?? [], (r) => r.target);
  if (routes.some((r) => r.host !== undefined)) {
    // Lower case without the port; `[::1]:80` keeps its brackets, like normaliseHost.
    lines.push('  http-request set-var(txn.host) req.hdr(host),lower,regsub(:[0-9]+$,)');
  }
  routes.forEach((route, n) => {
    const conds = ['!{ var(txn.route) -m found }'];
    if (route.wildcard !== undefined)
      // `*.shop.local`: exactly one label in front of the suffix, as wildcardMatches.
      conds.push(`{ var(txn.host) -m reg ${quoted(`^[^.]+${regexEscape(route.wildcard)}$`)} }`);
    else if (route.host !== undefined) conds.push(`{ var(txn.host) -m str ${quoted(route.host)} }`);
    // A prefix matches at a segment boundary: the path is the prefix, or continues with `/`.
    if (route.prefix !== '')
      conds.push(
        `{ path -m str ${quoted(route.prefix)} } || ${conds.join(' ')} { path -m beg ${quoted(`${route.prefix}/`)} }`,
      );
    lines.push(`  http-request set-var(txn.route) int(${n}) if ${conds.join(' ')}`);
  });
  lines.push(
    `  http-request return status 404 content-type text/plain string ${quote(`no route of ${e.key} matches this request\n`)} unless { var(txn.route) -m found }`,
  );
  routes.forEach((route, n) => {
    const is = `{ var(txn.route) -m int ${n} }`;
    if (!backends.has(route.target)) {
      lines.push(
        `  http-request return status 503 content-type text/plain string ${quote(`no ready replicas for ${route.target}\n`)} if ${is}`,
      );
      return;
    }
    if (route.stripPrefix && route.prefix !== '') {
      // rewritePath: the rest after the prefix, always starting with `/` (the query is not part of the path).
      lines.push(`  http-request replace-path ${quoted(`^${regexEscape(route.prefix)}/?(.*)$`)} /\\1 if ${is}`);
    }
  });
  lines.push(`  use_backend ${proxyName('e', e.key)} if ${TO_NODE}`);
  routes.forEach((route, n) => {
    if (backends.has(route.target))
      lines.push(`  use_backend ${proxyName('s', route.target)} if { var(txn.route) -m int ${n} }`);
  });
  return lines;
}

/** haproxy.cfg for `m`. */
export function renderConfig(m: HaproxyModel): string {
  const hardStopS = Math.ceil((m.hardStopAfterMs ?? 30_000) / 1000);
  const out = [
    '# Written by the Berth gateway; changes are overwritten on the next reload.',
    'global',
    '  master-worker',
    // expose-fd listeners: a reloaded worker takes the listening sockets over, so no SYN is refused.
    `  stats socket ${m.dir}/admin.sock mode 600 level admin expose-fd listeners`,
    // One thread: on a 2-core machine the replicas, the gateway's Node process and the clients need
    // the other core; a second HAProxy thread only adds lock contention there.
    '  nbthread 1',
    // Room for a request head over the 414/431 limits, so those answers can be given (not a 400).
    `  tune.bufsize ${PARSER_BYTES}`,
    `  tune.http.maxhdr ${MAX_HEADER_FIELDS}`,
    // Old workers finish their requests (bounded); their idle keep-alive clients are closed at once.
    `  hard-stop-after ${hardStopS}s`,
    '',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    // No `option idle-close-on-response`: on a reload the old worker closes its idle client
    // connections at once (HAProxy's default), so a listener the reload removes or gives to another
    // edge is gone for them too, as a closed Node listener is, instead of answering each once more
    // with the old config. Busy keep-alive clients are not idle then: every response of the worker
    // closes its connection while the reload is under way (closingServer).
    '  option forwardfor',
    // Idle upstream connections are shared between clients: the replica's keep-alive is the pool.
    '  http-reuse always',
    // A replica that refuses a connection (it just exited) costs a retry on another one, not an error.
    '  retries 2',
    '  option redispatch 1',
    '  timeout connect 1s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-request 10s',
    '  timeout http-keep-alive 10s',
    '  timeout queue 5s',
  ];
  const backends = new Set(m.backends.map((b) => b.key));
  // HAProxy traces what it serves alone; what it hands to Node is traced there.
  const native = new Set(m.backends.filter((b) => b.nodePort === undefined).map((b) => b.key));
  for (const s of m.services) {
    out.push(
      '',
      `frontend ${proxyName('f', s.key)}`,
      ...serviceBinds(s),
      ...limitRules,
      ...forwardingRules,
      closingRule,
    );
    if (m.traceLogPort !== undefined && native.has(s.key)) out.push(...traceRules(m.tracing !== false));
    out.push(`  default_backend ${proxyName('s', s.key)}`);
  }
  for (const e of m.edges) out.push('', ...renderEdge(e, backends, m), '', ...renderEdgeBackend(e));
  for (const b of m.backends) if (b.mode !== 'tcp') out.push('', ...renderBackend(b));
  out.push('', `backend ${closingServer.backend}`, `  server ${closingServer.server} 127.0.0.1:1 disabled`);
  if (m.traceLogPort !== undefined) out.push('', ...logRing(m.traceLogPort));
  const tcp = m.backends.filter((b) => b.mode === 'tcp');
  if (tcp.length > 0) {
    // L4 proxies after defaults of their own, so no HTTP option applies to them.
    out.push('', 'defaults', '  mode tcp', '  retries 2', '  option redispatch 1', '  timeout connect 1s');
    out.push(`  timeout client ${TCP_IDLE}`, `  timeout server ${TCP_IDLE}`, '  timeout queue 5s');
  }
  for (const f of m.tcp ?? []) {
    out.push('', `frontend ${proxyName('f', f.key)}`, ...serviceBinds(f));
    out.push(`  default_backend ${proxyName('s', f.key)}`);
  }
  for (const b of tcp) out.push('', ...renderBackend(b));
  return `${out.join('\n')}\n`;
}
