/**
 * The controllers of the fake API server: Deployments, StatefulSets, DaemonSets and Jobs get pods
 * that become ready after a delay (or never, in `stuck` mode, where a Deployment reports
 * ProgressDeadlineExceeded after its `progressDeadlineSeconds`), their status fields follow as the
 * real controllers set them (zero values omitted), and events and pod logs are recorded.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  canonical,
  typeOfKind,
  type FakeCluster,
  type FakeObject,
  type ResourceType,
  type WatchEvent,
} from './fakeCluster.js';
import { FakeJobs } from './fakeJobs.js';

/**
 * How new pods behave: become ready after the delay, never start (image pull back-off), run but never
 * pass their readiness probe (`unready`), or crash (exit code 3, `boom`) after each start, restarted
 * with a back-off (CrashLoopBackOff).
 */
export type RolloutMode = 'progress' | 'stuck' | 'unready' | 'crashloop';

export interface ControllerOptions {
  podReadyDelayMs: number;
  /** Milliseconds per second of `progressDeadlineSeconds` (1000 is real time; tests scale it down). */
  msPerDeadlineSecond: number;
}

/** One line of a pod's log. */
export interface FakeLogLine {
  time: string;
  line: string;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);
const POD = typeOfKind('v1', 'Pod')!;
const EVENT = typeOfKind('v1', 'Event')!;

type Json = Record<string, unknown>;
type Container = { name: string; image?: string; ports?: { containerPort: number }[] };

const hashLabel = (kind: string): string => (kind === 'Deployment' ? 'pod-template-hash' : 'controller-revision-hash');
const isReady = (p: FakeObject): boolean =>
  ((p.status?.conditions ?? []) as { type: string; status: string }[]).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );
/** Drops zero counts the way the API server's `omitempty` does. */
const omitZero = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0 && v !== undefined));

/** Simulated workload controllers, kubelet and log store over a FakeCluster. */
export class FakeControllers {
  mode: RolloutMode = 'progress';
  /** How pods whose first container runs one of these images behave, over `mode`. */
  readonly imageModes = new Map<string, RolloutMode>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<string>();
  private readonly deadlines = new Map<string, number>();
  private readonly exceeded = new Set<string>();
  private readonly logs = new Map<string, FakeLogLine[]>();
  private readonly followers = new Map<string, Set<(l: FakeLogLine | null) => void>>();
  private closed = false;
  private ip = 1;
  private readonly cluster: FakeCluster;
  private readonly opts: ControllerOptions;
  /** Jobs whose pods run as the test scripts them (fakeJobs.ts), and every Job's status. */
  readonly jobs: FakeJobs;

