/**
 * Where the autoscaler learns what to scale: the `autoscale` of each service at the revision a
 * track runs (stable and canary may run different revisions with different settings), read from
 * the stored releases. Release content is immutable, so it is cached by release id.
 */
import type { ReleaseContent, Release } from '../release/releases.js';
import type { ServiceSpec } from '../spec/schema.js';
import { DEFAULT_TOLERANCE } from './hpa.js';
import { ownGet } from '../own.js';

/** One autoscaled service at one revision, normalised (releases stored before a field existed get its default). */
export interface ServiceAutoscale {
  minReplicas: number;
  maxReplicas: number;
  /** Target CPU, percent of the cpu request. */
  cpuPercent?: number;
  /** Target requests per second per ready replica. */
  requestsPerSecond?: number;
  syncPeriodMs: number;
  scaleDownStabilizationMs: number;
  tolerance: number;
  /** The cpu request of one replica, which `cpuPercent` is a percentage of. */
  cpuRequestMillis?: number;
}

/** What the autoscaler asks about releases. */
export interface AutoscaleSource {
  /** App/env pairs whose current release runs something and where some release autoscales a service. */
  targets(): Promise<{ app: string; env: string }[]>;
  /** The autoscaled services of a revision, by name (empty when none or the revision is unknown). */
  settings(app: string, env: string, revision: number): Promise<Record<string, ServiceAutoscale>>;
}

export const DEFAULT_SYNC_PERIOD_MS = 15_000;
export const DEFAULT_SCALE_DOWN_STABILIZATION_MS = 300_000;

/** The autoscale settings of every service of a release's content. */
export function autoscaleOf(content: Pick<ReleaseContent, 'spec' | 'rendered'>): Record<string, ServiceAutoscale> {
  const out: Record<string, ServiceAutoscale> = {};
  for (const [name, svc] of Object.entries(content.spec.services)) {
    // Stored JSON of older releases lacks the fields added since: treat every one as optional.
    const a = svc.autoscale as Partial<NonNullable<ServiceSpec['autoscale']>> | undefined;
    if (!a || a.max === undefined) continue;
    const cpuRequestMillis =
      ownGet(content.rendered.services, name)?.workload.resources.cpuRequestMillis ?? svc.resources.cpuRequestMillis;
    out[name] = {
      minReplicas: a.min ?? 1,
      maxReplicas: a.max,
      ...(a.cpu === undefined ? {} : { cpuPercent: a.cpu }),
      ...(a.requestsPerSecond === undefined ? {} : { requestsPerSecond: a.requestsPerSecond }),
      syncPeriodMs: a.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS,
      scaleDownStabilizationMs: a.scaleDownStabilizationMs ?? DEFAULT_SCALE_DOWN_STABILIZATION_MS,
      tolerance: a.tolerance ?? DEFAULT_TOLERANCE,
      ...(cpuRequestMillis === undefined ? {} : { cpuRequestMillis }),
    };
  }
  return out;
}

/** The part of Releases the source reads. */
export interface ReleaseReader {
  active(): Promise<Release[]>;
  unfinished(): Promise<Release[]>;
  byRevision(app: string, env: string, revision: number): Promise<Release>;
  content(id: number): Promise<ReleaseContent>;
}

/** An AutoscaleSource over the release store. */
export function releaseAutoscaleSource(releases: ReleaseReader): AutoscaleSource {
  const byId = new Map<number, Record<string, ServiceAutoscale>>();
  const ofRelease = async (id: number): Promise<Record<string, ServiceAutoscale>> => {
    let s = byId.get(id);
    if (!s) {
      s = autoscaleOf(await releases.content(id));
      byId.set(id, s);
    }
    return s;
  };
  return {
    async targets() {
      const [active, unfinished] = await Promise.all([releases.active(), releases.unfinished()]);
      const out: { app: string; env: string }[] = [];
      for (const cur of active) {
        // A release in progress may bring autoscaling (to its canary) before it is current.
        const candidates = [cur, ...unfinished.filter((r) => r.app === cur.app && r.env === cur.env)];
        for (const r of candidates) {
          if (Object.keys(await ofRelease(r.id)).length === 0) continue;
          out.push({ app: cur.app, env: cur.env });
          break;
        }
      }
      return out;
    },
    async settings(app, env, revision) {
      const release = await releases.byRevision(app, env, revision).catch(() => undefined);
      return release ? ofRelease(release.id) : {};
    },
  };
}
