import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, message, messageOf, REASON_CODES } from './messages.js';
import { convergeStale } from '../runtime/local/convergeFailure.js';

describe('server-made messages', () => {
  it('makes the English text from the code and params', () => {
    expect(message('release.deadlineExceeded', { seconds: 5, error: 'api not ready' }).text).toBe(
      'deadline of 5s exceeded: api not ready',
    );
    expect(message('rollout.waitingForPromote')).toEqual({
      code: 'rollout.waitingForPromote',
      params: {},
      text: 'waiting for promote',
    });
    expect(REASON_CODES).toContain('autoscale.aboveTarget');
  });

  it('says a cancel, a timeout and a crash loop with their own codes, in the words the CLI has always printed', () => {
    expect(message('release.cancelled', { by: 'ana' }).text).toBe('cancelled by ana');
    expect(message('release.cancelledRollingOut', { by: 'ana', services: 'front, api' }).text).toBe(
      'cancelled by ana while rolling out front, api',
    );
    expect(message('release.timedOut', { duration: '5s' }).text).toBe('timeout of 5s exceeded');
    expect(message('release.timedOutRollingOut', { duration: '10m', services: 'front' }).text).toBe(
      'timeout of 10m exceeded while rolling out front',
    );
    const loop = { service: 'front', replica: 'front-ab12cd34-1', crashes: 3, lastExit: 'exited with code 3: boom' };
    expect(message('release.crashLoop', { ...loop, lastStderr: 'starting | boom' }).text).toBe(
      'front: crash loop: front-ab12cd34-1 crashed 3 times in a row without ever becoming ready; last exit: exited with code 3: boom; last stderr: starting | boom',
    );
    expect(message('release.crashLoopNoStderr', loop).text).toBe(
      'front: crash loop: front-ab12cd34-1 crashed 3 times in a row without ever becoming ready; last exit: exited with code 3: boom',
    );
  });

  it('says a stop of another kind and a converge cut short with codes, nesting the stop’s own message', () => {
    const stop = message('release.cancelled', { by: 'ana' });
    const rollingOut = message('release.stoppedRollingOut', { why: stop, services: 'api' });
    expect(rollingOut.text).toBe('cancelled by ana while rolling out api');
    expect(rollingOut.params.why).toEqual(stop);
    expect(message('release.stoppedWith', { why: 'shutting down', error: 'db not ready' }).text).toBe(
      'shutting down: db not ready',
    );
    const closed = convergeStale('closed', 'db');
    expect(closed.message).toBe('db: the runtime was closed during converge');
    expect(messageOf(closed)?.code).toBe('release.convergeClosed');
    const superseded = convergeStale('superseded', 'db');
    expect(superseded.message).toBe('db: superseded by a newer converge');
    expect(messageOf(superseded)?.code).toBe('release.convergeSuperseded');
  });

  it('keeps the code through a text column, and reads older plain text as text', () => {
    const m = message('release.aborted', { service: 'api', by: 'ana' });
    expect(decodeMessage(encodeMessage(m))).toEqual({ text: 'api: aborted by ana', message: m });
    expect(decodeMessage('db: superseded by a newer converge')).toEqual({ text: 'db: superseded by a newer converge' });
    expect(decodeMessage(encodeMessage('plain'))).toEqual({ text: 'plain' });
  });

  it('reads the message an error carries, ignoring unknown codes', () => {
    const m = message('release.rolloutFailed', { service: 'api', error: 'boom' });
    expect(messageOf(Object.assign(new Error(m.text), { reasonMessage: m }))).toBe(m);
    expect(messageOf(Object.assign(new Error('x'), { reasonMessage: { code: 'nope', params: {}, text: 'x' } }))).toBe(
      undefined,
    );
    expect(messageOf(new Error('x'))).toBeUndefined();
  });
});
