/**
 * Stable ports on 127.0.0.1: one per service (its address in the gateway) and one per app (its
 * edge), persisted in `<home>/run/ports.json` so addresses survive control-plane restarts. Replica
 * ports are picked here too, avoiding every port the registry has handed out.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConflictError } from '../../errors.js';
import { bindError, freePort } from '../../localPorts.js';
import type { EdgeSettings } from '../../model/routing.js';
import type { WorkloadPort } from '../../model/ports.js';
import { writeJsonAtomic } from './shimFiles.js';

interface PortsFile {
  services: Record<string, number>;
  edges: Record<string, number>;
  /** Edge key → where its port was set, for edges whose port is configured exactly. */
  edgeSources?: Record<string, string>;
  /** Edge key → the preferred port its port was picked from. */
  edgePreferences?: Record<string, number>;
  /** `app/env/service/<index>` → the port of a stateful service's replica with that index. */
  replicas?: Record<string, number>;
}

const own = <T>(r: Record<string, T> | undefined, key: string): T | undefined =>
  r !== undefined && Object.hasOwn(r, key) ? r[key] : undefined;

export { freePort };

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

  /**
   * The edge port of `app/env`. A configured port (`settings.port`) is taken exactly: held by another
   * edge or a service address, it is a ConflictError naming both. Otherwise the preferred port
   * (`settings.preferredPort`, else the registry's) or the next free one above it, kept while the
   * preference stays the same.
   */
  edgePort(key: string, settings: EdgeSettings = {}): Promise<number> {
    return this.serial(async () => {
      const existing = own(this.data.edges, key);
      const fixed = settings.port;
      if (fixed !== undefined) {
        const holder = this.holderOf(fixed.port, key);
        if (holder !== undefined)
          throw new ConflictError(
            `edge port ${fixed.port} of ${key} (${fixed.from}) is already ${holder}; give one of them another port`,
          );
        this.setEdge(key, fixed.port, { source: fixed.from });
        return fixed.port;
      }
      const preference = settings.preferredPort ?? this.edgePortPreference;
      if (
        existing !== undefined &&
        own(this.data.edgeSources, key) === undefined &&
        (own(this.data.edgePreferences, key) ?? this.edgePortPreference) === preference
      )
        return existing;
      const taken = this.taken(key);
      let port = preference;
      for (let tries = 0; tries < 1000; tries++, port++) {
        if (
          port === existing ||
          (port > 0 && port < 65536 && !taken.has(port) && (await bindError(port)) === undefined)
        )
          break;
      }
      this.setEdge(key, port, { preference });
      return port;
    });
  }

  /**
   * The port of replica `index` of the stateful service `key`, kept until the service is removed (its
   * stable address, as a headless Service gives a StatefulSet's pod a stable name).
   */
  indexPort(key: string, index: number): Promise<number> {
    return this.serial(async () => {
      const replicaKey = `${key}/${index}`;
      const existing = own(this.data.replicas, replicaKey);
      if (existing !== undefined) return existing;
      const port = await this.pickFree();
      this.data.replicas = { ...this.data.replicas, [replicaKey]: port };
      this.save();
      return port;
    });
  }

  /** The ports of a stateful service's replicas by index (none for other services). */
  indexPorts(key: string): Map<number, number> {
    const out = new Map<number, number>();
    for (const [k, p] of Object.entries(this.data.replicas ?? {})) {
      const m = /^(.*)\/(\d+)$/.exec(k);
      if (m && m[1] === key) out.set(Number(m[2]), p);
    }
    return out;
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
      if (this.data.replicas)
        this.data.replicas = Object.fromEntries(
          Object.entries(this.data.replicas).filter(([k]) => !drop.has(k.slice(0, k.lastIndexOf('/')))),
        );
      if (edgeKey !== undefined) {
        const drop = ([k]: [string, unknown]): boolean => k !== edgeKey;
        this.data.edges = Object.fromEntries(Object.entries(this.data.edges).filter(drop));
        this.data.edgeSources = Object.fromEntries(Object.entries(this.data.edgeSources ?? {}).filter(drop));
        this.data.edgePreferences = Object.fromEntries(Object.entries(this.data.edgePreferences ?? {}).filter(drop));
      }
      this.save();
    });
  }

  /** Ports of the registry, but the edge `except`'s. */
  private taken(except?: string): Set<number> {
    const edges = Object.entries(this.data.edges).filter(([k]) => k !== except);
    return new Set([
      ...Object.values(this.data.services),
      ...edges.map(([, p]) => p),
      ...Object.values(this.data.replicas ?? {}),
    ]);
  }

  /** Who holds `port` in the registry but the edge `key`: `the edge of blog/local (berth.yaml edge.port)`. */
  private holderOf(port: number, key: string): string | undefined {
    for (const [k, p] of Object.entries(this.data.edges)) {
      if (k === key || p !== port) continue;
      const source = own(this.data.edgeSources, k);
      return `the edge of ${k}${source !== undefined ? ` (${source})` : ''}`;
    }
    for (const [k, p] of Object.entries(this.data.services)) if (p === port) return `the address of service ${k}`;
    return undefined;
  }

  private setEdge(key: string, port: number, how: { source: string } | { preference: number }): void {
    this.data.edges[key] = port;
    const sources = new Map(Object.entries(this.data.edgeSources ?? {}));
    const preferences = new Map(Object.entries(this.data.edgePreferences ?? {}));
    sources.delete(key);
    preferences.delete(key);
    if ('source' in how) sources.set(key, how.source);
    else preferences.set(key, how.preference);
    this.data.edgeSources = Object.fromEntries(sources);
    this.data.edgePreferences = Object.fromEntries(preferences);
    this.save();
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
    return {
      services: parsed.services ?? {},
      edges: parsed.edges ?? {},
      ...(parsed.edgeSources ? { edgeSources: parsed.edgeSources } : {}),
      ...(parsed.edgePreferences ? { edgePreferences: parsed.edgePreferences } : {}),
      ...(parsed.replicas ? { replicas: parsed.replicas } : {}),
    };
  } catch {
    return { services: {}, edges: {} };
  }
}

/**
 * A new replica's port per declared TCP port (`PORT_<NAME>`, replicaLaunch.ts): the first port is
 * `first` (its `$PORT`), each other one a free port of `registry`.
 */
export async function namedReplicaPorts(
  registry: Pick<PortRegistry, 'replicaPort'>,
  ports: readonly WorkloadPort[],
  first: number,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const taken = new Set([first]);
  for (const [i, p] of ports.entries()) {
    if (p.protocol !== 'TCP') continue;
    let other = i === 0 ? first : await registry.replicaPort();
    while (i > 0 && taken.has(other)) other = await registry.replicaPort();
    taken.add(other);
    out[p.name] = other;
  }
  return out;
}
