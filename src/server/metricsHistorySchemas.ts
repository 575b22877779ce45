/** What the metric history routes answer, for the OpenAPI document (openapi.ts) and the response serializer. */
import { z } from 'zod';
import { METRIC_NAMES } from '../model/metricHistory.js';

export const ReleaseMarker = z
  .object({
    t: z.number().describe('When the release started, ms since the epoch'),
    at: z.string(),
    revision: z.number().int(),
    kind: z.enum(['deploy', 'rollback', 'abort']).describe('abort: a deploy that failed or was aborted'),
    releaseKind: z.string(),
    status: z.string(),
    message: z.string().optional(),
  })
  .describe('A release on the time axis');

export const MetricHistory = z
  .object({
    app: z.string(),
    env: z.string(),
    metric: z.enum(METRIC_NAMES),
    unit: z.string(),
    from: z.number(),
    to: z.number(),
    stepMs: z.number().int(),
    resolution: z.enum(['raw', '1m']),
    series: z.array(
      z.object({
        service: z.string(),
        track: z.string().optional(),
        route: z.string().optional(),
        points: z
          .array(z.tuple([z.number(), z.number().nullable()]))
          .describe('[step start (ms since the epoch), value or null when the step has no sample]'),
      }),
    ),
    markers: z.array(ReleaseMarker),
  })
  .describe('One metric over a range: a series per service (or track, or route)');

export const ReleaseMarkers = z.object({
  app: z.string(),
  env: z.string(),
  from: z.number(),
  to: z.number(),
  markers: z.array(ReleaseMarker),
});
