/**
 * The gateway's listeners with HAProxy as the data path (`--data-plane haproxy`). Same surface as
 * `Listeners`: HAProxy binds every public port; services without split or policy and edges whose
 * routes are all native are served by HAProxy alone, the others by a Node listener of this
 * gateway on an internal port, behind HAProxy. Replica changes go through the admin socket (no
 * reload); listener changes and slot growth reload HAProxy with the current servers rendered in.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DataPlaneListeners } from '../dataPlane.js';
import { ApplyCount } from '../dataPlane.js';
import { readJsonFile, writeFileAtomic } from '../state.js';
import type { ListenerStatsJSON, ListenersOptions } from '../listeners.js';
import { Listeners } from '../listeners.js';
import type { ListenerError, RoutingTable, ServiceTraffic } from '../table.js';
import type { StatRow } from './adminSocket.js';
import type { EdgeFrontendModel, HaproxyModel } from './config.js';
import { writeCrtList } from './crtList.js';
import { HaproxySpanReceiver } from './haproxySpans.js';
import {
  closingServer,
  isNativeEdge,
  isNativeService,
  nodeSlot,
  proxyName,
  renderConfig,
  structureKey,
} from './config.js';
import type { HaproxyPaths } from './haproxyProcess.js';
import { HaproxyProcess, haproxyPaths } from './haproxyProcess.js';
import type { SlotWant } from './slots.js';
import { assignSlots, modelWants, slotWants } from './slots.js';
import { bindError as probePort, freePort } from '../../localPorts.js';
import type { Counters } from './haproxyCounters.js';
import { IdleProbe } from './idleProbe.js';
import { StatPoller } from './statPoller.js';
import { purgeIdle, waitDrained } from './slotDrain.js';
import {
  addCounters,
  carryNodeCounters,
  countersFrom,
  listenerStats,
  serviceTraffic,
  zeroCounters,
} from './haproxyCounters.js';

/** Options of the HAProxy listener set. */
export interface HaproxyListenersOptions extends ListenersOptions {
  /** Directory of haproxy.cfg, its sockets and state (created if missing). */
  dir: string;
  /** HAProxy's log (its stderr); defaults to `<dir>/haproxy.log`. */
  log?: string;
  /** The haproxy binary; found on PATH when absent. */
  binary?: string;
  logger?: Logger;
  /** How often the request counters of native services are read from HAProxy. */
  statsIntervalMs?: number;
  /** The longest wait between idle probes of settled counters (default 30 s; a `fresh()` probes at once). */
  statsRestMs?: number;
}

/** What survives a gateway restart, beside HAProxy itself. */
interface SavedState {
  model: HaproxyModel;
  internalPorts: Record<string, number>;
  base: Record<string, Counters>;
}

/** All listeners of a gateway whose data path is HAProxy. */
export class HaproxyListeners implements DataPlaneListeners {
  private readonly node: Listeners;
  private readonly paths: HaproxyPaths;
  private readonly logger: Logger | undefined;
  private readonly removalWaitMs: number;
  private readonly drainTimeoutMs: number;
  private proc: HaproxyProcess | undefined;
  /** The latest placement of replicas in slots (what the next apply starts from). */
  private model: HaproxyModel | undefined;
  /** What HAProxy's current worker was loaded with (its listeners and slot counts). */
  private running: HaproxyModel | undefined;
  /** Runtime state HAProxy's current worker has per `backend/slot`; missing: unknown (push it). */
  private applied = new Map<string, SlotWant>();
  private internalPorts: Record<string, number> = {};
  private base: Record<string, Counters> = {};
  private reloading = false;
  private rows: StatRow[] = [];
  /** Where HAProxy logs what it serves alone: spans (tracing on), latency and edge routes for the counters. */
  private readonly spanReceiver: HaproxySpanReceiver;
  /** Bumped on every reload: a counter poll that straddles one is discarded. */
  private loads = 0;
  /** For activity(): applies, and counter reads that moved or batches of log lines (`moves`). */
  private readonly applies = new ApplyCount();
  private moves = 0;
  /** Reads `show stat` into `rows`: quickly while traffic moves, slowly while idle. */
  private readonly poller: StatPoller;
  /** The poller's reads and its probes (`show info` while no stream is in flight). */
  private readonly idleProbe: IdleProbe;
  private readonly statePath: string;
  private readonly opts: HaproxyListenersOptions;

