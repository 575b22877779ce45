/**
 * One track of a service inside the gateway: its ready upstreams (picked round robin) and its
 * cumulative request counters. The counters live as long as the service's BackendSet, so they
 * survive table updates and add up the service address and every edge route to the service.
 */
import type { Track, TrackTraffic } from '../runtime/runtime.js';
import type { Upstream } from './balancer.js';

/**
 * Upper bounds (ms, inclusive) of the latency histogram's buckets; one more bucket counts what
 * is slower. Fixed, so two snapshots can be subtracted bucket by bucket.
 */
export const latencyBucketsMs: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

const bucketCount = latencyBucketsMs.length;

/** The upstreams and counters of one track of one service. */
export class TrackSet {
  readonly track: Track;
  /** Ready upstreams; replaced (never mutated) on a table update so a retry sees a consistent list. */
  upstreams: Upstream[] = [];
  private next = 0;

  /** Finished requests (answered, failed, or abandoned by the client). */
  requests = 0;
  /** Requests answered with status >= 500 (the gateway's own 502/504 included) or cut mid-body by the upstream. */
  errors = 0;
  /** Requests per latency bucket; the last entry is the overflow. */
  readonly latencyCounts: number[] = new Array<number>(bucketCount + 1).fill(0);
  latencySumMs = 0;

  constructor(track: Track) {
    this.track = track;
  }

  /** The next upstream in turn, or undefined if the track has none. */
  pick(): Upstream | undefined {
    const ups = this.upstreams;
    if (ups.length === 0) return undefined;
    if (this.next >= ups.length) this.next = 0;
    return ups[this.next++];
  }

  /** The next upstream other than `failed`, or undefined if the track has no other. */
  pickOther(failed: Upstream): Upstream | undefined {
    const ups = this.upstreams;
    for (let i = 0; i < ups.length; i++) {
      const u = this.pick();
      if (u !== failed) return u;
    }
    return undefined;
  }

  /** Counts one finished request that took `ms` from dispatch to its end. */
  record(ms: number, failed: boolean): void {
    this.requests++;
    if (failed) this.errors++;
    this.latencySumMs += ms;
    // Most requests are fast: scanning up from the smallest bucket ends within a step or two.
    let i = 0;
    while (i < bucketCount && ms > latencyBucketsMs[i]!) i++;
    this.latencyCounts[i]!++;
  }

  /** The counters as the control API reports them. */
  toJSON(): TrackTraffic {
    return {
      track: this.track,
      requests: this.requests,
      errors: this.errors,
      latencyBucketsMs: [...latencyBucketsMs],
      latencyCounts: [...this.latencyCounts],
      // Microsecond precision is all the timer offers that matters; the rest is float noise.
      latencySumMs: Math.round(this.latencySumMs * 1000) / 1000,
    };
  }
}
