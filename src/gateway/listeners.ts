/**
 * The gateway's listeners: one HTTP server per service port and per edge port, reconciled
 * against each new table. Existing listeners are updated in place (their BackendSet and
 * compiled routes are swapped, the socket stays open); new ports are bound; listeners that are
 * gone stop accepting, finish their in-flight requests and close their idle connections.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { BackendSet } from './balancer.js';
import { Balancer } from './balancer.js';
import type { PoolOptions } from './balancer.js';
import { forwardHeaders } from './headers.js';
import type { ListenerStats } from './listenerStats.js';
import { proxyRequest, sendText } from './proxy.js';
import { newListenerStats } from './listenerStats.js';
import { countBackend } from './exchange.js';
import type { ActivePolicy } from './policy.js';
import type { RouteCounters } from './routeCounters.js';
import { routeLabel } from './routeCounters.js';
import type { CompiledRoute } from './router.js';
import { compileRoutes, matchRoute, normaliseHost, rewritePath } from './router.js';
import { isWildcardHost, wildcardMatches } from '../model/hosts.js';
import type { EdgeCertificateFiles, RoutingTable, ServiceTraffic } from './table.js';
import { proxyUpgrade, rejectUpgrade } from './upgrade.js';
import { TcpListeners } from './tcpListeners.js';
import { ExtraBinds, listenLoopback, type HostBindError } from './bind.js';
import type { ListenerError, ListenerStatsJSON } from './listenerTypes.js';
import type { DataPlaneListeners } from './dataPlane.js';
import type { SpanQueue } from './spans.js';
import {
  answerAndClose,
  MAX_HEADER_FIELDS,
  headTooLarge,
  onClientError,
  PARSER_BYTES,
  tooLargeAnswer,
  tooLargeBody,
} from './requestLimits.js';

export type { ListenerError, ListenerStatsJSON } from './listenerTypes.js';

/** What an edge route resolves to at apply time. */
interface RouteTarget {
  set: BackendSet | undefined;
  unavailable: Buffer;
  /** The route's policy over its service's, or the service's; undefined when neither has one. */
  policy: ActivePolicy | undefined;
  /** Where requests through the route count, beside their track; undefined without a target. */
  counters: RouteCounters | undefined;
  /** The target service's key, and the route's label (host and path prefix), for its spans. */
  service: string;
  label: string;
}

type ListenerKind = Exclude<ListenerStatsJSON['kind'], 'tcp'>;

/** A certificate ready for SNI: exact hosts, and wildcard suffixes (`.shop.local`) longest first. */
interface SniEntry {
  exact: Set<string>;
  wildcards: string[];
  context: SecureContext;
}

/** Loads the certificates' files; throws naming the hosts of one that cannot be used. */
function loadCertificates(certs: readonly EdgeCertificateFiles[]): {
  entries: SniEntry[];
  first: { cert: Buffer; key: Buffer };
} {
  let first: { cert: Buffer; key: Buffer } | undefined;
  const entries = certs.map((c) => {
    try {
      const pair = { cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) };
      first ??= pair;
      const hosts = c.hosts.map((h) => h.toLowerCase());
      return {
        exact: new Set(hosts.filter((h) => !isWildcardHost(h))),
        wildcards: hosts.filter(isWildcardHost).map((h) => h.slice(1)),
        context: createSecureContext(pair),
      };
    } catch (err) {
      throw new Error(`certificate for ${c.hosts.join(', ')}: ${(err as Error).message}`);
    }
  });
  if (first === undefined) throw new Error('an HTTPS edge needs a certificate');
  return { entries, first };
}

class Listener {
  readonly kind: ListenerKind;
  readonly key: string;
  readonly port: number;
  readonly server: Server | HttpsServer;
  readonly secure: boolean;
  /**
   * An internal hand-off port of the HAProxy data plane: HAProxy (which terminates TLS) sets
   * X-Forwarded-Proto on every request it passes here, so an edge takes the scheme from it.
   */
  readonly handoff: boolean;
  /** The HTTPS port an HTTP edge redirects to; undefined: it serves. */
  redirectPort: number | undefined;
  private sniEntries: SniEntry[] = [];
  readonly stats: ListenerStats = newListenerStats();
  readonly tunnels = new Set<Duplex>();
  /** A service address's further hosts (RoutingTable.serviceHosts); an edge has none. */
  readonly extra: ExtraBinds;
  set: BackendSet | undefined;
  routes: CompiledRoute<RouteTarget>[] = [];
  noRoute: Buffer;
  /** Where ended hops go when tracing is on. */
  private readonly spans: SpanQueue | undefined;

