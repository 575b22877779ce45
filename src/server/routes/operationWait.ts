/**
 * How a request that starts an operation (deploy, rollback, scale, restart, policy, down) treats one
 * already running on the same app and environment: refused with 409 naming the running revision,
 * or, with `wait`, queued behind it; the request is then answered once its own revision is created,
 * and a caller that goes away before that leaves the queue.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { OperationOptions } from '../../release/engine/engine.js';

/** The `wait` field of an operation's body (or query). */
export const Wait = z
  .boolean()
  .default(false)
  .describe(
    'When another operation runs on the app and environment: false (default) refuses this one with 409 naming the running revision; true queues it behind that one (the answer comes once this revision is created)',
  );

/** `wait` as a query parameter (`?wait=true`), for a route without a body. */
export const WaitQuery = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true')
  .describe(Wait.description ?? '');

/** The engine's options for `wait`: a queued request leaves the queue when its client disconnects. */
export function waitOptions(wait: boolean, reply: FastifyReply): OperationOptions {
  if (!wait) return {};
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return { wait: true, signal: gone.signal };
}