  constructor(opts: HaproxyListenersOptions) {
    this.opts = opts;
    this.node = new Listeners({ ...opts, handoff: true });
    this.spanReceiver = new HaproxySpanReceiver(opts.spans, () => {
      this.moves++;
      this.poller.kick();
    });
    this.idleProbe = new IdleProbe(() => this.proc!.admin());
    this.poller = new StatPoller({
      intervalMs: opts.statsIntervalMs,
      restIntervalMs: opts.statsRestMs ?? 30_000,
      read: () => {
        if (this.reloading || this.proc === undefined) return undefined;
        const loads = this.loads;
        // A poll that straddles a reload is discarded.
        return this.idleProbe.read().then((rows) => (loads === this.loads ? rows : this.rows));
      },
      rows: (rows, moved) => {
        if (moved) this.moves++;
        this.rows = rows;
      },
      probe: () => (this.reloading || this.proc === undefined ? undefined : this.idleProbe.probe(this.rows)),
    });
    this.paths = haproxyPaths(opts.dir, opts.log);
    this.logger = opts.logger;
    this.removalWaitMs = opts.removalWaitMs ?? 3_000;
    this.drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
    this.statePath = join(opts.dir, 'dataplane.json');
    const procOpts = { paths: this.paths, binary: opts.binary, logger: opts.logger };
    this.proc = HaproxyProcess.adopt(procOpts);
    if (this.proc !== undefined) {
      let saved = readJsonFile(this.statePath) as Partial<SavedState> | undefined;
      if (saved !== undefined && saved.model !== undefined && !Array.isArray(saved.model.backends)) {
        // Another version's file, or a damaged one: start from nothing known, the first apply reloads.
        this.logger?.warn({ file: this.statePath }, 'ignoring a malformed dataplane.json');
        saved = undefined;
      }
      // The model HAProxy was last loaded with; without it the first apply reloads.
      this.model = saved?.model && {
        ...saved.model,
        // JSON has no `undefined`: free slots come back as null.
        backends: saved.model.backends.map((b) => ({
          ...b,
          stable: b.stable.map((x) => x ?? undefined),
          canary: b.canary.map((x) => x ?? undefined),
        })),
      };
      this.running = this.model;
      this.internalPorts = saved?.internalPorts ?? {};
      this.base = saved?.base ?? {};
      this.logger?.info({ pid: this.proc.pid }, 'adopted running haproxy');
    }
  }

  /** Pid of the HAProxy master, if it runs. */
  pid(): number | undefined {
    return this.proc?.pid;
  }

  /**
   * Makes HAProxy (and the Node listeners behind it) serve `table`. Resolves once new backends
   * are in use and removed ones have no request in flight (bounded by removalWaitMs) and their
   * idle connections are closed; ports that cannot be bound are returned and left out.
   */
  apply(table: RoutingTable): Promise<ListenerError[]> {
    return this.applies.during(() => this.applyTable(table));
  }

