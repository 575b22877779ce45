/**
 * Stable ports on 127.0.0.1: one per service (its address in the gateway) and one per app (its
 * edge), persisted in `<home>/run/ports.json` so addresses survive control-plane restarts. Replica
 * ports are picked here too, avoiding every port the registry has handed out.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { writeJsonAtomic } from './shimFiles.js';

interface PortsFile {
  services: Record<string, number>;
  edges: Record<string, number>;
}

/** Asks the kernel for a free port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when `port` can be bound on 127.0.0.1 right now. */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The persisted port registry. Calls are serialised so two allocations never race. */
export class PortRegistry {
  private data: PortsFile;
  private queue: Promise<unknown> = Promise.resolve();

  private readonly file: string;
  private readonly edgePortPreference: number;

  constructor(file: string, edgePortPreference: number) {
    this.file = file;
    this.edgePortPreference = edgePortPreference;
    this.data = readPorts(file);
  }

  /** The stable port of `app/env/service`, allocated on first use. */
  servicePort(key: string): Promise<number> {
    return this.serial(async () => {
      const existing = this.data.services[key];
      if (existing !== undefined) return existing;
      const port = await this.pickFree();
      this.data.services[key] = port;
      this.save();
      return port;
    });
  }

  /** The edge port of `app/env`: the preference for the first app, else the next free one above it. */
  edgePort(key: string): Promise<number> {
    return this.serial(async () => {
      const existing = this.data.edges[key];
      if (existing !== undefined) return existing;
      const taken = this.taken();
      let port = this.edgePortPreference;
      for (let tries = 0; tries < 1000; tries++, port++) {
        if (port > 0 && port < 65536 && !taken.has(port) && (await canBind(port))) break;
      }
      this.data.edges[key] = port;
      this.save();
      return port;
    });
  }

  /** A free port for a replica: not bound now and not one of the registry's. */
  replicaPort(): Promise<number> {
    return this.serial(() => this.pickFree());
  }

  /** Known ports without allocating. */
  lookup(): { services: Readonly<Record<string, number>>; edges: Readonly<Record<string, number>> } {
    return this.data;
  }

  /** Forgets the ports of services (and the edge, when `edgeKey` is given) that were removed. */
  release(serviceKeys: string[], edgeKey?: string): Promise<void> {
    return this.serial(async () => {
      const drop = new Set(serviceKeys);
      this.data.services = Object.fromEntries(Object.entries(this.data.services).filter(([k]) => !drop.has(k)));
      if (edgeKey !== undefined)
        this.data.edges = Object.fromEntries(Object.entries(this.data.edges).filter(([k]) => k !== edgeKey));
      this.save();
    });
  }

  private taken(): Set<number> {
    return new Set([...Object.values(this.data.services), ...Object.values(this.data.edges)]);
  }

  private async pickFree(): Promise<number> {
    const taken = this.taken();
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) return port;
    }
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeJsonAtomic(this.file, this.data);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function readPorts(file: string): PortsFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<PortsFile>;
    return { services: parsed.services ?? {}, edges: parsed.edges ?? {} };
  } catch {
    return { services: {}, edges: {} };
  }
}
