/**
 * The gateway's L4 listeners (Node data plane): one `net` server per TcpListener of the table. Each
 * client connection goes to the ready backend with the fewest open connections (round robin among
 * equals) and is piped both ways. A table update swaps the backends in place: the listening socket
 * and every connection to a backend that stays are untouched; a backend that leaves gets no new
 * connection, and its open ones are closed after the listener's grace period (when the replica has
 * not closed them itself by then).
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { ListenerStatsJSON } from './listenerTypes.js';
import type { ListenerError, TcpListener } from './table.js';
import { ExtraBinds, listenLoopback, type HostBindError } from './bind.js';

/** Per-listener counters as `GET /stats` reports them (kind `tcp`; `requests` counts connections). */
type TcpStatsJSON = ListenerStatsJSON & { kind: 'tcp' };

/** The listener's id: `app/env/service:name`. */
export function tcpListenerId(l: Pick<TcpListener, 'key' | 'name'>): string {
  return `${l.key}:${l.name}`;
}

/** One backend and its open connections (pairs of client and upstream sockets). */
class TcpBackend {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly conns = new Set<Socket>();
  /** Connections opened to it, ever. */
  opened = 0;
  /** Set once the backend left the table: closes what is still open. */
  private closer: NodeJS.Timeout | undefined;

  constructor(id: string, host: string, port: number) {
    this.id = id;
    this.host = host;
    this.port = port;
  }

  /** No new connections; the open ones get `graceMs`, then are destroyed. */
  retire(graceMs: number): void {
    if (this.closer !== undefined) return;
    if (this.conns.size === 0) return;
    this.closer = setTimeout(() => {
      for (const s of this.conns) s.destroy();
    }, graceMs);
    this.closer.unref();
  }

  /** Back in the table (a replica ready again within its grace period): its connections stay. */
  revive(): void {
    if (this.closer !== undefined) clearTimeout(this.closer);
    this.closer = undefined;
  }

  /** Closes every connection now. */
  destroy(): void {
    if (this.closer !== undefined) clearTimeout(this.closer);
    for (const s of this.conns) s.destroy();
  }
}

const backendKey = (b: { id: string; host: string; port: number }): string => `${b.id}@${b.host}:${b.port}`;

class L4Listener {
  readonly id: string;
  readonly port: number;
  readonly server: Server;
  backends: TcpBackend[] = [];
  graceMs = 30_000;
  private next = 0;
  connections = 0;
  errors = 0;
  /** Every backend with open connections, the current ones and those that left. */
  readonly all = new Map<string, TcpBackend>();
  /** The further hosts of this address (RoutingTable.serviceHosts). */
  readonly extra: ExtraBinds;

  constructor(id: string, port: number) {
    this.id = id;
    this.port = port;
    const opts = { pauseOnConnect: true, allowHalfOpen: true };
    this.server = createServer(opts, (client) => this.onConnection(client));
    this.extra = new ExtraBinds(this.server, port, opts);
  }

  /** Swaps in `wanted`: kept backends keep their connections, new ones are added, removed ones retire. */
  setBackends(l: TcpListener): void {
    this.graceMs = l.graceMs;
    const wanted = new Map(l.backends.map((b) => [backendKey(b), b]));
    const next: TcpBackend[] = [];
    for (const [k, b] of wanted) {
      let have = this.all.get(k);
      if (have === undefined) {
        have = new TcpBackend(b.id, b.host, b.port);
        this.all.set(k, have);
      } else have.revive();
      next.push(have);
    }
    for (const [k, b] of this.all) {
      if (wanted.has(k)) continue;
      b.retire(this.graceMs);
      if (b.conns.size === 0) this.all.delete(k);
    }
    this.backends = next;
  }

  /** The ready backend with the fewest open connections, round robin among equals; skipping `tried`. */
  private pick(tried: ReadonlySet<TcpBackend>): TcpBackend | undefined {
    const n = this.backends.length;
    let best: TcpBackend | undefined;
    for (let i = 0; i < n; i++) {
      const b = this.backends[(this.next + i) % n]!;
      if (tried.has(b)) continue;
      if (best === undefined || b.conns.size < best.conns.size) best = b;
    }
    if (best !== undefined) this.next = (this.backends.indexOf(best) + 1) % Math.max(1, n);
    return best;
  }

  private onConnection(client: Socket): void {
    this.connections++;
    client.setNoDelay(true);
    client.on('error', () => undefined);
    this.attempt(client, new Set());
  }

