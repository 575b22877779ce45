/** The call graph route's answer as the OpenAPI document publishes it (see responseSchemas.ts). */
import { z } from 'zod';

const node = z.string().describe('A service of the app, `app/env/service` of another app, `(outside)` or `(unknown)`');

export const CallGraph = z
  .object({
    app: z.string(),
    env: z.string(),
    window: z.string().describe('The window as asked (15m, 1h, 2d)'),
    windowMs: z.number().int(),
    since: z.string().describe('ISO 8601 time (UTC): the window’s start'),
    until: z.string().describe('ISO 8601 time (UTC): the window’s end (now)'),
    revision: z.number().int().describe('The revision whose berth.yaml gave the declared graph'),
    nodes: z.array(z.object({ name: z.string(), kind: z.enum(['service', 'outside', 'unknown', 'external']) }).loose()),
    edges: z.array(
      z
        .object({
          from: node,
          to: node,
          count: z.number().int().describe('Requests (hops) in the window'),
          ratePerSec: z.number().describe('Requests per second over the window'),
          errors: z.number().int().describe('Hops that failed: a 5xx, a gateway failure, an answer cut short'),
          errorRate: z.number().describe('errors / count, 0 to 1'),
          p50Ms: z.number(),
          p99Ms: z.number(),
          mark: z.enum(['undeclared']).optional().describe('A call between services that dependsOn does not declare'),
        })
        .loose(),
    ),
    declared: z.array(z.object({ from: z.string(), to: z.string(), called: z.boolean() }).loose()),
    differences: z.array(
      z.object({ from: z.string(), to: z.string(), mark: z.enum(['undeclared', 'unused']) }).loose(),
    ),
  })
  .loose()
  .meta({ id: 'CallGraph' });
