/**
 * Pod logs through the log endpoint (`timestamps=true`, with `follow`, `tailLines`, `sinceTime`):
 * one stream per pod, merged; each line carries the kubelet's timestamp. The log endpoint does not
 * separate stdout from stderr, so every line is reported as stdout.
 */
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type { V1Pod } from '@kubernetes/client-node';
import { NotFoundError } from '../../errors.js';
import type { LogLine, LogSelector } from '../../model/observation.js';
import type { KubeClients } from './client.js';
import { selectorOf } from './kinds.js';
import { LABEL } from './manifests/contract.js';
import { listPods } from './status.js';

/** Options of a log read. */
export interface LogOptions {
  follow: boolean;
  /** The previous container instance's log (kubectl --previous). */
  previous?: boolean;
  since?: Date;
  tail?: number;
  signal?: AbortSignal;
}

/** Splits `2024-05-01T10:00:00.123456789Z text` into an ISO time and the text. */
export function parseTimestamped(raw: string): { time: string; line: string } | undefined {
  const sp = raw.indexOf(' ');
  const ts = sp === -1 ? raw : raw.slice(0, sp);
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) return undefined;
  return { time: new Date(ms).toISOString(), line: sp === -1 ? '' : raw.slice(sp + 1) };
}

/** Streams the lines of one pod's container until the stream ends or `stop` is called. */
async function* podLines(
  clients: KubeClients,
  namespace: string,
  pod: V1Pod,
  opts: LogOptions,
  stopped: AbortSignal,
): AsyncGenerator<LogLine> {
  const name = pod.metadata!.name!;
  const service = pod.metadata?.labels?.[LABEL.name] ?? '';
  const containers = pod.spec?.containers ?? [];
  const container = (containers.find((c) => c.name === service) ?? containers[0])?.name ?? service;
  const out = new PassThrough();
  const since = opts.since?.getTime();
  const controller = await clients.log.log(namespace, name, container, out, {
    follow: opts.follow,
    ...(opts.previous ? { previous: true } : {}),
    timestamps: true,
    ...(opts.tail !== undefined ? { tailLines: opts.tail } : {}),
    // Whole seconds: lines of that second are filtered below.
    ...(opts.since ? { sinceTime: opts.since.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
  });
  const stop = (): void => {
    controller.abort();
    out.end();
  };
  if (stopped.aborted) stop();
  stopped.addEventListener('abort', stop, { once: true });
  try {
    for await (const raw of createInterface({ input: out, crlfDelay: Infinity })) {
      const parsed = parseTimestamped(raw);
      if (!parsed) continue;
      if (since !== undefined && Date.parse(parsed.time) < since) continue;
      yield { time: parsed.time, service, replica: name, stream: 'stdout', line: parsed.line };
    }
  } finally {
    stopped.removeEventListener('abort', stop);
    controller.abort();
  }
}

/** The log lines of an app's (or one service's, or one replica's) pods. */
export async function* podLogs(
  clients: KubeClients,
  namespace: string,
  selector: LogSelector,
  opts: LogOptions,
): AsyncGenerator<LogLine> {
  const pods = (await listPods(clients, namespace, selectorOf(selector.app, selector.env, selector.service)))
    .filter((p) => selector.replica === undefined || p.metadata?.name === selector.replica)
    // A pod whose container never started has no log yet (the endpoint answers 400).
    .filter((p) => p.status?.phase !== 'Pending' || p.status.containerStatuses?.some((c) => c.state?.running))
    // --previous: the container instance before the last restart, which only a restarted pod has.
    .filter((p) => !selector.previous || p.status?.containerStatuses?.some((c) => (c.restartCount ?? 0) > 0));
  if (selector.replica !== undefined && pods.length === 0)
    throw new NotFoundError(`replica ${selector.replica} of ${selector.app}/${selector.env} has no running pod`);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (!opts.follow) {
      const all: LogLine[] = [];
      for (const p of pods) for await (const l of podLines(clients, namespace, p, opts, stop.signal)) all.push(l);
      yield* all.sort((a, b) => a.time.localeCompare(b.time));
      return;
    }
    yield* merge(pods.map((p) => podLines(clients, namespace, p, opts, stop.signal)));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

/** Interleaves several async streams in arrival order. */
async function* merge<T>(streams: AsyncGenerator<T>[]): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let live = streams.length;
  let failure: unknown;
  for (const s of streams)
    void (async () => {
      try {
        for await (const v of s) {
          queue.push(v);
          wake?.();
        }
      } catch (err) {
        failure ??= err;
      } finally {
        live--;
        wake?.();
      }
    })();
  while (live > 0 || queue.length > 0) {
    if (queue.length === 0) {
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
      continue;
    }
    yield queue.shift()!;
  }
  if (failure) throw failure;
}

/** A pod the log index follows (the shape of src/logs/podLogFollower.ts's PodRef). */
export interface FollowedPod {
  key: string;
  uid: string;
  app: string;
  env: string;
  service: string;
  pod: string;
  /** The container whose log is read: the service's own. */
  container: string;
}

/**
 * The log index's source over one environment's namespace: every pod Berth manages there whose
 * container has started, and one pod's raw timestamped log lines, followed.
 */
export function podLogSource(
  clients: KubeClients,
  namespace: string,
  env: string,
): {
  pods(): Promise<FollowedPod[]>;
  follow(pod: FollowedPod, sinceTime: string | undefined, signal: AbortSignal): AsyncIterable<string>;
} {
  return {
    async pods() {
      const pods = await listPods(clients, namespace, `${LABEL.managedBy}=berth,${LABEL.env}=${env}`);
      const out: FollowedPod[] = [];
      for (const p of pods) {
        const labels = p.metadata?.labels ?? {};
        const app = labels[LABEL.partOf];
        const service = labels[LABEL.name];
        const name = p.metadata?.name;
        if (!app || !service || !name) continue;
        // A pod whose container never started has no log yet (the endpoint answers 400).
        if (!p.status?.containerStatuses?.some((c) => c.state?.running || c.state?.terminated)) continue;
        const containers = p.spec?.containers ?? [];
        const container = (containers.find((c) => c.name === service) ?? containers[0])?.name ?? service;
        out.push({
          key: `${namespace}/${name}/${container}`,
          uid: p.metadata?.uid ?? '',
          app,
          env,
          service,
          pod: name,
          container,
        });
      }
      return out;
    },
    async *follow(pod, sinceTime, signal) {
      const out = new PassThrough();
      const controller = await clients.log.log(namespace, pod.pod, pod.container, out, {
        follow: true,
        timestamps: true,
        ...(sinceTime ? { sinceTime } : {}),
      });
      const stop = (): void => {
        controller.abort();
        out.end();
      };
      if (signal.aborted) stop();
      signal.addEventListener('abort', stop, { once: true });
      try {
        yield* createInterface({ input: out, crlfDelay: Infinity });
      } finally {
        signal.removeEventListener('abort', stop);
        controller.abort();
      }
    },
  };
}
