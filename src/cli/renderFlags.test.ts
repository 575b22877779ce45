/**
 * The `berth` command (bin/berth, a shell script) starts the offline render's snapshot itself: a V8
 * startup snapshot loads only with the flags it was built with, so the script's must be SNAPSHOT_FLAGS,
 * and it leaves out the environment snapshotEnv leaves out. (A mismatch would not print a wrong render:
 * the snapshot would not load and the CLI would render instead, slower; this keeps the fast path.)
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SNAPSHOT_FLAGS } from './renderSnapshotFile.js';

const script = readFileSync(join(import.meta.dirname, '../../bin/berth'), 'utf8');

describe('bin/berth', () => {
  it('starts the snapshot with SNAPSHOT_FLAGS, without NODE_OPTIONS nor NODE_EXTRA_CA_CERTS', () => {
    const line = /env (.*) node (.*?) \\\n\s*--snapshot-blob "\$blob" "\$@"/.exec(script);
    expect(line, 'the line that starts the snapshot').not.toBeNull();
    expect(line![2]!.split(' ')).toEqual(SNAPSHOT_FLAGS);
    expect(line![1]).toBe('-u NODE_OPTIONS -u NODE_EXTRA_CA_CERTS');
  });
});
