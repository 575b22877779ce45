/**
 * Starting an operation (deploy, rollback, scale, restart, policy, down) from the CLI: when another
 * one runs on the app and environment the server refuses it (409, naming the running revision) and
 * the command exits 1 with that message; with `--wait` it says so and queues behind it instead.
 */
import { LockedError } from '../errors.js';
import type { Release } from '../release/releases.js';
import { dim } from './output.js';

/** The `--wait` option's help text. */
export const WAIT_HELP = 'when another operation runs on the app, queue behind it instead of failing';

/** Sends the operation; on a refusal because another runs, with `wait`, says so and sends it again queued. */
export async function startOperation(
  wait: boolean | undefined,
  send: (wait: boolean) => Promise<Release>,
): Promise<Release> {
  try {
    return await send(false);
  } catch (err) {
    if (!wait || !(err instanceof LockedError)) throw err;
    // The 409's details say what runs; the message is for people and may change.
    const d = err.details ?? {};
    const running = typeof d['running'] === 'string' ? d['running'] : 'another operation is in progress';
    const what = typeof d['app'] === 'string' ? `${d['app']} in ${String(d['env'])}: ${running}` : running;
    process.stderr.write(dim(`${what}; waiting for it to finish...\n`));
    return send(true);
  }
}
