/** A runtime event as the release keeps it (runtimeEvents.ts): its replica named in front when the message does not name it. */
import { describe, expect, it } from 'vitest';
import { message } from '../../model/messages.js';
import { eventMessage } from './runtimeEvents.js';

const base = { time: '2026-01-01T00:00:00Z', service: 'api', type: 'Warning' as const, reason: 'Unhealthy' };

describe('runtime event message', () => {
  it('puts the replica in front of a message that does not name it', () => {
    expect(eventMessage({ ...base, replica: 'api-1', message: 'probe failed' })).toEqual({
      message: 'api-1: probe failed',
    });
    expect(eventMessage({ ...base, replica: 'api-1', message: 'api-1 exited' })).toEqual({ message: 'api-1 exited' });
    expect(eventMessage({ ...base, message: 'scaled' })).toEqual({ message: 'scaled' });
  });

  it('keeps a coded message coded, nesting it under the replica', () => {
    const detail = message('event.pruned', { service: 'api' });
    const out = eventMessage({ ...base, replica: 'api-1', message: detail.text, detail });
    expect(out.detail).toMatchObject({ code: 'event.ofReplica', params: { replica: 'api-1' } });
    expect(out.message).toBe(`api-1: ${detail.text}`);
  });
});
