/**
 * How a service's new version reaches its users: `rolling` (replace replicas in place, the
 * default), `blueGreen`, `canary` or `abTest`. The last three run the new version as a second track
 * beside the stable one and move traffic between them step by step, checking the new track's
 * error rate and latency (analysis) on the way; a failing check aborts. The names follow Argo
 * Rollouts where they mean the same thing.
 */
import { z } from 'zod';
import type { TrafficMatch } from '../model/routing.js';
import { durationMs } from './units.js';

/** One step of a canary: send `weight` percent of requests to the new track, or wait. */
export type CanaryStep = { weight: number } | { pauseMs: number } | { pause: 'manual' };

/** What a step without enough requests to judge does: wait (the default) or fail. */
export type OnNoData = 'wait' | 'fail';

/** What the release engine checks while a progressive release runs. */
export interface AnalysisPolicy {
  /** How often the checks run. */
  intervalMs: number;
  /** Fewer requests to the new track than this in an interval or a whole step: no verdict. */
  minRequests: number;
  /**
   * What a step whose new version had fewer than `minRequests` requests over the whole step does:
   * `wait` for more (like a manual pause; `berth promote` ends it) or `fail` the rollout. Never pass.
   */
  onNoData: OnNoData;
  /** Highest error rate (5xx) of the new track, 0–1. */
  maxErrorRate: number;
  /** Highest p99 latency of the new track, when set. */
  maxP99Ms?: number;
}

/** A service's release strategy, normalised. */
export type Strategy =
  | { type: 'rolling' }
  | { type: 'canary'; steps: CanaryStep[]; analysis?: AnalysisPolicy }
  | { type: 'blueGreen'; autoPromote: boolean; keepOldForMs: number; analysis?: AnalysisPolicy }
  | { type: 'abTest'; match: TrafficMatch; durationMs?: number; analysis?: AnalysisPolicy };

const PERCENT_TEXT = /^\d+(\.\d+)?%$/;

const weight = z
  .number()
  .int('must be a whole number')
  .min(0, 'must be between 0 and 100')
  .max(100, 'must be between 0 and 100');

const step = z.union([
  z.strictObject({ weight: weight.describe('Percent of requests sent to the new version.') }),
  z.strictObject({
    pause: z
      .union([z.literal('manual'), durationMs({ positive: true })])
      .describe('Wait this long (`30s`), or until `berth promote` (`manual`). Analysis runs meanwhile.'),
  }),
]);

const analysis = z
  .strictObject({
    interval: durationMs({ positive: true }).prefault('5s').describe('How often the checks run. Default `5s`.'),
    minRequests: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .default(20)
      .describe('Fewer requests to the new version in an interval, or over a whole step, give no verdict. Default 20.'),
    onNoData: z
      .enum(['wait', 'fail'])
      .default('wait')
      .describe(
        'A step whose new version got fewer than `minRequests` requests is never passed: `wait` holds it until enough arrive (or `berth promote`), `fail` aborts the rollout. Default `wait`.',
      ),
    maxErrorRate: z
      .union([z.string().regex(PERCENT_TEXT, 'must be a percentage like `5%`'), z.number().min(0).max(1)])
      .default('5%')
      .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1)) / 100))
      .describe('Highest share of 5xx responses of the new version: `5%` or `0.05`. Default `5%`.'),
    maxP99: durationMs({ positive: true }).optional().describe('Highest p99 latency of the new version, e.g. `500ms`.'),
  })
  .transform((a): AnalysisPolicy => ({
    intervalMs: a.interval,
    minRequests: a.minRequests,
    onNoData: a.onNoData,
    maxErrorRate: a.maxErrorRate,
    ...(a.maxP99 === undefined ? {} : { maxP99Ms: a.maxP99 }),
  }));

/** `analysis: false` turns the checks off; absent means the defaults. */
const analysisField = z
  .union([z.literal(false), analysis])
  .optional()
  .describe('Checks of the new version while it takes traffic; a failing check aborts. `false` turns them off.');