  private async applyTable(table: RoutingTable): Promise<ListenerError[]> {
    const errors: ListenerError[] = [];
    // Ports the running worker binds are ours; any other is probed (again after a failed reload).
    const held = new Set([
      ...[...(this.running?.services ?? []), ...(this.running?.edges ?? []), ...(this.running?.tcp ?? [])].map(
        (l) => l.port,
      ),
      ...(this.running?.edges ?? []).flatMap((e) => (e.tls ? [e.tls.port] : [])),
    ]);
    const bindable = async (key: string, port: number): Promise<boolean> => {
      if (held.has(port)) return true;
      const err = await probePort(port);
      if (err !== undefined) errors.push({ key, port, message: err });
      return err === undefined;
    };
    // A service address's further hosts (RoutingTable.serviceHosts): those the worker binds, and the others that probe free.
    const heldHosts = new Set(
      [...(this.running?.services ?? []), ...(this.running?.tcp ?? [])].flatMap((l) =>
        (l.hosts ?? []).map((h) => `${h}:${l.port}`),
      ),
    );
    const hostsOf = async (key: string, port: number): Promise<{ hosts?: string[] }> => {
      const hosts: string[] = [];
      for (const h of table.serviceHosts ?? []) {
        const err = heldHosts.has(`${h}:${port}`) ? undefined : await probePort(port, h);
        if (err === undefined) hosts.push(h);
        else errors.push({ key, port, message: `${h}: ${err}` });
      }
      return hosts.length > 0 ? { hosts } : {};
    };

    const known = new Set(table.services.map((s) => s.key));
    const native = new Set(table.services.filter(isNativeService).map((s) => s.key));
    const nodeEdges = table.edges.filter((e) => !isNativeEdge(e.routes, native, known));
    // Node listeners: services with a split or policy, and every service a Node edge routes to.
    const nodeServiceKeys = new Set(table.services.filter((s) => !native.has(s.key)).map((s) => s.key));
    for (const e of nodeEdges) for (const r of e.routes) if (known.has(r.target)) nodeServiceKeys.add(r.target);

    const portOf = async (id: string): Promise<number> => (this.internalPorts[id] ??= await freePort());
    const nodeTable: RoutingTable = { generation: table.generation, services: [], edges: [] };
    for (const s of table.services) {
      if (nodeServiceKeys.has(s.key)) nodeTable.services.push({ ...s, port: await portOf(`service ${s.key}`) });
    }
    // HAProxy terminates TLS and redirects: the Node edge behind it serves plain HTTP.
    for (const e of nodeEdges) {
      const { tls: _tls, ...plain } = e;
      nodeTable.edges.push({ ...plain, port: await portOf(`edge ${e.key}`) });
    }

    const next: HaproxyModel = { dir: this.paths.dir, services: [], edges: [], backends: [], tcp: [] };
    next.traceLogPort = await this.spanReceiver.start(this.model?.traceLogPort);
    next.traceLog = 'tcp';
    if (this.opts.spans === undefined) next.tracing = false;
    for (const s of table.services)
      if (await bindable(s.key, s.port))
        next.services.push({ key: s.key, port: s.port, ...(await hostsOf(s.key, s.port)) });
    for (const e of table.edges) {
      if (!(await bindable(e.key, e.port))) continue;
      const isNode = nodeEdges.includes(e);
      // Both ways are rendered: which one serves is the edge's node slot (no reload to switch).
      const edge: EdgeFrontendModel = { key: e.key, port: e.port, routes: e.routes };
      if (isNode) edge.nodePort = this.internalPorts[`edge ${e.key}`];
      if (e.tls && (await bindable(e.key, e.tls.port))) {
        try {
          edge.tls = {
            port: e.tls.port,
            redirect: e.tls.redirect,
            crtList: writeCrtList(this.paths.dir, e.key, e.tls),
          };
        } catch (err) {
          // Checked here: a certificate HAProxy cannot load would fail the whole reload.
          errors.push({ key: e.key, port: e.tls.port, message: (err as Error).message });
        }
      }
      next.edges.push(edge);
    }
    // L4 addresses: HAProxy serves them alone (`mode tcp`), with the same slots as HTTP backends.
    const tcpKeys = new Set<string>();
    for (const l of table.tcp ?? []) {
      const key = `${l.key}:${l.name}`;
      tcpKeys.add(key);
      if (await bindable(key, l.port)) next.tcp!.push({ key, port: l.port, ...(await hostsOf(key, l.port)) });
    }
    let grew = false;
    for (const l of table.tcp ?? []) {
      const key = `${l.key}:${l.name}`;
      const a = assignSlots(
        key,
        this.model?.backends.find((b) => b.key === key),
        l.backends,
      );
      a.backend.mode = 'tcp';
      next.backends.push(a.backend);
      grew ||= a.grew;
    }
    for (const s of table.services) {
      const a = assignSlots(
        s.key,
        this.model?.backends.find((b) => b.key === s.key),
        s.backends,
      );
      if (!native.has(s.key)) a.backend.nodePort = this.internalPorts[`service ${s.key}`];
      next.backends.push(a.backend);
      grew ||= a.grew;
    }

    // Node listeners first gain what is new (a service switching to Node is listened for before
    // HAProxy sends to it); they lose what is gone only after HAProxy stopped sending to it.
    const previousNode = this.nodeTable;
    const union: RoutingTable = {
      generation: table.generation,
      services: [...nodeTable.services, ...previousNode.services.filter((s) => !nodeServiceKeys.has(s.key))],
      edges: [...nodeTable.edges, ...previousNode.edges.filter((e) => !nodeTable.edges.some((n) => n.key === e.key))],
    };
    for (const err of await this.node.apply(union)) {
      // An internal port taken since it was picked: pick another on the next apply.
      this.logger?.warn({ key: err.key, port: err.port }, `internal port taken: ${err.message}`);
      this.internalPorts = Object.fromEntries(Object.entries(this.internalPorts).filter(([, p]) => p !== err.port));
    }

    this.spanReceiver.use(next);
    if (this.proc === undefined || !this.proc.alive()) {
      this.proc = await HaproxyProcess.start(
        { paths: this.paths, binary: this.opts.binary, logger: this.logger },
        renderConfig(next),
      );
      this.loaded(next);
    } else {
      await this.runtimeChanges(next, new Set([...table.services.map((s) => s.key), ...tcpKeys]));
      // Slots are placed now, even if the reload below fails: the next apply starts from them, and
      // reloads again for as long as the worker runs another structure.
      this.model = next;
      if (this.running === undefined || grew || structureKey(next) !== structureKey(this.running)) {
        // No poll until the new worker runs: the old one's counts are in the base already.
        this.reloading = true;
        await this.snapshotBase();
        // Busy keep-alive clients are closed after their next response, not left idle in the old
        // worker, which closes its idle client connections at once (config.ts, closingServer).
        const closing = (state: 'ready' | 'maint') => async () => {
          await this.proc!.admin()
            .setState(closingServer.backend, closingServer.server, state)
            // A worker loaded by an older gateway may lack the server: its reload closes idle clients only.
            .catch((err: unknown) => this.logger?.warn({ err }, 'cannot close keep-alive clients before the reload'));
        };
        await this.proc
          .reload(renderConfig(next), { prepare: closing('ready'), undo: closing('maint') })
          .finally(() => (this.reloading = false));
        this.loaded(next);
      }
    }
    this.nodeTable = nodeTable;
    // Same tick as the Node listeners drop the services that left them: their counters go on in the base.
    carryNodeCounters(this.base, this.node.traffic(), new Set(nodeTable.services.map((s) => s.key)));
    await this.node.apply(nodeTable);
    const used = new Set([...nodeTable.services, ...nodeTable.edges].map((l) => l.port));
    this.internalPorts = Object.fromEntries(Object.entries(this.internalPorts).filter(([, p]) => used.has(p)));
    this.save();
    this.poller.start();
    this.poller.kick();
    return errors;
  }

