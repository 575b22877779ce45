/** What the runtime reports while it converges, kept on the release as its events. */
import { message as coded, said, type Message } from '../../model/messages.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ExecuteContext } from './context.js';

/** A runtime event's message as the release keeps it: with its replica in front when it does not name it. */
export function eventMessage(e: RuntimeEvent): { message: string; detail?: Message } {
  const named = !e.replica || e.message.includes(e.replica);
  if (e.detail) return said(named ? e.detail : coded('event.ofReplica', { replica: e.replica!, message: e.detail }));
  return { message: named ? e.message : `${e.replica}: ${e.message}` };
}

/** Records a runtime event on release `id`; a failure to record is logged, never thrown. */
export async function recordRuntimeEvent(ctx: ExecuteContext, id: number, e: RuntimeEvent): Promise<void> {
  try {
    await ctx.bus.record(id, {
      time: e.time,
      service: e.service,
      type: e.type,
      reason: e.reason,
      ...eventMessage(e),
    });
  } catch (err) {
    ctx.deps.logger.warn({ err }, 'could not record a runtime event');
  }
}
