/**
 * `POST /api/v1/validate` off the event loop: a berth.yaml of up to 1 MiB takes a second or more of
 * CPU to parse when it has problems (every problem is located), and the control plane must keep
 * answering health checks, status streams and the gateway meanwhile. One worker thread, started on
 * first use and kept (not holding the process open), checks texts in the order they come.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fromErrorJSON, InternalError, type ErrorJSON, type Problem } from '../errors.js';
import { checkSpecSize } from '../spec/load.js';

export interface SpecCheckRequest {
  text: string;
  file: string;
}

/** What the worker answers: a valid spec's summary, its problems, or another error. */
export type SpecCheckOutcome =
  | { ok: true; app: string; services: string[]; digest: string }
  | { ok: false; problems: Problem[] }
  | { error: ErrorJSON };

export interface SpecChecker {
  /** The outcome of loading `text`; rejects with the error the loader threw when it is not a ValidationError. */
  check(req: SpecCheckRequest): Promise<Exclude<SpecCheckOutcome, { error: ErrorJSON }>>;
  close(): Promise<void>;
}

function workerEntry(): string {
  // Compiled: the worker sits beside this file. Run from source (tests): use the build output.
  const beside = fileURLToPath(new URL('./specCheckWorker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../dist/server/specCheckWorker.js', import.meta.url));
}

/** A checker with one worker thread (a worker that dies fails what it was asked and is replaced). */
export function createSpecChecker(): SpecChecker {
  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve: (o: SpecCheckOutcome) => void; reject: (e: Error) => void }>();

  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const start = (): Worker => {
    const w = new Worker(workerEntry(), { resourceLimits: { maxOldGenerationSizeMb: 512 } });
    w.unref();
    w.on('message', ({ id, outcome }: { id: number; outcome: SpecCheckOutcome }) => {
      const p = pending.get(id);
      pending.delete(id);
      p?.resolve(outcome);
    });
    w.on('error', (err) => {
      if (worker === w) worker = undefined;
      failAll(new InternalError(`the spec check failed: ${err.message}`, { cause: err }));
    });
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(new InternalError(`the spec check stopped (exit code ${code})`));
    });
    return w;
  };

  return {
    async check(req) {
      // Refused here, before the text is copied to the worker.
      checkSpecSize(req.text, req.file);
      worker ??= start();
      const id = nextId++;
      const outcome = await new Promise<SpecCheckOutcome>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage({ id, text: req.text, file: req.file });
      });
      if ('error' in outcome) throw fromErrorJSON(outcome.error);
      return outcome;
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