  private nodeTable: RoutingTable = { generation: 0, services: [], edges: [] };

  /** HAProxy's current worker now runs `m` as rendered. */
  private loaded(m: HaproxyModel): void {
    this.model = m;
    this.running = m;
    this.applied = modelWants(m);
  }

  /**
   * Applies slot changes to the running worker: new replicas are enabled first, then the ones
   * that left (or a whole removed service) are drained; waits until they have nothing in flight.
   */
  private async runtimeChanges(next: HaproxyModel, keys: ReadonlySet<string>): Promise<void> {
    const admin = this.proc!.admin();
    // Only slots the worker has: new backends and grown slots come with the reload.
    const existing = new Set(this.running === undefined ? [] : modelWants(this.running).keys());
    const draining: string[] = [];
    const enable: [string, SlotWant][] = [];
    const disable: string[] = [];
    const wanted = new Map<string, SlotWant>();
    for (const [id, want] of modelWants(next)) if (existing.has(id)) wanted.set(id, want);
    // A service that leaves the table: every slot of its backend drains before the reload drops it;
    // an edge that leaves stops going to Node (it is dropped by the reload).
    for (const b of this.running?.backends ?? []) {
      if (keys.has(b.key)) continue;
      for (const slot of slotWants(b).keys())
        wanted.set(`${proxyName('s', b.key)}/${slot}`, { addr: undefined, ready: false });
    }
    for (const e of this.running?.edges ?? []) {
      if (!next.edges.some((n) => n.key === e.key))
        wanted.set(`${proxyName('e', e.key)}/${nodeSlot}`, { addr: undefined, ready: false });
    }
    for (const [id, want] of wanted) {
      const now = this.applied.get(id);
      if (want.ready) {
        if (now === undefined || !now.ready || now.addr !== want.addr) enable.push([id, want]);
      } else if (now === undefined || now.ready) {
        disable.push(id);
      }
    }
    for (const [id, want] of enable) {
      const [backend, server] = id.split('/') as [string, string];
      const now = this.applied.get(id);
      if (now?.addr !== want.addr) {
        const [host, port] = want.addr!.split(' ') as [string, string];
        await admin.setAddress(backend, server, host, Number(port));
      }
      await admin.setState(backend, server, 'ready');
      this.applied.set(id, want);
    }
    // An L4 connection lasts as long as its client wants: a leaving replica's open connections are
    // not waited for (they end with the replica's own stop, within its grace period).
    const l4 = new Set(
      [...(this.running?.backends ?? []), ...next.backends]
        .filter((b) => b.mode === 'tcp')
        .map((b) => proxyName('s', b.key)),
    );
    for (const id of disable) {
      const [backend, server] = id.split('/') as [string, string];
      const now = this.applied.get(id);
      if (now?.ready !== false) {
        // An edge's node slot goes straight to maintenance: drained, it would still be up for the
        // frontend's switch (srv_is_up) and its requests would find no server. Its in-flight ones finish.
        await admin.setState(backend, server, backend.startsWith('e.') ? 'maint' : 'drain');
        if (!l4.has(backend)) draining.push(id);
      }
    }
    if (draining.length > 0) await waitDrained(this.proc!, draining, this.removalWaitMs, this.logger);
    for (const id of disable) {
      const [backend, server] = id.split('/') as [string, string];
      // Maintenance closes the slot's idle pooled connections: the replica sees no socket left.
      await admin.setState(backend, server, 'maint');
      this.applied.set(id, { addr: this.applied.get(id)?.addr ?? wanted.get(id)?.addr, ready: false });
    }
    // Not an edge's node slot: drain there would switch its frontend back to Node for a moment
    // (srv_is_up); the Node edge closes its idle connections itself when it is dropped.
    const purge = draining.filter((id) => !id.startsWith('e.'));
    if (purge.length > 0) await purgeIdle(this.proc!.admin(), purge, this.logger);
  }

