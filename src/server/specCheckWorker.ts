/**
 * The worker thread of specCheck.ts: loads and validates berth.yaml texts one after the other, off
 * the control plane's event loop, and answers with the outcome (never throws one back).
 */
import { parentPort } from 'node:worker_threads';
import { parseSpec } from '../spec/load.js';
import { BerthError, ValidationError } from '../errors.js';
import type { SpecCheckOutcome, SpecCheckRequest } from './specCheck.js';

function check({ text, file }: SpecCheckRequest): SpecCheckOutcome {
  try {
    const loaded = parseSpec(text, file);
    return { ok: true, app: loaded.spec.name, services: Object.keys(loaded.spec.services), digest: loaded.digest };
  } catch (err) {
    if (err instanceof ValidationError) return { ok: false, problems: err.problems };
    if (err instanceof BerthError) return { error: err.toJSON() };
    return { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } };
  }
}

parentPort!.on('message', (req: SpecCheckRequest & { id: number }) => {
  parentPort!.postMessage({ id: req.id, outcome: check(req) });
});
