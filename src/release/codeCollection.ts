/**
 * Code collection: the snapshots under `<BERTH_HOME>/artifacts/` that no stored release runs are
 * removed (their files too, when no kept snapshot shares them), at control-plane start and then every
 * `intervalMs`. A release is kept as long as its app's history is (deleting an app or environment
 * removes its releases, and then its code). See docs/releases.md "Code pinning".
 */
import type { Logger } from 'pino';
import type { CodeStore } from '../artifacts/codeStore.js';
import type { Releases } from './releases.js';

/** Default time between two collections. */
export const CODE_GC_INTERVAL_MS = 60 * 60_000;

/** One collection: keeps every snapshot a stored release refers to. */
export async function collectCode(
  store: CodeStore,
  releases: Pick<Releases, 'codeDigests'>,
  graceMs?: number,
): Promise<{ snapshots: number; files: number; bytes: number }> {
  return store.collect(await releases.codeDigests(), graceMs);
}

/** Collects now and every `intervalMs` until stopped; a failed collection is logged and tried again next time. */
export function startCodeCollector(opts: {
  store: CodeStore;
  releases: Pick<Releases, 'codeDigests'>;
  logger: Logger;
  intervalMs?: number;
}): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const run = (): void => {
    running = collectCode(opts.store, opts.releases).then(
      (r) => {
        if (r.snapshots + r.files > 0) opts.logger.info(r, 'removed code snapshots no release runs');
      },
      (err: unknown) => opts.logger.warn({ err }, 'code collection failed'),
    );
  };
  run();
  const timer = setInterval(run, opts.intervalMs ?? CODE_GC_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