  /** Connects `client` to a backend; one that refuses (it just exited) costs a try on another one. */
  private attempt(client: Socket, tried: Set<TcpBackend>): void {
    const b = this.pick(tried);
    if (b === undefined || client.destroyed) {
      this.errors++;
      client.destroy();
      return;
    }
    tried.add(b);
    const upstream = connect({ host: b.host, port: b.port, noDelay: true, allowHalfOpen: true });
    // Counted at once, so the next pick already sees it (least connections under a burst).
    b.conns.add(upstream);
    let connected = false;
    const onClientGone = (): void => void upstream.destroy();
    client.once('close', onClientGone);
    upstream.once('connect', () => {
      connected = true;
      b.opened++;
      b.conns.add(client);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => undefined);
    upstream.once('close', () => {
      b.conns.delete(upstream);
      if (!connected) {
        client.off('close', onClientGone);
        if (!client.destroyed) this.attempt(client, tried);
        return;
      }
      b.conns.delete(client);
      // The backend closed (or reset): end the client's side once what was read is written.
      client.end();
      setTimeout(() => client.destroy(), 1_000).unref();
      client.off('close', onClientGone);
      if (!this.backends.includes(b) && b.conns.size === 0) this.all.delete(backendKey(b));
    });
    client.once('close', () => void b.conns.delete(client));
  }

  listen(): Promise<void> {
    return listenLoopback(this.server, this.port);
  }

  /** Stops accepting; open connections get the grace period (bounded by `timeoutMs`), then are closed. */
  close(timeoutMs: number): Promise<void> {
    this.extra.close();
    return new Promise((resolve) => {
      const force = setTimeout(
        () => {
          for (const b of this.all.values()) b.destroy();
        },
        Math.min(timeoutMs, this.graceMs),
      );
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** Accepted, failed, and the sockets open to and from backends (each step of a connection moves it). */
  activity(): string {
    let sockets = 0;
    for (const b of this.all.values()) sockets += b.conns.size;
    return `${this.connections}.${this.errors}.${sockets}`;
  }

  statsJSON(): TcpStatsJSON {
    let inFlight = 0;
    const backends: Record<string, number> = {};
    for (const b of this.all.values()) {
      inFlight += b.conns.size / 2;
      backends[b.id] = b.opened;
    }
    return {
      kind: 'tcp',
      key: this.id,
      port: this.port,
      requests: this.connections,
      errors: this.errors,
      inFlight: Math.ceil(inFlight),
      backends,
    };
  }
}

/** Every L4 listener of the gateway. */
export class TcpListeners {
  private readonly listeners = new Map<string, L4Listener>();
  private readonly closing = new Set<Promise<void>>();
  private readonly drainTimeoutMs: number;

  constructor(opts: { drainTimeoutMs?: number } = {}) {
    this.drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
  }

  /**
   * Makes the L4 listeners serve `wanted`, each on 127.0.0.1 and on every one of `hosts`; returns
   * the ports that cannot be bound.
   */
  async apply(wanted: readonly TcpListener[], hosts: readonly string[] = []): Promise<ListenerError[]> {
    const byId = new Map(wanted.map((l) => [tcpListenerId(l), l]));
    for (const [id, l] of this.listeners) {
      const w = byId.get(id);
      if (w === undefined || w.port !== l.port) {
        this.listeners.delete(id);
        if (w === undefined) l.setBackends({ key: '', name: '', port: l.port, backends: [], graceMs: l.graceMs });
        this.track(l.close(this.drainTimeoutMs));
      }
    }
    const errors: ListenerError[] = [];
    await Promise.all(
      [...byId].map(async ([id, w]) => {
        let l = this.listeners.get(id);
        if (l !== undefined) l.setBackends(w);
        else {
          l = new L4Listener(id, w.port);
          l.setBackends(w);
          try {
            await l.listen();
            this.listeners.set(id, l);
          } catch (err) {
            const e = err as NodeJS.ErrnoException;
            errors.push({ key: id, port: w.port, message: e.code ?? e.message });
            return;
          }
        }
        await l.extra
          .set(hosts)
          .catch((err: HostBindError) => void errors.push({ key: id, port: w.port, message: err.code }));
      }),
    );
    return errors;
  }

  stats(): TcpStatsJSON[] {
    return [...this.listeners.values()].map((l) => l.statsJSON());
  }

  /**
   * Connections accepted, failed and open over every L4 listener (see DataPlaneListeners.activity);
   * undefined while one is closing (its connections end out of sight).
   */
  activity(): string | undefined {
    if (this.closing.size !== 0) return undefined;
    let text = `${this.listeners.size}`;
    for (const l of this.listeners.values()) text += `.${l.activity()}`;
    return text;
  }

  /** Closes every listener; open connections are cut after the drain timeout at most. */
  async close(): Promise<void> {
    for (const l of this.listeners.values()) this.track(l.close(this.drainTimeoutMs));
    this.listeners.clear();
    await Promise.all([...this.closing]);
  }

  private track(p: Promise<void>): void {
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
  }
}
