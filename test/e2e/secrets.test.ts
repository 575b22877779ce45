/**
 * Secrets through the real CLI and a real control plane: a key set with --secret stays secret when
 * it is set again without a flag (masked by `config get`, encrypted in the SQLite database and its
 * WAL), making it plain takes --plain and says so, and secret files show their real size and are
 * revealed with `config get FILE --reveal`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerth, tempHome, type Berth } from './harness.js';

let berth: Berth;
const app = ['--app', 'shop'];

beforeAll(async () => {
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
});

/** berth.db and berth.db-wal as they are on disk right now. */
async function onDisk(): Promise<string> {
  const files = await Promise.all(
    ['berth.db', 'berth.db-wal'].map((f) => readFile(join(berth.home, f)).catch(() => Buffer.alloc(0))),
  );
  return Buffer.concat(files).toString('latin1');
}

async function ok(args: string[]): Promise<string> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('a secret config key', () => {
  it('stays secret when set again without --secret, in the output and on disk', async () => {
    await ok(['config', 'set', 'DB_PASSWORD=hunter2', '--secret', ...app]);
    const second = await ok(['config', 'set', 'DB_PASSWORD=newpass123', ...app]);
    expect(second).toBe('config version 2 (was 1)\n');

    const table = await ok(['config', 'get', ...app]);
    expect(table).toMatch(/DB_PASSWORD\s+secret\s+\*{6}/);
    expect(table).not.toContain('newpass123');
    expect(await ok(['config', 'get', 'DB_PASSWORD', ...app])).toBe('******\n');
    expect(await ok(['config', 'get', 'DB_PASSWORD', '--reveal', ...app])).toBe('newpass123\n');
    expect(await ok(['config', 'diff', '1', '2', ...app])).toBe('~ DB_PASSWORD (secret): "******" → "******"\n');

    const disk = await onDisk();
    expect(disk.length).toBeGreaterThan(0);
    expect(disk).not.toContain('newpass123');
    expect(disk).not.toContain('hunter2');
  });

  it('becomes plain only with --plain, which the output, the diff and the history say', async () => {
    const out = await ok(['config', 'set', 'DB_PASSWORD=now-public', '--plain', ...app]);
    expect(out).toBe(
      'config version 3 (was 2)\nDB_PASSWORD is no longer secret: stored and shown in plain text from version 3\n',
    );
    expect(await ok(['config', 'get', 'DB_PASSWORD', ...app])).toBe('now-public\n');
    expect(await ok(['config', 'diff', '2', '3', ...app])).toBe(
      '~ DB_PASSWORD (secret → plain): "******" → "******"\n',
    );
    expect(await ok(['config', 'history', ...app])).toContain('(DB_PASSWORD made plain)');
    const both = await berth.cli(['config', 'set', 'X=1', '--plain', '--secret', ...app]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('--secret and --plain exclude each other');
  });
});

describe('a secret config file', () => {
  it('shows its real size, stays secret when set again, and is revealed with --reveal', async () => {
    const dir = await tempHome('berth-secret-file-');
    const key = join(dir, 'id.key');
    await writeFile(key, 'PRIVATE KEY 0123456789\n'); // 23 bytes
    await ok(['config', 'set', '--file', `id.key=${key}`, '--secret', ...app]);
    expect(await ok(['config', 'get', ...app])).toMatch(/id\.key\s+secret file\s+23 bytes/);
    expect(await ok(['config', 'get', 'id.key', ...app])).toBe('****** (secret file, 23 bytes; --reveal shows it)\n');
    expect(await ok(['config', 'get', 'id.key', '--reveal', ...app])).toBe('PRIVATE KEY 0123456789\n');

    await writeFile(key, 'ROTATED KEY\n');
    await ok(['config', 'set', '--file', `id.key=${key}`, ...app]);
    expect(await ok(['config', 'get', ...app])).toMatch(/id\.key\s+secret file\s+12 bytes/);
    expect(await onDisk()).not.toContain('ROTATED KEY');

    const missing = await berth.cli(['config', 'get', 'nope.conf', ...app]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no file nope.conf');
  });
});
