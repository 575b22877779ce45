/**
 * The fake API server's Job controller and kubelet for Jobs whose run a test scripts (a Kaniko build):
 * the pod starts, runs, prints the lines the test decides, and terminates with the exit code and
 * termination message the test decides (or waits until the test lets it end, or never starts: an
 * image that cannot be pulled). The Job's status follows as the real controller sets it: `active`,
 * `succeeded`, `failed`, then the `Complete` or `Failed` condition (BackoffLimitExceeded after more
 * failed pods than `backoffLimit`, DeadlineExceeded after `activeDeadlineSeconds`, its running pods
 * deleted); a deleted Job takes the objects it owns with it (the garbage collector).
 * Jobs without a script keep the plain behaviour: their pods succeed at once.
 */
import { typeOfKind, type FakeCluster, type FakeObject, type ResourceType } from './fakeCluster.js';

/** How a scripted Job's pod runs. */
export interface JobScript {
  /** Lines the container prints, one every `lineIntervalMs` (default 5 ms). */
  lines?: string[];
  lineIntervalMs?: number;
  /** Holds the container running (after its lines) until it resolves: a build the test ends. */
  hold?: Promise<void>;
  /** The container's exit code (default 0). */
  exitCode?: number;
  /** The termination message (what the container wrote to its terminationMessagePath). */
  message?: string;
  /** The container never starts, waiting for this reason (`ImagePullBackOff`). */
  waiting?: { reason: string; message?: string };
}

/** What the Job controller needs of the other controllers. */
export interface JobHost {
  later(ms: number, fn: () => void): void;
  appendLog(ns: string, pod: string, line: string): void;
  /** Ends the pod's followed log streams (the container ended), as the kubelet does. */
  endLog(ns: string, pod: string): void;
  reconcile(t: ResourceType, ns: string | undefined, name: string): void;
}

type Json = Record<string, unknown>;
const POD = typeOfKind('v1', 'Pod')!;
const SECRET = typeOfKind('v1', 'Secret')!;
const JOB = typeOfKind('batch/v1', 'Job')!;

const phaseOf = (p: FakeObject): unknown => p.status?.phase;

export class FakeJobs {
  /** The script of a Job's pods, if the test gives one (else the plain behaviour). */
  scriptFor: (job: FakeObject) => JobScript | undefined = () => undefined;
  /** Jobs (by uid) stopped by their deadline. */
  private readonly deadlined = new Set<string>();
  private readonly armed = new Set<string>();
  private readonly cluster: FakeCluster;
  private readonly host: JobHost;
  private readonly opts: { podReadyDelayMs: number; msPerDeadlineSecond: number };

  constructor(cluster: FakeCluster, host: JobHost, opts: { podReadyDelayMs: number; msPerDeadlineSecond: number }) {
    this.cluster = cluster;
    this.host = host;
    this.opts = opts;
  }

  private reconcile(job: FakeObject): void {
    this.host.reconcile(JOB, job.metadata.namespace, job.metadata.name);
  }

  /** Runs a new pod of `job` by its script; false when the Job has none. */
  start(job: FakeObject, pod: FakeObject): boolean {
    const script = this.scriptFor(job);
    if (!script) return false;
    this.armDeadline(job);
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name;
    const containers = ((pod.spec?.containers ?? []) as { name: string; image?: string }[]).map((c) => ({
      name: c.name,
      image: c.image,
    }));
    const put = (status: Json): boolean => {
      const p = this.cluster.get(POD, ns, name);
      if (!p) return false;
      this.cluster.put(POD, { ...p, status: { ...p.status, ...status } });
      return true;
    };
    const states = (state: Json, ready = false): Json[] =>
      containers.map((c) => ({ ...c, ready, restartCount: 0, started: 'running' in state, state }));
    this.host.later(this.opts.podReadyDelayMs, () => {
      if (script.waiting) {
        put({ containerStatuses: states({ waiting: script.waiting }) });
        return;
      }
      const startedAt = new Date().toISOString();
      if (!put({ phase: 'Running', startTime: startedAt, containerStatuses: states({ running: { startedAt } }, true) }))
        return;
      const lines = [...(script.lines ?? [])];
      const next = (): void => {
        if (!this.cluster.get(POD, ns, name)) return;
        const line = lines.shift();
        if (line !== undefined) {
          this.host.appendLog(ns, name, line);
          this.host.later(script.lineIntervalMs ?? 5, next);
          return;
        }
        void (script.hold ?? Promise.resolve()).then(() => this.host.later(0, finish));
      };
      const finish = (): void => {
        const exitCode = script.exitCode ?? 0;
        const terminated = {
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          ...(script.message !== undefined ? { message: script.message } : {}),
          startedAt,
          finishedAt: new Date().toISOString(),
        };
        const phase = exitCode === 0 ? 'Succeeded' : 'Failed';
        if (
          !put({ phase, conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: states({ terminated }) })
        )
          return;
        this.host.endLog(ns, name);
        this.reconcile(job);
      };
      next();
    });
    return true;
  }

