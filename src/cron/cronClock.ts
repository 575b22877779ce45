/**
 * The scheduler's clock: the wall clock, or — for tests only — a clock that runs `scale` times
 * faster (BERTH_CRON_TIME_SCALE=30 makes `* * * * *` due every 2 s) from `origin`
 * (BERTH_CRON_TIME_ORIGIN, epoch ms; default: when the clock is made). A test that restarts the
 * control plane passes the same origin, so the clock goes on where it was.
 */
import { ValidationError } from '../errors.js';

export function cronClock(
  scale: string | undefined,
  origin: string | undefined,
  wall: () => number = Date.now,
): () => number {
  if (scale === undefined || scale === '') return wall;
  const factor = Number(scale);
  if (!Number.isFinite(factor) || factor < 1 || factor > 3600)
    throw new ValidationError('invalid BERTH_CRON_TIME_SCALE', [
      { file: 'environment', path: 'BERTH_CRON_TIME_SCALE', message: `"${scale}" is not a number from 1 to 3600` },
    ]);
  const start = origin ? Number(origin) : wall();
  if (!Number.isFinite(start))
    throw new ValidationError('invalid BERTH_CRON_TIME_ORIGIN', [
      { file: 'environment', path: 'BERTH_CRON_TIME_ORIGIN', message: `"${origin}" is not epoch milliseconds` },
    ]);
  return () => start + (wall() - start) * factor;
}
