/**
 * The metric history's settings, from the control plane's environment: how often the sampler reads
 * (BERTH_METRICS_INTERVAL, default 10s) and how long each resolution is kept
 * (BERTH_METRICS_RAW_RETENTION, default 1d; BERTH_METRICS_ROLLUP_RETENTION, default 30d).
 */
import { ValidationError } from '../errors.js';
import { parseDurationMs } from '../spec/units.js';
import { DEFAULT_RAW_RETENTION_MS, DEFAULT_ROLLUP_RETENTION_MS } from './metricStore.js';

export const DEFAULT_SAMPLE_INTERVAL_MS = 10_000;

export interface MetricSettings {
  intervalMs: number;
  rawRetentionMs: number;
  rollupRetentionMs: number;
}

/** A duration with `d` for days too (30d); undefined when it is none. */
function durationMs(text: string): number | undefined {
  const days = /^(\d+)d$/.exec(text.trim());
  return days ? Number(days[1]) * 86_400_000 : parseDurationMs(text);
}

function read(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const ms = durationMs(text);
  if (ms === undefined || ms < min)
    throw new ValidationError(`invalid ${name}`, [
      {
        file: 'environment',
        path: name,
        message: `"${text}" is not a duration of at least ${min}ms (e.g. 10s, 1h, 30d)`,
      },
    ]);
  return ms;
}

/** The settings in `env`; a value that is not a duration is a ValidationError naming the variable. */
export function metricSettings(env: NodeJS.ProcessEnv = process.env): MetricSettings {
  const intervalMs = read(env, 'BERTH_METRICS_INTERVAL', DEFAULT_SAMPLE_INTERVAL_MS, 100);
  return {
    intervalMs,
    rawRetentionMs: read(env, 'BERTH_METRICS_RAW_RETENTION', DEFAULT_RAW_RETENTION_MS, intervalMs),
    rollupRetentionMs: read(env, 'BERTH_METRICS_ROLLUP_RETENTION', DEFAULT_ROLLUP_RETENTION_MS, 60_000),
  };
}