  /** Kubernetes stops a Job active longer than `activeDeadlineSeconds`: its pods go, and it fails. */
  private armDeadline(job: FakeObject): void {
    const seconds = (job.spec as { activeDeadlineSeconds?: number } | undefined)?.activeDeadlineSeconds;
    const uid = job.metadata.uid as string;
    if (seconds === undefined || this.armed.has(uid)) return;
    this.armed.add(uid);
    this.host.later(seconds * this.opts.msPerDeadlineSecond, () => {
      const live = this.cluster.list(JOB, job.metadata.namespace).find((j) => j.metadata.uid === uid);
      if (!live || this.finished(live)) return;
      this.deadlined.add(uid);
      for (const p of this.podsOf(live).filter((x) => phaseOf(x) !== 'Succeeded' && phaseOf(x) !== 'Failed')) {
        this.cluster.delete(POD, p.metadata.namespace, p.metadata.name);
        this.host.endLog(p.metadata.namespace!, p.metadata.name);
      }
      this.reconcile(live);
    });
  }

  private podsOf(job: FakeObject): FakeObject[] {
    return this.cluster
      .list(POD, job.metadata.namespace)
      .filter((p) => (p.metadata.ownerReferences as { uid: string }[] | undefined)?.[0]?.uid === job.metadata.uid);
  }

  /** Whether the Job has its final condition (no new pods are made for it then). */
  finished(job: FakeObject): boolean {
    if (this.deadlined.has(job.metadata.uid as string)) return true;
    const conditions = (job.status?.conditions ?? []) as { type: string; status: string }[];
    return conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  }

  /** The Job's status from its pods, as the Job controller writes it (zero counts omitted). */
  status(job: FakeObject, pods: FakeObject[], completions: number): Json {
    const succeeded = pods.filter((p) => phaseOf(p) === 'Succeeded').length;
    const failed = pods.filter((p) => phaseOf(p) === 'Failed').length;
    const backoffLimit = (job.spec as { backoffLimit?: number } | undefined)?.backoffLimit ?? 6;
    const status: Json = Object.fromEntries(
      Object.entries({ active: pods.length - succeeded - failed, succeeded, failed }).filter(([, v]) => v !== 0),
    );
    const now = new Date().toISOString();
    const failure = this.deadlined.has(job.metadata.uid as string)
      ? { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }
      : failed > backoffLimit
        ? { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }
        : undefined;
    const prev = job.status?.conditions as Json[] | undefined;
    if (prev?.some((c) => c.type === 'Complete' || c.type === 'Failed')) status.conditions = prev;
    else if (failure) status.conditions = [{ type: 'Failed', status: 'True', lastTransitionTime: now, ...failure }];
    else if (succeeded >= completions) status.conditions = [{ type: 'Complete', status: 'True' }];
    return status;
  }

  /** A deleted Job's dependents go with it (the garbage collector; its pods are the controller's). */
  deleted(job: FakeObject): void {
    for (const s of this.cluster.list(SECRET, job.metadata.namespace))
      if ((s.metadata.ownerReferences as { uid: string }[] | undefined)?.some((r) => r.uid === job.metadata.uid))
        this.cluster.delete(SECRET, s.metadata.namespace, s.metadata.name);
  }
}
