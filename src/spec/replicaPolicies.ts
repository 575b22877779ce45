/**
 * The berth.yaml fields that shape how a service's replicas run and change: `resources` (CPU and memory
 * requests and limits), `rollout` (rolling-update surge), `restart` (crash backoff) and `autoscale` (HPA).
 * Output is normalised to the runtime's shapes (src/runtime/runtime.ts), as in schema.ts.
 */
import { z } from 'zod';
import type { Resources } from '../model/workload.js';
import type { RestartPolicy, RolloutPolicy } from '../model/serviceState.js';
import { cpuMillis, durationMs, memoryBytes } from './units.js';

const PERCENT = /^\d+%$/;

const amounts = (what: string) =>
  z
    .strictObject({
      cpu: cpuMillis().optional().describe(`CPU ${what}: \`100m\`, \`0.5\` or a number of cores.`),
      memory: memoryBytes().optional().describe(`Memory ${what}: \`64Mi\`, \`1Gi\`, \`128M\` or a number of bytes.`),
    })
    .optional();

export const resourcesSchema = z
  .strictObject({
    requests: amounts('request').describe('What the service needs: used for scheduling on clusters.'),
    limits: amounts('limit').describe('The most it may use.'),
  })
  .prefault({})
  .transform((r, ctx): Resources => {
    const out: Resources = {};
    if (r.requests?.cpu !== undefined) out.cpuRequestMillis = r.requests.cpu;
    if (r.limits?.cpu !== undefined) out.cpuLimitMillis = r.limits.cpu;
    if (r.requests?.memory !== undefined) out.memoryRequestBytes = r.requests.memory;
    if (r.limits?.memory !== undefined) out.memoryLimitBytes = r.limits.memory;
    const over = (kind: 'cpu' | 'memory', request: number | undefined, limit: number | undefined, shown: string) => {
      if (request === undefined || limit === undefined || request <= limit) return;
      ctx.issues.push({
        code: 'custom',
        message: `${kind} request (${request}${shown}) is above its limit (${limit}${shown})`,
        input: r,
        path: ['requests', kind],
      });
    };
    over('cpu', out.cpuRequestMillis, out.cpuLimitMillis, 'm');
    over('memory', out.memoryRequestBytes, out.memoryLimitBytes, ' bytes');
    return out;
  })
  .describe('CPU and memory requests and limits.');

const surge = (what: string) =>
  z
    .union([
      z.number().int('must be a whole number').min(0, 'must be 0 or more'),
      z.string().regex(PERCENT, 'must be a count or a percentage like `25%`'),
    ])
    .default('25%')
    .describe(`${what}: a count or a percentage of replicas. Default \`25%\`.`);

export const rolloutSchema = z
  .strictObject({
    maxSurge: surge('Extra replicas allowed above the desired count during a rolling update'),
    maxUnavailable: surge('Replicas that may be unavailable during a rolling update'),
    progressDeadline: durationMs({ positive: true })
      .prefault('600s')
      .describe('A rollout without progress for this long fails. Default `600s`.'),
  })
  .prefault({})
  .transform((r, ctx): RolloutPolicy => {
    if (isZero(r.maxSurge) && isZero(r.maxUnavailable)) {
      ctx.issues.push({
        code: 'custom',
        message: '`maxSurge` and `maxUnavailable` cannot both be 0',
        input: r,
        path: ['maxUnavailable'],
      });
    }
    return { maxSurge: r.maxSurge, maxUnavailable: r.maxUnavailable, progressDeadlineMs: r.progressDeadline };
  })
  .describe('Rolling-update parameters.');

function isZero(v: number | string): boolean {
  return v === 0 || v === '0%';
}

export const restartSchema = z
  .strictObject({
    initialBackoff: durationMs()
      .prefault('10s')
      .describe('Wait before restarting a crashed replica the first time. Default `10s`.'),
    maxBackoff: durationMs().prefault('300s').describe('The wait doubles after each crash up to this. Default `300s`.'),
    resetAfter: durationMs().prefault('10m').describe('A replica running this long resets the backoff. Default `10m`.'),
  })
  .prefault({})
  .transform((r, ctx): RestartPolicy => {
    if (r.initialBackoff > r.maxBackoff) {
      ctx.issues.push({
        code: 'custom',
        message: '`initialBackoff` is longer than `maxBackoff`',
        input: r,
        path: ['initialBackoff'],
      });
    }
    return { initialBackoffMs: r.initialBackoff, maxBackoffMs: r.maxBackoff, resetAfterMs: r.resetAfter };
  })
  .describe('Restart backoff of crashed replicas.');

export const autoscaleSchema = z
  .strictObject({
    min: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .default(1)
      .describe('Fewest replicas. Default 1.'),
    max: z.number().int('must be a whole number').min(1, 'must be at least 1').describe('Most replicas.'),
    cpu: z
      .union([
        z
          .number()
          .int('must be a whole number')
          .min(1, 'must be between 1 and 1000')
          .max(1000, 'must be between 1 and 1000'),
        z.string().regex(PERCENT, 'must be a percentage like `70%`'),
      ])
      .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1))))
      .optional()
      .describe('Target average CPU use, percent of the cpu request (`70%` or `70`).'),
    requestsPerSecond: z
      .number()
      .positive('must be above 0')
      .optional()
      .describe(
        'Target requests per second per replica, as the proxy counts them on one machine (on clusters it needs a metrics adapter serving `http_requests_per_second`).',
      ),
    syncPeriod: durationMs({ positive: true })
      .prefault('15s')
      .describe(
        'One machine: how often the metrics are read and the replica count decided. Default `15s` (on clusters the controller manager sets it).',
      ),
    scaleDownStabilization: durationMs()
      .prefault('300s')
      .describe(
        'Scale down only to the highest replica count recommended within this window, so a short dip removes nothing. Default `300s`.',
      ),
    tolerance: z
      .number()
      .min(0, 'must be between 0 and 1')
      .max(1, 'must be between 0 and 1')
      .default(0.1)
      .describe('No change while metric / target is within this much of 1.0. Default `0.1`.'),
  })
  .check((ctx) => {
    const a = ctx.value;
    if (typeof a.min === 'number' && typeof a.max === 'number' && a.min > a.max)
      ctx.issues.push({
        code: 'custom',
        message: `\`min\` (${a.min}) is above \`max\` (${a.max})`,
        input: a,
        path: ['min'],
      });
    if (a.cpu === undefined && a.requestsPerSecond === undefined)
      ctx.issues.push({
        code: 'custom',
        message: 'autoscale needs a target: `cpu` and/or `requestsPerSecond`',
        input: a,
        path: [],
      });
  })
  .transform(({ syncPeriod, scaleDownStabilization, ...a }) => ({
    ...a,
    syncPeriodMs: syncPeriod,
    scaleDownStabilizationMs: scaleDownStabilization,
  }))
  .describe(
    'Horizontal autoscaling with the Kubernetes HPA algorithm: replicas between `min` and `max` (a HorizontalPodAutoscaler on clusters, the control plane on one machine).',
  );
