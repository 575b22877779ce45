/**
 * Cumulative request counters of one track: requests, errors and a latency histogram. A service's
 * TrackSet counts every request to the track; each edge route to the service keeps its own pair
 * beside it (routeCounters.ts), counted from the same measurement.
 */
import type { Track } from '../model/routing.js';
import type { TrackTraffic } from '../model/observation.js';

/**
 * Upper bounds (ms, inclusive) of the latency histogram's buckets; one more bucket counts what
 * is slower. Fixed, so two snapshots can be subtracted bucket by bucket.
 */
export const latencyBucketsMs: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

const bucketCount = latencyBucketsMs.length;

/** Request counters of one track; plain numbers so counting costs a few increments. */
export class TrackCounters {
  readonly track: Track;
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
