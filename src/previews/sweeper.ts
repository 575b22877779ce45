/**
 * The previews' sweeper: closes every preview whose time to live is over, and finishes every close a
 * stopped control plane left midway, at control-plane start and then every `intervalMs` (like the code
 * collection, src/release/codeCollection.ts). A sweep that fails is logged and tried again next time.
 */
import type { Logger } from 'pino';
import type { Previews } from './previews.js';

/** Default time between two sweeps: a minute (one indexed query when nothing is due). */
export const PREVIEW_SWEEP_INTERVAL_MS = 60_000;

export function startPreviewSweeper(opts: {
  previews: Pick<Previews, 'sweep'>;
  logger: Pick<Logger, 'info' | 'warn'>;
  intervalMs?: number;
}): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = (): void => {
    // One sweep at a time: a slow close (its apps taken down) does not start a second sweep beside it.
    running ??= opts.previews
      .sweep()
      .then(
        (closed) => {
          for (const p of closed)
            opts.logger.info({ app: p.app, key: p.key, env: p.env, reason: p.closedReason }, 'preview closed');
        },
        (err: unknown) => opts.logger.warn({ err }, 'preview sweep failed'),
      )
      .finally(() => (running = undefined));
  };
  run();
  const timer = setInterval(run, opts.intervalMs ?? PREVIEW_SWEEP_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