  constructor(cluster: FakeCluster, opts: ControllerOptions) {
    this.cluster = cluster;
    this.opts = opts;
    this.jobs = new FakeJobs(cluster, this, opts);
    cluster.onChange((t, e) => this.changed(t, e));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const set of this.followers.values()) for (const f of set) f(null);
    this.followers.clear();
  }

  later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  private changed(t: ResourceType, e: WatchEvent): void {
    const o = e.object;
    if (WORKLOADS.has(t.kind)) {
      if (e.type === 'DELETED') {
        for (const p of this.podsOf(o)) this.deletePod(p);
        if (t.kind === 'Job') this.jobs.deleted(o);
        return;
      }
      const observed = (o.status?.observedGeneration as number | undefined) ?? 0;
      if ((o.metadata.generation as number | undefined) !== observed) this.schedule(t, o);
    } else if (t.kind === 'Pod' && e.type === 'DELETED') {
      const owner = this.ownerOf(o);
      if (owner) this.schedule(owner.t, owner.w);
    }
  }

  private schedule(t: ResourceType, w: FakeObject): void {
    const key = `${t.kind}|${w.metadata.namespace ?? ''}|${w.metadata.name}`;
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.later(5, () => {
      this.pending.delete(key);
      this.reconcile(t, w.metadata.namespace, w.metadata.name);
    });
  }

  private ownerOf(pod: FakeObject): { t: ResourceType; w: FakeObject } | undefined {
    const ref = (pod.metadata.ownerReferences as { uid: string; apiVersion: string; kind: string }[] | undefined)?.[0];
    const ownerKind = pod.metadata.annotations?.['fake.berth.dev/owner-kind'];
    if (!ref || !ownerKind) return undefined;
    const t = typeOfKind(ownerKind === 'Job' ? 'batch/v1' : 'apps/v1', ownerKind)!;
    const w = this.cluster.list(t, pod.metadata.namespace).find((x) => x.metadata.uid === ref.uid);
    return w ? { t, w } : undefined;
  }

  private podsOf(w: FakeObject): FakeObject[] {
    return this.cluster
      .list(POD, w.metadata.namespace)
      .filter((p) => (p.metadata.ownerReferences as { uid: string }[] | undefined)?.[0]?.uid === w.metadata.uid);
  }

  reconcile(t: ResourceType, ns: string | undefined, name: string): void {
    const w = this.cluster.get(t, ns, name);
    if (!w) return;
    const spec = (w.spec ?? {}) as Json;
    const template = (spec.template ?? {}) as Json;
    const hash = createHash('sha256').update(canonical(template)).digest('hex').slice(0, 10);
    const desired =
      t.kind === 'DaemonSet'
        ? 1
        : t.kind === 'Job'
          ? ((spec.completions as number | undefined) ?? 1)
          : ((spec.replicas as number | undefined) ?? 1);
    const label = hashLabel(t.kind);
    let pods = this.podsOf(w);
    const old = pods.filter((p) => p.metadata.labels?.[label] !== hash);
    // StatefulSet pods keep their names, so an old pod makes room before its replacement starts.
    if (t.kind === 'StatefulSet' && old.length > 0) {
      for (const p of old) this.deletePod(p);
      this.event(
        w,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${old.map((p) => p.metadata.name).join(', ')} in StatefulSet ${name} successful`,
      );
      pods = this.podsOf(w);
    }
    let current = pods.filter((p) => p.metadata.labels?.[label] === hash);
    const rs = `${name}-${hash}`;
    if (current.length < desired && !(t.kind === 'Job' && this.jobs.finished(w))) {
      for (let i = current.length; i < desired; i++) this.createPod(t, w, template, hash, current);
      current = this.podsOf(w).filter((p) => p.metadata.labels?.[label] === hash);
      if (t.kind === 'Deployment')
        this.event(w, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs} to ${desired}`);
      else
        this.event(w, 'Normal', 'SuccessfulCreate', `Created pods of ${t.kind} ${name}: ${current.length}/${desired}`);
    } else if (current.length > desired && t.kind !== 'Job') {
      const extra = current
        .sort((a, b) => b.metadata.name.localeCompare(a.metadata.name))
        .slice(0, current.length - desired);
      for (const p of extra) this.deletePod(p);
      if (t.kind === 'Deployment')
        this.event(w, 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${rs} to ${desired}`);
      current = this.podsOf(w).filter((p) => p.metadata.labels?.[label] === hash);
    }
    const oldNow = this.podsOf(w).filter((p) => p.metadata.labels?.[label] !== hash);
    if (oldNow.length > 0 && current.filter(isReady).length >= desired) {
      const oldRs = new Set(oldNow.map((p) => `${name}-${p.metadata.labels?.[label] ?? ''}`));
      for (const p of oldNow) this.deletePod(p);
      if (t.kind === 'Deployment')
        for (const r of oldRs) this.event(w, 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${r} to 0`);
    }
    this.armDeadline(t, w);
    this.updateStatus(t, name, ns, hash, desired);
  }

  private armDeadline(t: ResourceType, w: FakeObject): void {
    if (t.kind !== 'Deployment') return;
    const key = `${w.metadata.namespace}/${w.metadata.name}@${String(w.metadata.generation)}`;
    if (this.deadlines.has(key)) return;
    const seconds = ((w.spec as Json | undefined)?.progressDeadlineSeconds as number | undefined) ?? 600;
    this.deadlines.set(key, seconds);
    this.later(seconds * this.opts.msPerDeadlineSecond, () => {
      const now = this.cluster.get(t, w.metadata.namespace, w.metadata.name);
      if (!now || now.metadata.generation !== w.metadata.generation) return;
      this.exceeded.add(key);
      this.reconcile(t, w.metadata.namespace, w.metadata.name);
    });
  }

  private updateStatus(t: ResourceType, name: string, ns: string | undefined, hash: string, desired: number): void {
    const w = this.cluster.get(t, ns, name);
    if (!w) return;
    const pods = this.podsOf(w);
    const label = hashLabel(t.kind);
    const updated = pods.filter((p) => p.metadata.labels?.[label] === hash);
    const ready = pods.filter(isReady).length;
    const gen = w.metadata.generation as number;
    let status: Json;
    if (t.kind === 'Deployment') {
      const complete = updated.length === desired && pods.length === desired && ready === desired;
      const exceeded = this.exceeded.has(`${ns}/${name}@${gen}`) && !complete;
      const rs = `${name}-${hash}`;
      const prev = (w.status?.conditions ?? []) as Json[];
      const progressing = complete
        ? {
            status: 'True',
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${rs}" has successfully progressed.`,
          }
        : exceeded
          ? {
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: `ReplicaSet "${rs}" has timed out progressing.`,
            }
          : { status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs}" is progressing.` };
      const keep = (type: string, c: Json): Json => {
        const p = prev.find((x) => x.type === type);
        const same = p && p.status === c.status && p.reason === c.reason;
        return { type, ...c, lastUpdateTime: same ? p.lastUpdateTime : new Date().toISOString() };
      };
      status = omitZero({
        observedGeneration: gen,
        replicas: pods.length,
        updatedReplicas: updated.length,
        readyReplicas: ready,
        availableReplicas: ready,
        unavailableReplicas: Math.max(0, pods.length - ready),
      });
      status.conditions = [
        keep(
          'Available',
          ready >= desired
            ? { status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
            : {
                status: 'False',
                reason: 'MinimumReplicasUnavailable',
                message: 'Deployment does not have minimum availability.',
              },
        ),
        keep('Progressing', progressing),
      ];
    } else if (t.kind === 'StatefulSet') {
      const rev = `${name}-${hash}`;
      const done = updated.length === desired && ready === desired;
      status = omitZero({
        observedGeneration: gen,
        replicas: pods.length,
        readyReplicas: ready,
        availableReplicas: ready,
        currentReplicas: done ? updated.length : pods.length - updated.length,
        updatedReplicas: updated.length,
      });
      status.updateRevision = rev;
      status.currentRevision = done ? rev : ((w.status?.currentRevision as string | undefined) ?? rev);
    } else if (t.kind === 'DaemonSet') {
      status = {
        ...omitZero({
          currentNumberScheduled: pods.length,
          updatedNumberScheduled: updated.length,
          numberReady: ready,
          numberAvailable: ready,
          numberUnavailable: Math.max(0, desired - ready),
        }),
        desiredNumberScheduled: desired,
        numberMisscheduled: 0,
        observedGeneration: gen,
      };
    } else {
      status = this.jobs.status(w, pods, desired);
    }
    if (canonical(status) === canonical(w.status ?? {})) return;
    this.cluster.put(t, { ...w, status });
  }

  private createPod(t: ResourceType, w: FakeObject, template: Json, hash: string, current: FakeObject[]): void {
    const meta = (template.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
    const podSpec = (template.spec ?? {}) as { containers?: Container[] };
    const taken = new Set(current.map((p) => p.metadata.name));
    let name = `${w.metadata.name}-${hash.slice(0, 5)}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    if (t.kind === 'StatefulSet') {
      let i = 0;
      while (
        taken.has(`${w.metadata.name}-${i}`) ||
        this.cluster.get(POD, w.metadata.namespace, `${w.metadata.name}-${i}`)
      )
        i++;
      name = `${w.metadata.name}-${i}`;
    }
    const containers = podSpec.containers ?? [];
    const pod: FakeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: w.metadata.namespace!,
        labels: { ...(meta.labels ?? {}), [hashLabel(t.kind)]: hash },
        annotations: { ...(meta.annotations ?? {}), 'fake.berth.dev/owner-kind': t.kind },
        ownerReferences: [
          {
            apiVersion: t.kind === 'Deployment' ? 'apps/v1' : w.apiVersion,
            kind: t.kind === 'Deployment' ? 'ReplicaSet' : t.kind,
            name: t.kind === 'Deployment' ? `${w.metadata.name}-${hash}` : w.metadata.name,
            uid: w.metadata.uid as string,
            controller: true,
          },
        ],
      },
      spec: { ...podSpec, nodeName: 'fake-node' },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          ready: false,
          restartCount: 0,
          started: false,
          state: { waiting: { reason: 'ContainerCreating' } },
        })),
      },
    };
    this.cluster.put(POD, pod);
    if (t.kind === 'Job' && this.jobs.start(w, this.cluster.get(POD, pod.metadata.namespace, name)!)) return;
    const mode = this.imageModes.get(containers[0]?.image ?? '') ?? this.mode;
    this.later(this.opts.podReadyDelayMs, () => {
      const p = this.cluster.get(POD, pod.metadata.namespace, name);
      if (!p) return;
      if (mode === 'crashloop') return this.crashLoop(p, containers);
      if (mode === 'stuck') {
        const image = containers[0]?.image ?? 'unknown';
        p.status = {
          ...p.status,
          containerStatuses: containers.map((c) => ({
            name: c.name,
            image: c.image,
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } },
          })),
        };
        this.cluster.put(POD, p);
        this.event(p, 'Warning', 'Failed', `Failed to pull image "${image}": not found`);
        this.event(p, 'Warning', 'BackOff', `Back-off pulling image "${image}"`);
        return;
      }
      this.start(t, w, p, containers, mode !== 'unready');
    });
  }

  private start(t: ResourceType, w: FakeObject, p: FakeObject, containers: Container[], passes = true): void {
    const now = new Date().toISOString();
    const job = t.kind === 'Job';
    const ready = !job && passes;
    p.status = {
      phase: job ? 'Succeeded' : 'Running',
      podIP: `10.0.0.${this.ip++ % 250}`,
      startTime: now,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        ready,
        started: !job,
        restartCount: 0,
        state: job
          ? { terminated: { exitCode: 0, reason: 'Completed', finishedAt: now } }
          : { running: { startedAt: now } },
      })),
    };
    this.cluster.put(POD, p);
    const port = containers[0]?.ports?.[0]?.containerPort;
    this.appendLog(p.metadata.namespace!, p.metadata.name, `${p.metadata.name} listening${port ? ` on :${port}` : ''}`);
    this.event(p, 'Normal', 'Started', `Started container ${containers[0]?.name ?? ''}`);
    if (!passes)
      this.event(p, 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503');
    this.reconcile(t, w.metadata.namespace, w.metadata.name);
  }

  /** The kubelet restarting a container that exits with 3 at once, with a back-off, for ever. */
  private crashLoop(p: FakeObject, containers: Container[]): void {
    const now = new Date().toISOString();
    const restarts = ((p.status?.containerStatuses as Json[] | undefined)?.[0]?.restartCount as number) + 1;
    const terminated = { exitCode: 3, reason: 'Error', message: 'boom\n', startedAt: now, finishedAt: now };
    const back = `back-off ${10 * 2 ** Math.min(restarts - 1, 5)}s restarting failed container`;
    p.status = {
      ...p.status,
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: containers.map((c) => ({
        ...{ name: c.name, image: c.image, ready: false, started: false, restartCount: restarts },
        state: { waiting: { reason: 'CrashLoopBackOff', message: `${back}=${c.name} pod=${p.metadata.name}` } },
        lastState: { terminated },
      })),
    };
    this.cluster.put(POD, p);
    this.appendLog(p.metadata.namespace!, p.metadata.name, 'boom');
    this.event(p, 'Warning', 'BackOff', `Back-off restarting failed container ${containers[0]?.name ?? ''}`);
    this.later(this.opts.podReadyDelayMs * 4, () => {
      const live = this.cluster.get(POD, p.metadata.namespace, p.metadata.name);
      if (live) this.crashLoop(live, containers);
    });
  }

  private deletePod(p: FakeObject): void {
    this.cluster.delete(POD, p.metadata.namespace, p.metadata.name);
    this.endLog(p.metadata.namespace!, p.metadata.name);
  }

  /** Ends the followed log streams of a pod (its container ended, or the pod went). */
  endLog(ns: string, pod: string): void {
    for (const f of this.followers.get(`${ns}/${pod}`) ?? []) f(null);
    this.followers.delete(`${ns}/${pod}`);
  }

  /** Records a v1 Event about an object, as a controller or the kubelet would. */
  event(about: FakeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = new Date().toISOString();
    this.cluster.put(EVENT, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${about.metadata.name}.${randomBytes(8).toString('hex')}`,
        namespace: about.metadata.namespace!,
      },
      involvedObject: {
        apiVersion: about.apiVersion,
        kind: about.kind,
        name: about.metadata.name,
        namespace: about.metadata.namespace,
        uid: about.metadata.uid,
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: about.kind === 'Pod' ? 'kubelet' : `${about.kind.toLowerCase()}-controller` },
    });
  }

  /** Appends a line to a pod's log (followers get it at once). */
  appendLog(ns: string, pod: string, line: string): void {
    const key = `${ns}/${pod}`;
    const entry = { time: new Date().toISOString(), line };
    const list = this.logs.get(key) ?? [];
    list.push(entry);
    this.logs.set(key, list);
    for (const f of this.followers.get(key) ?? []) f(entry);
  }

  /** A pod's log so far. */
  logOf(ns: string, pod: string): FakeLogLine[] {
    return [...(this.logs.get(`${ns}/${pod}`) ?? [])];
  }

  /** Calls `f` with each new line of a pod's log, and with null when the pod goes away. */
  follow(ns: string, pod: string, f: (l: FakeLogLine | null) => void): () => void {
    const key = `${ns}/${pod}`;
    const set = this.followers.get(key) ?? new Set();
    set.add(f);
    this.followers.set(key, set);
    return () => set.delete(f);
  }

  /** Simulates a container restart of a pod (exit code and reason recorded as the last state). */
  crashPod(ns: string, name: string, exit: { exitCode: number; reason: string }): void {
    const p = this.cluster.get(POD, ns, name);
    if (!p) throw new Error(`no pod ${ns}/${name}`);
    const now = new Date().toISOString();
    const statuses = (p.status?.containerStatuses ?? []) as Json[];
    p.status = {
      ...p.status,
      containerStatuses: statuses.map((c) => ({
        ...c,
        restartCount: ((c.restartCount as number | undefined) ?? 0) + 1,
        lastState: { terminated: { exitCode: exit.exitCode, reason: exit.reason, startedAt: now, finishedAt: now } },
      })),
    };
    this.cluster.put(POD, p);
  }
}
