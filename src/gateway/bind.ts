/**
 * Binding a listener of the gateway: 127.0.0.1, the port's error (EADDRINUSE...) as a rejection;
 * and for a service address, the further hosts the table names (RoutingTable.serviceHosts: the
 * bridge address Docker's containers reach this machine at), each bound apart and handing its
 * connections to the listener's own server.
 */
import { createServer, type Server, type ServerOpts } from 'node:net';

/** Listens on `host`:`port`; rejects with the bind error instead of emitting it. */
function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Listens on 127.0.0.1:`port`; rejects with the bind error instead of emitting it. */
export function listenLoopback(server: Server, port: number): Promise<void> {
  return listenOn(server, port, '127.0.0.1');
}

/** A bind error on one of the further hosts, naming it (`172.17.0.1: EADDRNOTAVAIL`). */
export class HostBindError extends Error {
  readonly code: string;
  constructor(host: string, code: string) {
    super(`${host}: ${code}`);
    this.code = `${host}: ${code}`;
  }
}

/**
 * The further addresses of one listener: a plain TCP server per host whose connections go to
 * `server` as its own (its 'connection' event: an HTTP server parses them, an L4 listener pipes
 * them), so requests and counters are the same whichever address a client used.
 */
export class ExtraBinds {
  private readonly bound = new Map<string, Server>();
  private readonly server: Server;
  private readonly port: number;
  private readonly opts: ServerOpts;

  /** `opts`: the socket options of `server`'s own connections (pauseOnConnect, allowHalfOpen). */
  constructor(server: Server, port: number, opts: ServerOpts = {}) {
    this.server = server;
    this.port = port;
    this.opts = opts;
  }

  /** The hosts listened on now. */
  hosts(): string[] {
    return [...this.bound.keys()];
  }

  /**
   * Listens on every host of `hosts` not bound yet and stops listening on the others. A host that
   * cannot be bound stays unbound (a later call tries it again); the first such error is thrown
   * once every host was tried.
   */
  async set(hosts: readonly string[]): Promise<void> {
    const wanted = new Set(hosts);
    for (const [host, s] of this.bound) {
      if (wanted.has(host)) continue;
      this.bound.delete(host);
      s.close();
    }
    let first: HostBindError | undefined;
    for (const host of wanted) {
      if (this.bound.has(host)) continue;
      const s = createServer(this.opts, (socket) => this.server.emit('connection', socket));
      try {
        await listenOn(s, this.port, host);
        this.bound.set(host, s);
      } catch (err) {
        first ??= new HostBindError(host, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    }
    if (first) throw first;
  }

  /** Stops accepting on every further host (the connections accepted belong to the listener's server). */
  close(): void {
    for (const s of this.bound.values()) s.close();
    this.bound.clear();
  }
}
