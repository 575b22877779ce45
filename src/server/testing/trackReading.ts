/** Test data: the proxy's cumulative counters of one stable track (`requests`, all under 10 ms). */
import type { TrackTraffic } from '../../model/observation.js';

export const trackReading = (requests: number): TrackTraffic => ({
  track: 'stable',
  requests,
  errors: 0,
  latencyBucketsMs: [10],
  latencyCounts: [requests, 0],
  latencySumMs: requests,
});
