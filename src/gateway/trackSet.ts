/**
 * One track of a service inside the gateway: its ready upstreams (picked round robin) and its
 * cumulative request counters. The counters live as long as the service's BackendSet, so they
 * survive table updates and add up the service address and every edge route to the service.
 */
import type { Upstream } from './upstream.js';
import { TrackCounters } from './trackCounters.js';

/** The upstreams and counters of one track of one service. */
export class TrackSet extends TrackCounters {
  /** Ready upstreams; replaced (never mutated) on a table update so a retry sees a consistent list. */
  upstreams: Upstream[] = [];
  private next = 0;

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
}
