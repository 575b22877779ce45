/**
 * How the HAProxy plane empties the server slots of removed replicas before it tells the control
 * plane they may stop (haproxyListeners.ts): wait for their requests to end, then close the
 * connections their pools still hold.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AdminSocket } from './adminSocket.js';
import type { HaproxyProcess } from './haproxyProcess.js';

/**
 * A response that ended as the slot went to maintenance puts its connection back in the idle
 * pool, where maintenance no longer looks: drain and maintain again until no connection is left.
 */
export async function purgeIdle(admin: AdminSocket, ids: string[], logger?: Logger): Promise<void> {
  const wanted = new Set(ids);
  for (let round = 0; round < 20; round++) {
    const left = (await admin.serversConn()).filter(
      (c) => wanted.has(`${c.backend}/${c.server}`) && c.usedNow + c.idleNow > 0,
    );
    if (left.length === 0) return;
    for (const c of left) {
      await admin.setState(c.backend, c.server, 'drain');
      await admin.setState(c.backend, c.server, 'maint');
    }
    await sleep(10);
  }
  logger?.warn({ slots: ids }, 'idle connections to removed replicas linger');
}

/** Polls until the slots have no request in flight or queued, bounded by `removalWaitMs`. */
export async function waitDrained(
  proc: HaproxyProcess,
  ids: string[],
  removalWaitMs: number,
  logger?: Logger,
): Promise<void> {
  const started = Date.now();
  const deadline = started + removalWaitMs;
  const admin = proc.admin();
  const wanted = new Set(ids);
  while (Date.now() < deadline) {
    const [stat, conns] = await Promise.all([admin.stat(), admin.serversConn()]);
    const busy =
      stat.some((r) => wanted.has(`${r.proxy}/${r.name}`) && r.sessions + r.queued > 0) ||
      conns.some((c) => wanted.has(`${c.backend}/${c.server}`) && c.usedNow > 0);
    // An old worker (from a reload) may still hold requests for these replicas: wait it out too.
    const old = (await proc.procs()).oldWorkers;
    if (!busy && old.length === 0) {
      logger?.info({ slots: ids.length, ms: Date.now() - started }, 'removed replicas drained');
      return;
    }
    await sleep(10);
  }
  logger?.warn({ slots: ids }, `replicas still busy after ${removalWaitMs}ms; going on`);
}
