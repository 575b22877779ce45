/**
 * One HTTP(S) listener of the Node data plane: a service address (proxies to its BackendSet) or an
 * app's edge (matches a route, then proxies to its target), with WebSocket upgrades, HTTP → HTTPS
 * redirects, SNI certificates, request-head limits, its counters and a graceful close. The set of
 * them (listeners.ts) swaps its backends and routes in place on each table.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { BackendSet } from './balancer.js';
import { forwardHeaders } from './headers.js';
import type { ListenerStats } from './listenerStats.js';
import { proxyRequest, sendText } from './proxy.js';
import { newListenerStats } from './listenerStats.js';
import { countBackend } from './exchange.js';
import type { ActivePolicy } from './policy.js';
import type { RouteCounters } from './routeCounters.js';
import type { CompiledRoute } from './router.js';
import { matchRoute, normaliseHost, rewritePath } from './router.js';
import type { EdgeCertificateFiles } from './table.js';
import { proxyUpgrade, rejectUpgrade } from './upgrade.js';
import { ExtraBinds, listenLoopback } from './bind.js';
import type { ListenerStatsJSON } from './listenerTypes.js';
import type { SpanQueue } from './spans.js';
import { loadCertificates, sniContext, type SniEntry } from './edgeCertificates.js';
import {
  answerAndClose,
  MAX_HEADER_FIELDS,
  headTooLarge,
  onClientError,
  PARSER_BYTES,
  tooLargeAnswer,
  tooLargeBody,
} from './requestLimits.js';

/** What an edge route resolves to at apply time. */
export interface RouteTarget {
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

export type ListenerKind = Exclude<ListenerStatsJSON['kind'], 'tcp'>;

export class Listener {
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
    return sniContext(this.sniEntries, servername);
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
    const span = spans.begin(fwd, 'service', req.method!, this.key, undefined, undefined, req.url);
    proxyRequest(req, res, this.set, req.url!, this.stats, { fwd, span });
  };

  private readonly onEdgeRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.refused(req, res) || this.redirected(req, res)) return;
    const fwd = forwardHeaders(req.rawHeaders, req.socket.remoteAddress, this.proto(req));
    const url = req.url!;
    const route = matchRoute(this.routes, fwd.host, url);
    if (route === undefined) {
      this.stats.requests++;
      // A span with no service, as HAProxy records it: the trace shows where the request went astray.
      const span = this.spans?.begin(fwd, 'edge', req.method!, undefined, this.key, undefined, url);
      sendText(res, 404, this.noRoute);
      span?.end(undefined, 404, false, performance.now());
      return;
    }
    const target = route.target;
    proxyRequest(req, res, target.set, rewritePath(route, url), this.stats, {
      fwd,
      unavailable: target.unavailable,
      policy: target.policy,
      route: target.counters,
      span: this.spans?.begin(fwd, 'edge', req.method!, target.service, this.key, target.label, url),
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