  constructor(
    kind: ListenerKind,
    key: string,
    port: number,
    keepAliveTimeoutMs: number,
    spans: SpanQueue | undefined,
    secure = false,
    handoff = false,
  ) {
    this.kind = kind;
    this.spans = spans;
    this.key = key;
    this.port = port;
    this.secure = secure;
    this.handoff = handoff;
    this.noRoute = Buffer.from(`no route of ${key} matches this request\n`);
    const opts = { keepAliveTimeout: keepAliveTimeoutMs, maxHeaderSize: PARSER_BYTES };
    const handler = kind === 'service' ? this.onServiceRequest : this.onEdgeRequest;
    this.server = secure
      ? createHttpsServer({ ...opts, SNICallback: (name, cb) => cb(null, this.contextFor(name)) }, handler)
      : createServer(opts, handler);
    this.server.maxHeadersCount = MAX_HEADER_FIELDS;
    this.server.on('upgrade', this.onUpgrade);
    this.server.on('clientError', onClientError);
    this.extra = new ExtraBinds(this.server, port);
  }

  /** Uses these certificates from the next handshake on; throws (keeping the old ones) if one cannot be loaded. */
  setCertificates(certs: readonly EdgeCertificateFiles[]): void {
    const { entries, first } = loadCertificates(certs);
    (this.server as HttpsServer).setSecureContext(first);
    this.sniEntries = entries;
  }

  /** The certificate for an SNI name: exact host, then the longest wildcard, else the default (undefined). */
  private contextFor(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase();
    let best: SniEntry | undefined;
    let bestLength = -1;
    for (const e of this.sniEntries) {
      if (e.exact.has(name)) return e.context;
      for (const w of e.wildcards)
        if (w.length > bestLength && wildcardMatches(name, w)) {
          best = e;
          bestLength = w.length;
        }
    }
    return best?.context;
  }

  /**
   * The scheme the client used: this listener's own, or on a hand-off port the one HAProxy names
   * (it overwrites any X-Forwarded-Proto a client sends). A public port never trusts the header.
   */
  private proto(req: IncomingMessage): 'http' | 'https' {
    if (this.secure) return 'https';
    return this.handoff && req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  }