const match = z
  .union([
    z.strictObject({
      header: z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, 'must be a header name')
        .transform((h) => h.toLowerCase())
        .describe('Request header name.'),
      value: z.string().min(1, 'must not be empty').describe('Header value that selects the new version.'),
    }),
    z.strictObject({
      cookie: z
        .string()
        .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be a cookie name')
        .describe('Cookie name.'),
      value: z.string().min(1, 'must not be empty').describe('Cookie value that selects the new version.'),
    }),
  ])
  .describe('Requests with this header or cookie value go to the new version; the rest stay.');

const DEFAULT_ANALYSIS: AnalysisPolicy = { intervalMs: 5000, minRequests: 20, onNoData: 'wait', maxErrorRate: 0.05 };
const DEFAULT_STEPS: CanaryStep[] = [{ weight: 10 }, { pauseMs: 30_000 }, { weight: 50 }, { pauseMs: 30_000 }];

const analysisOf = (a: AnalysisPolicy | false | undefined): { analysis?: AnalysisPolicy } =>
  a === false ? {} : { analysis: a ?? DEFAULT_ANALYSIS };

/** The `strategy` field of a service. */
export const strategySchema = z
  .union([
    z.enum(['rolling', 'blueGreen', 'canary']).describe('A strategy with its defaults.'),
    z.strictObject({ type: z.literal('rolling').describe('Replace replicas in place (`rollout` tunes it).') }),
    z.strictObject({
      type: z.literal('canary').describe('Move traffic to the new version step by step.'),
      steps: z
        .array(step)
        .min(1, 'needs at least one step')
        .optional()
        .describe('Steps in order; after the last, the new version takes all traffic. Default 10%, 30s, 50%, 30s.'),
      analysis: analysisField,
    }),
    z.strictObject({
      type: z.literal('blueGreen').describe('Bring the new version up in full, then switch all traffic at once.'),
      autoPromote: z
        .boolean()
        .default(true)
        .describe('Switch as soon as the new version is ready; `false` waits for `berth promote`. Default true.'),
      keepOldFor: durationMs()
        .prefault('30s')
        .describe('The old version stays up this long after the switch, so switching back is instant. Default `30s`.'),
      analysis: analysisField,
    }),
    z.strictObject({
      type: z.literal('abTest').describe('Send matching requests to the new version until promoted or aborted.'),
      match,
      duration: durationMs({ positive: true })
        .optional()
        .describe('Promote on its own after this long if the checks pass. Default: wait for `berth promote`.'),
      analysis: analysisField,
    }),
  ])
  .default('rolling')
  .transform((s): Strategy => {
    if (typeof s === 'string') {
      if (s === 'canary') return { type: 'canary', steps: DEFAULT_STEPS, analysis: DEFAULT_ANALYSIS };
      if (s === 'blueGreen')
        return { type: 'blueGreen', autoPromote: true, keepOldForMs: 30_000, analysis: DEFAULT_ANALYSIS };
      return { type: 'rolling' };
    }
    switch (s.type) {
      case 'rolling':
        return { type: 'rolling' };
      case 'canary':
        return {
          type: 'canary',
          steps:
            s.steps?.map((st): CanaryStep =>
              'weight' in st ? st : st.pause === 'manual' ? { pause: 'manual' } : { pauseMs: st.pause },
            ) ?? DEFAULT_STEPS,
          ...analysisOf(s.analysis),
        };
      case 'blueGreen':
        return { type: 'blueGreen', autoPromote: s.autoPromote, keepOldForMs: s.keepOldFor, ...analysisOf(s.analysis) };
      case 'abTest':
        return {
          type: 'abTest',
          match: s.match,
          ...(s.duration === undefined ? {} : { durationMs: s.duration }),
          ...analysisOf(s.analysis),
        };
    }
  })
  .describe(
    'How a new version reaches users: `rolling` (default), `blueGreen`, `canary` (weights step by step) or `abTest` (by header or cookie), with automatic analysis and abort.',
  );
