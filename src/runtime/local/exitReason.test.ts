import { describe, expect, it } from 'vitest';
import { message } from '../../model/messages.js';
import { backOffReason, exitError, exitReason, exitReasonMessage, stderrExcerpt } from './exitReason.js';

const nodeCrash = `node:events:497
      throw er; // Unhandled 'error' event
      ^

Error: listen EADDRINUSE: address already in use 127.0.0.1:4100
    at Server.setupListenHandle [as _listen2] (node:net:1908:16)
    at listenInCluster (node:net:1965:12)
Emitted 'error' event on Server instance at:
    at emitErrorNT (node:net:1944:8)
  code: 'EADDRINUSE',
  port: 4100
}

Node.js v20.20.2`.split('\n');

describe('exit reasons', () => {
  it('picks the error line of a Node crash, not the version banner', () => {
    expect(stderrExcerpt(nodeCrash)).toBe('Error: listen EADDRINUSE: address already in use 127.0.0.1:4100');
  });

  it('picks the last error line of a Python traceback and a shell message', () => {
    expect(
      stderrExcerpt([
        'Traceback (most recent call last):',
        '  File "app.py", line 3, in <module>',
        'OSError: [Errno 98] Address already in use',
      ]),
    ).toBe('OSError: [Errno 98] Address already in use');
    expect(stderrExcerpt(['/bin/sh: 1: no-such-program: not found'])).toBe('/bin/sh: 1: no-such-program: not found');
  });

  it('falls back to the last meaningful line, shortens long ones, and is empty without stderr', () => {
    expect(stderrExcerpt(['starting', 'bye', ''])).toBe('bye');
    expect(stderrExcerpt(['x'.repeat(500)])).toHaveLength(200);
    expect(stderrExcerpt([])).toBeUndefined();
    expect(stderrExcerpt(undefined)).toBeUndefined();
  });

  it('says how the command ended, with the excerpt when there is one', () => {
    const at = new Date().toISOString();
    expect(exitReason({ code: 3, signal: null, at })).toBe('exited with code 3');
    expect(exitReason({ code: null, signal: 'SIGKILL', at })).toBe('killed by SIGKILL');
    expect(exitReason({ code: 1, signal: null, at, stderrTail: nodeCrash })).toBe(
      'exited with code 1: Error: listen EADDRINUSE: address already in use 127.0.0.1:4100',
    );
    expect(exitReason({ code: 127, signal: null, at, error: 'command not found: x (spawn x ENOENT)' })).toBe(
      'command not found: x (spawn x ENOENT)',
    );
  });
});

describe('exit reasons as coded messages', () => {
  const at = new Date().toISOString();

  it("an exit code, a signal and a stderr excerpt are codes with params; the text is the CLI's", () => {
    expect(exitReasonMessage({ code: 3, signal: null, at })).toEqual({
      code: 'exit.code',
      params: { code: 3 },
      text: 'exited with code 3',
    });
    expect(exitReasonMessage({ code: null, signal: 'SIGKILL', at })).toMatchObject({
      code: 'exit.signal',
      params: { signal: 'SIGKILL' },
    });
    const crash = exitReasonMessage({ code: 1, signal: null, at, stderrTail: nodeCrash });
    expect(crash).toMatchObject({
      code: 'exit.withExcerpt',
      params: {
        how: { code: 'exit.code', params: { code: 1 } },
        excerpt: 'Error: listen EADDRINUSE: address already in use 127.0.0.1:4100',
      },
    });
    expect(crash.text).toBe(exitReason({ code: 1, signal: null, at, stderrTail: nodeCrash }));
  });

  it('a start error keeps the code its writer gave; an exit file without one reads as its text', () => {
    const notFound = message('exit.commandNotFound', { file: 'x', error: 'spawn x ENOENT' });
    expect(exitReasonMessage({ code: 127, signal: null, at, ...exitError(notFound) })).toEqual(notFound);
    const old = exitReasonMessage({ code: 127, signal: null, at, error: 'command not found: x (spawn x ENOENT)' });
    expect(old).toMatchObject({ code: 'exit.error', text: 'command not found: x (spawn x ENOENT)' });
    // a code whose text does not match the error is not trusted
    const forged = { code: 127, signal: null, at, error: 'other', errorMessage: notFound };
    expect(exitReasonMessage(forged)).toMatchObject({ code: 'exit.error', text: 'other' });
  });

  it('a back-off says `exit code N` (with the excerpt) for a plain exit, else the reason itself', () => {
    const info = { code: 1, signal: null, at, stderrTail: nodeCrash };
    const plain = backOffReason(info, exitReasonMessage(info));
    expect(plain).toMatchObject({ code: 'exit.withExcerpt', params: { how: { code: 'exit.shortCode' } } });
    expect(plain.text).toBe('exit code 1: Error: listen EADDRINUSE: address already in use 127.0.0.1:4100');
    const liveness = message('exit.livenessFailed', {
      detail: message('probe.httpStatus', { status: 500, path: '/' }),
    });
    expect(backOffReason({ code: 0, signal: null, at }, liveness)).toBe(liveness);
  });
});