  /** Answers 308 to the https:// URL when this HTTP edge redirects; true if it did. */
  private redirected(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.redirectPort === undefined) return false;
    this.stats.requests++;
    const host = normaliseHost(req.headers.host) || '127.0.0.1';
    const location = `https://${host}${this.redirectPort === 443 ? '' : `:${this.redirectPort}`}${req.url!}`;
    const body = `moved to ${location}\n`;
    res.writeHead(308, {
      location,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return true;
  }

  /** Answers 414/431 (and closes) when the request head is over the limits; true if it did. */
  private refused(req: IncomingMessage, res?: ServerResponse): boolean {
    const status = headTooLarge(req);
    if (status === undefined) return false;
    this.stats.requests++;
    this.stats.errors++;
    if (res === undefined) answerAndClose(req.socket, tooLargeAnswer(status));
    else {
      res.shouldKeepAlive = false;
      sendText(res, status, tooLargeBody(status));
    }
    return true;
  }

  private readonly onServiceRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.refused(req, res)) return;
    const spans = this.spans;
    if (spans === undefined) return proxyRequest(req, res, this.set, req.url!, this.stats);
    const fwd = forwardHeaders(req.rawHeaders, req.socket.remoteAddress);
    const span = spans.begin(fwd, 'service', req.method!, this.key);
    proxyRequest(req, res, this.set, req.url!, this.stats, { fwd, span });
  };

  private readonly onEdgeRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.refused(req, res) || this.redirected(req, res)) return;
    const fwd = forwardHeaders(req.rawHeaders, req.socket.remoteAddress, this.proto(req));
    const url = req.url!;
    const route = matchRoute(this.routes, fwd.host, url);
    if (route === undefined) {
      this.stats.requests++;
      sendText(res, 404, this.noRoute);
      return;
    }
    const target = route.target;
    proxyRequest(req, res, target.set, rewritePath(route, url), this.stats, {
      fwd,
      unavailable: target.unavailable,
      policy: target.policy,
      route: target.counters,
      span: this.spans?.begin(fwd, 'edge', req.method!, target.service, this.key, target.label),
    });
  };

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (this.refused(req)) return;
    this.stats.requests++;
    const fwd = forwardHeaders(req.rawHeaders, req.socket.remoteAddress, this.proto(req));
    let set = this.set;
    let path = req.url!;
    let unavailable = set?.unavailableBody;
    if (this.kind === 'edge') {
      const route = matchRoute(this.routes, fwd.host, path);
      if (route === undefined) return rejectUpgrade(socket, 404, this.noRoute);
      set = route.target.set;
      unavailable = route.target.unavailable;
      path = rewritePath(route, path);
    }
    // Routed like any request (so an A/B header reaches the canary), but not counted in the track
    // counters: a tunnel's lifetime is no request latency.
    const upstream = set?.route(req)?.pick();
    if (upstream === undefined) {
      this.stats.errors++;
      if (set !== undefined) set.unavailable++;
      return rejectUpgrade(socket, 503, unavailable ?? 'no ready replicas\n');
    }
    countBackend(this.stats, upstream);
    proxyUpgrade(req, socket, head, upstream, path, fwd, this.tunnels);
  };

  listen(): Promise<void> {
    return listenLoopback(this.server, this.port);
  }

  /** Stops accepting, lets in-flight requests finish (at most `timeoutMs`), then cuts what is left. */
  close(timeoutMs: number): Promise<void> {
    this.extra.close();
    return new Promise((resolve) => {
      const server = this.server;
      // Connections that finish a response after close() would otherwise stay open as idle keep-alives.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const force = setTimeout(() => {
        server.closeAllConnections();
        for (const s of this.tunnels) s.destroy();
      }, timeoutMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  statsJSON(): ListenerStatsJSON {
    const { requests, errors, inFlight } = this.stats;
    return {
      kind: this.kind,
      key: this.key,
      port: this.port,
      requests,
      errors,
      inFlight,
      backends: Object.fromEntries(this.stats.backends),
    };
  }
}

/** Waits for `p` at most `ms`; true if it settled in time. */
async function withTimeout(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([p.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

/** Options of the listener set. */
export interface ListenersOptions {
  /** Longest time a removed listener (or the whole gateway on close) waits for in-flight requests. */
  drainTimeoutMs?: number;
  /**
   * Longest time `apply` waits for requests in flight to removed backends before it resolves
   * (streams and long polls may take longer; they still finish, the caller just is not told).
   */
  removalWaitMs?: number;
  /** Idle keep-alive timeout of client connections. */
  keepAliveTimeoutMs?: number;
  pool?: Partial<PoolOptions>;
  /**
   * Every listener is an internal hand-off port behind the HAProxy data plane, which sets
   * X-Forwarded-Proto (`https` for what it received over TLS): edges take the scheme from it.
   */
  handoff?: boolean;
  /** Tracing: every proxied hop continues or starts a W3C trace and queues its span here. Off when absent. */
  spans?: SpanQueue;
}

/** All listeners of the gateway and the balancer behind them: the Node data plane. */
export class Listeners implements DataPlaneListeners {
  private readonly balancer: Balancer;
  private readonly tcp: TcpListeners;
  private readonly listeners = new Map<string, Listener>();
  private readonly closing = new Set<Promise<void>>();
  private readonly drainTimeoutMs: number;
  private readonly keepAliveTimeoutMs: number;
  private readonly removalWaitMs: number;
  private readonly handoff: boolean;
  private readonly spans: SpanQueue | undefined;

  constructor(opts: ListenersOptions = {}) {
    this.handoff = opts.handoff ?? false;
    this.spans = opts.spans;
    this.removalWaitMs = opts.removalWaitMs ?? 3_000;
    this.balancer = new Balancer(opts.pool);
    this.tcp = new TcpListeners({ drainTimeoutMs: opts.drainTimeoutMs ?? 10_000 });
    this.drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
    this.keepAliveTimeoutMs = opts.keepAliveTimeoutMs ?? 30_000;
  }

  /**
   * Makes the listeners serve `table`. Resolves once every new listener listens and the new
   * backends are in use; ports that cannot be bound are returned, the rest is applied regardless.
   */
  async apply(table: RoutingTable): Promise<ListenerError[]> {
    const drained = this.balancer.apply(table.services);

    const wanted = new Map<string, { kind: ListenerKind; key: string; port: number; secure?: boolean }>();
    for (const s of table.services) wanted.set(`service ${s.key}`, { kind: 'service', key: s.key, port: s.port });
    for (const e of table.edges) {
      wanted.set(`edge ${e.key}`, { kind: 'edge', key: e.key, port: e.port });
      if (e.tls) wanted.set(`edge-tls ${e.key}`, { kind: 'edge', key: e.key, port: e.tls.port, secure: true });
    }

    // Close first, so a port that moves from one key to another is free to bind.
    for (const [id, l] of this.listeners) {
      const w = wanted.get(id);
      if (w === undefined || w.port !== l.port) {
        this.listeners.delete(id);
        this.track(l.close(this.drainTimeoutMs));
      }
    }

    // Service addresses listen on the table's further hosts too; a hand-off port behind HAProxy never does.
    const hosts = this.handoff ? [] : (table.serviceHosts ?? []);
    // L4 listeners between the two: a port that moves between HTTP and L4 is free on both sides.
    const errors: ListenerError[] = await this.tcp.apply(table.tcp ?? [], hosts);

    const created = new Map<string, Listener>();
    for (const [id, w] of wanted) {
      if (!this.listeners.has(id))
        created.set(
          id,
          new Listener(w.kind, w.key, w.port, this.keepAliveTimeoutMs, this.spans, w.secure, this.handoff),
        );
    }
    // Backends and routes are set before any new listener accepts, so none serves an empty table.
    const find = (id: string): Listener | undefined => this.listeners.get(id) ?? created.get(id);
    for (const s of table.services) {
      const l = find(`service ${s.key}`);
      if (l) l.set = this.balancer.set(s.key);
    }
    for (const e of table.edges) {
      const secure = find(`edge-tls ${e.key}`);
      if (secure && e.tls) {
        try {
          secure.setCertificates(e.tls.certificates);
        } catch (err) {
          // Not listening without its certificates (a listening one keeps its old ones).
          created.delete(`edge-tls ${e.key}`);
          errors.push({ key: e.key, port: e.tls.port, message: (err as Error).message });
        }
      }
      const plain = find(`edge ${e.key}`);
      if (plain) plain.redirectPort = e.tls?.redirect ? e.tls.port : undefined;
      if (!plain && !secure) continue;
      // One compiled table for both ports: a route's policy state and counters are the same.
      const routes = compileRoutes(e.routes, (r) => {
        const set = this.balancer.set(r.target);
        return {
          set,
          unavailable: Buffer.from(`no ready replicas for ${r.target}\n`),
          policy: set?.policies.route(e.key, r),
          counters: set?.routes.route(e.key, r),
          service: r.target,
          label: routeLabel(r),
        };
      });
      if (plain) plain.routes = routes;
      if (secure) secure.routes = routes;
    }
    this.balancer.commitRoutes();

    await Promise.all(
      [...created].map(([id, l]) =>
        l.listen().then(
          () => void this.listeners.set(id, l),
          (err: NodeJS.ErrnoException) =>
            void errors.push({ key: l.key, port: l.port, message: err.code ?? err.message }),
        ),
      ),
    );

    await Promise.all(
      [...this.listeners.values()]
        .filter((l) => l.kind === 'service')
        .map((l) =>
          l.extra
            .set(hosts)
            .catch((err: HostBindError) => void errors.push({ key: l.key, port: l.port, message: err.code })),
        ),
    );

    // A request dispatched just before this table may still sit in a removed backend's pool,
    // unwritten: acknowledging now would let the caller stop that backend while the request is on
    // the wire. So wait (bounded) until the removed backends have finished what they were given.
    await withTimeout(drained, this.removalWaitMs);

    const used = this.balancer.upstreamIds();
    for (const l of this.listeners.values()) {
      for (const id of l.stats.backends.keys()) if (!used.has(id)) l.stats.backends.delete(id);
    }
    return errors;
  }

  /** Counters of every listener. */
  stats(): ListenerStatsJSON[] {
    return [...[...this.listeners.values()].map((l) => l.statsJSON()), ...this.tcp.stats()];
  }

  /** Cumulative per-track counters of every service of the table. */
  traffic(): ServiceTraffic[] {
    return this.balancer.traffic();
  }

  /** Closes every listener and pool, waiting at most the drain timeout for in-flight requests. */
  async close(): Promise<void> {
    for (const l of this.listeners.values()) this.track(l.close(this.drainTimeoutMs));
    this.listeners.clear();
    await Promise.all([...this.closing, this.tcp.close()]);
    if (!(await withTimeout(this.balancer.close(), this.drainTimeoutMs))) await this.balancer.destroy();
  }

  private track(p: Promise<void>): void {
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
  }
}
