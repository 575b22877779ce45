/**
 * The `policy` of a service or a route: what the proxy enforces on its requests (rate limit,
 * timeout, retries, circuit breaker, fallback answer). Normalised to the runtime's TrafficPolicy.
 * A policy is not part of a service's workload: changing it moves no replica.
 */
import { z } from 'zod';
import type { TrafficPolicy } from '../model/routing.js';
import { durationMs } from './units.js';

const PERCENT_TEXT = /^\d+(\.\d+)?%$/;

const share = (what: string) =>
  z
    .union([z.string().regex(PERCENT_TEXT, 'must be a percentage like `50%`'), z.number().min(0).max(1)])
    .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1)) / 100))
    .refine((v) => v > 0 && v <= 1, 'must be above 0% and at most 100%')
    .describe(what);

const positiveInt = (what: string) =>
  z.number().int('must be a whole number').min(1, 'must be at least 1').describe(what);

const statusCode = z
  .number()
  .int('must be a whole number')
  .min(100, 'must be an HTTP status')
  .max(599, 'must be an HTTP status');

const rateLimit = z
  .strictObject({
    requestsPerSecond: z.number().positive('must be above 0').describe('Requests per second let through on average.'),
    burst: positiveInt('Requests let through at once above the average. Default: one second’s worth.').optional(),
  })
  .transform((r) => ({
    requestsPerSecond: r.requestsPerSecond,
    burst: r.burst ?? Math.max(1, Math.ceil(r.requestsPerSecond)),
  }))
  .describe('Token bucket shared by all replicas; over it the proxy answers 429 with Retry-After.');

const retries = z
  .strictObject({
    attempts: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(10, 'must be at most 10')
      .describe('Extra tries on another replica.'),
    onStatus: z
      .array(statusCode)
      .default([502, 503, 504])
      .describe('Answers that are retried (connection failures and timeouts always are). Default 502, 503, 504.'),
    backoff: durationMs().prefault('25ms').describe('Wait between tries. Default `25ms`.'),
  })
  .transform((r) => ({ attempts: r.attempts, onStatus: r.onStatus, backoffMs: r.backoff }))
  .describe('Retries of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) before any answer went out.');

const circuitBreaker = z
  .strictObject({
    consecutiveFailures: positiveInt('Open after this many failures in a row.').optional(),
    errorRate: share('Open when the share of failures over `window` is above this, e.g. `50%`.').optional(),
    minRequests: positiveInt('Requests `window` needs before `errorRate` counts. Default 20.').default(20),
    window: durationMs({ positive: true }).prefault('10s').describe('Sliding window of `errorRate`. Default `10s`.'),
    openFor: durationMs({ positive: true })
      .prefault('30s')
      .describe('How long it stays open before probing. Default `30s`.'),
    halfOpenRequests: positiveInt('Probe requests let through when half-open. Default 1.').default(1),
  })
  .check((ctx) => {
    if (ctx.value.consecutiveFailures === undefined && ctx.value.errorRate === undefined)
      ctx.issues.push({
        code: 'custom',
        message: 'a circuit breaker needs `consecutiveFailures` and/or `errorRate`',
        input: ctx.value,
        path: [],
      });
  })
  .transform((c) => ({
    ...(c.consecutiveFailures === undefined ? {} : { consecutiveFailures: c.consecutiveFailures }),
    ...(c.errorRate === undefined ? {} : { errorRate: c.errorRate }),
    minRequests: c.minRequests,
    windowMs: c.window,
    openMs: c.openFor,
    halfOpenRequests: c.halfOpenRequests,
  }))
  .describe(
    'Stops sending requests to a failing service for a while; a failure is a 5xx, a timeout or a refused connection.',
  );

const fallback = z
  .strictObject({
    status: statusCode.default(503).describe('Status of the fallback answer. Default 503.'),
    body: z.string().max(65_536, 'must be at most 64 KiB').default('').describe('Body of the fallback answer.'),
    contentType: z.string().min(1).default('text/plain; charset=utf-8').describe('Its content type.'),
  })
  .describe('The answer while the circuit is open or no replica is ready (graceful degradation).');

/** The `policy` field of a service or a route. */
export const policySchema = z
  .strictObject({
    rateLimit: rateLimit.optional(),
    timeout: durationMs({ positive: true })
      .optional()
      .describe('Longest wait for response headers; then 504 (or a retry).'),
    retries: retries.optional(),
    circuitBreaker: circuitBreaker.optional(),
    fallback: fallback.optional(),
  })
  .transform((p): TrafficPolicy => ({
    ...(p.rateLimit ? { rateLimit: p.rateLimit } : {}),
    ...(p.timeout === undefined ? {} : { timeoutMs: p.timeout }),
    ...(p.retries ? { retries: p.retries } : {}),
    ...(p.circuitBreaker ? { circuitBreaker: p.circuitBreaker } : {}),
    ...(p.fallback ? { fallback: p.fallback } : {}),
  }))
  .describe(
    'Traffic policy enforced by the proxy: `rateLimit`, `timeout`, `retries`, `circuitBreaker`, `fallback`. Changeable live with `berth policy`.',
  );
