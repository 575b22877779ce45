/** Which commit a build is of, from a real git work tree. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkedCommit, commitOf, gitCommitOf } from './commit.js';

const run = promisify(execFile);

describe('the commit of a build', () => {
  it('is HEAD of a git work tree, -dirty with uncommitted changes, else from the context digest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-commit-'));
    try {
      const ctx = () => 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
      expect(await gitCommitOf(dir)).toBeUndefined();
      expect(await commitOf(undefined, dir, ctx)).toBe('ctx-0123456789ab');
      const git = (...args: string[]) => run('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
      await git('init', '-q');
      await writeFile(join(dir, 'berth.yaml'), 'name: a\n');
      await git('add', '.');
      await git('commit', '-q', '-m', 'first');
      const head = (await git('rev-parse', 'HEAD')).stdout.trim();
      expect(await commitOf(undefined, dir, ctx)).toBe(head);
      await writeFile(join(dir, 'berth.yaml'), 'name: b\n');
      expect(await commitOf(undefined, dir, ctx)).toBe(`${head}-dirty`);
      expect(await commitOf('v1.2.3', dir, ctx)).toBe('v1.2.3');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a given commit that cannot be an image tag, naming the field', () => {
    expect(() => checkedCommit('-rf', 'commit')).toThrow(/invalid commit/);
    expect(() => checkedCommit('a/b')).toThrow(/invalid commit/);
    expect(checkedCommit('abc_1.2-x')).toBe('abc_1.2-x');
  });
});
