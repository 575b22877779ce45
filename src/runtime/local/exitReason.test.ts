import { describe, expect, it } from 'vitest';
import { exitReason, stderrExcerpt } from './exitReason.js';

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