  /** Adds the current worker's counters to the base before a reload resets them. */
  private async snapshotBase(): Promise<void> {
    this.loads++;
    try {
      const rows = await this.proc!.admin().stat();
      for (const [key, c] of countersFrom(rows, this.model?.backends ?? []))
        addCounters((this.base[key] ??= zeroCounters()), c);
      // Same tick as the base grows: a reader never sees the counters go back.
      this.rows = [];
    } catch (err) {
      this.logger?.warn({ err }, 'cannot read haproxy counters before reload');
    }
  }

  /** Full `show stat` reads so far, idle turns a probe made unnecessary, and the probes of each kind asked. */
  get statReads(): {
    readonly reads: number;
    readonly skipped: number;
    readonly info: number;
    readonly totals: number;
  } {
    return { ...this.poller.counts, ...this.idleProbe.counts };
  }

  /**
   * See DataPlaneListeners.activity: HAProxy's counters move here only when a poll reads them
   * (`rows`) or log lines come (latency, edge routes), the Node listeners' with their own activity.
   */
  activity(): string | undefined {
    if (this.applies.running !== 0 || this.reloading) return undefined;
    const node = this.node.activity();
    return node === undefined ? undefined : `${this.loads}.${this.applies.done}.${this.moves}.${node}`;
  }

  /** HAProxy's counters as of now (a probe while the poller rests): see StatPoller.fresh. */
  fresh(): Promise<void> {
    return this.poller.fresh();
  }

  /** Counters of HAProxy's public listeners (as of the last poll). */
  stats(): ListenerStatsJSON[] {
    return listenerStats(this.rows, this.model);
  }

  /**
   * Per-track counters: HAProxy's (requests and 5xx per track; latency and edge routes from its log
   * lines) for native services, added to the Node listeners' for services and edges Node serves.
   */
  traffic(): ServiceTraffic[] {
    const { counters } = this.spanReceiver;
    return serviceTraffic(this.model?.backends ?? [], this.rows, this.base, this.node.traffic(), counters);
  }

  private save(): void {
    if (this.model === undefined) return;
    const state: SavedState = { model: this.model, internalPorts: this.internalPorts, base: this.base };
    writeFileAtomic(this.statePath, JSON.stringify(state));
  }

  /**
   * Closes the Node listeners; HAProxy soft-stops (in-flight requests finish, bounded by the drain
   * timeout) unless `keepHaproxy`, which leaves it serving for the next gateway to adopt.
   */
  async close(opts: { keepHaproxy?: boolean } = {}): Promise<void> {
    this.poller.close();
    if (!opts.keepHaproxy && this.proc !== undefined) {
      await this.proc.stop(this.drainTimeoutMs);
      this.proc = undefined;
    }
    await this.node.close();
    this.spanReceiver.close();
  }
}
