import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { openStore, type Store } from '../store/store.js';
import { createConfigSets, type ConfigChange, type ConfigSets } from './configSets.js';
import { loadSecretBox, type SecretBox } from './secretBox.js';
import { MASK } from '../model/mask.js';

/** The error `promise` rejects with, asserted to be a `type`. */
async function rejection<E>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

describe('config sets', () => {
  let dir: string;
  let store: Store;
  let box: SecretBox;
  let configs: ConfigSets;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-config-'));
    store = await openStore({ file: path.join(dir, 'berth.db') });
    box = await loadSecretBox(dir);
    configs = createConfigSets(store.db, box);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const rawEntries = (): string[] => {
    const raw = new Sqlite(store.file, { readonly: true });
    try {
      return (raw.prepare('select entries from config_versions').all() as { entries: string }[]).map((r) => r.entries);
    } finally {
      raw.close();
    }
  };

  it('starts at version 0, empty', async () => {
    const current = await configs.current('shop', 'local');
    expect(current).toEqual({
      app: 'shop',
      env: 'local',
      version: 0,
      author: null,
      message: null,
      createdAt: null,
      summary: { added: [], changed: [], removed: [], madePlain: [], madeSecret: [] },
    });
    const view = await configs.get('shop', 'local');
    expect(view).toMatchObject({ version: 0, values: {}, files: {} });
    expect(await configs.history('shop', 'local')).toEqual([]);
    expect(await configs.resolve('shop', 'local', 0)).toEqual({ version: 0, values: {}, files: {} });
  });

  it('makes a new version per change with author, message and time', async () => {
    const v1 = await configs.write('shop', 'local', {
      baseVersion: 0,
      set: { PORT: { value: '8080' }, DB_PASSWORD: { value: 'hunter2', secret: true } },
      files: { 'conf/app.ini': '[app]\nname=shop\n' },
      author: 'ann',
      message: 'first',
    });
    expect(v1).toMatchObject({ version: 1, author: 'ann', message: 'first' });
    expect(v1.summary).toEqual({
      added: ['DB_PASSWORD', 'PORT', 'file:conf/app.ini'],
      changed: [],
      removed: [],
      madePlain: [],
      madeSecret: [],
    });
    expect(Date.now() - Date.parse(v1.createdAt!)).toBeLessThan(60_000);

    const v2 = await configs.write('shop', 'local', {
      baseVersion: 1,
      set: { PORT: { value: '9090' } },
      author: 'bob',
    });
    expect(v2).toMatchObject({ version: 2, author: 'bob', message: null });
    expect((await configs.current('shop', 'local')).version).toBe(2);

    // Other (app, env) pairs have their own numbering.
    const other = await configs.write('shop', 'prod', {
      baseVersion: 0,
      set: { PORT: { value: '80' } },
      author: 'ann',
    });
    expect(other.version).toBe(1);

    const view = await configs.get('shop', 'local');
    expect(view.version).toBe(2);
    expect(view.values).toEqual({ DB_PASSWORD: { value: MASK, secret: true }, PORT: { value: '9090', secret: false } });
    expect(view.files).toEqual({ 'conf/app.ini': { content: '[app]\nname=shop\n', secret: false, size: 16 } });
    expect(JSON.stringify(view)).not.toContain('hunter2');
    expect((await configs.get('shop', 'local', 1)).values.PORT).toEqual({ value: '8080', secret: false });
  });

  it('reports a version that does not exist as not found', async () => {
    await configs.write('shop', 'local', { baseVersion: 0, set: { A: { value: '1' } }, author: 'ann' });
    await expect(configs.get('shop', 'local', 2)).rejects.toBeInstanceOf(NotFoundError);
    await expect(configs.get('shop', 'local', 2)).rejects.toThrow(
      /version 2 of shop\/local does not exist \(latest is 1\)/,
    );
    await expect(configs.resolve('shop', 'local', 5)).rejects.toBeInstanceOf(NotFoundError);
    await expect(configs.diff('shop', 'local', 0, 3)).rejects.toBeInstanceOf(NotFoundError);
    await expect(configs.get('shop', 'local', -1)).rejects.toBeInstanceOf(ValidationError);
  });

  it('keeps history newest first with a summary of changed keys', async () => {
    await configs.write('shop', 'local', {
      baseVersion: 0,
      set: { A: { value: '1' }, B: { value: '2' }, S: { value: 'old-secret', secret: true } },
      author: 'ann',
      message: 'init',
    });
    await configs.write('shop', 'local', {
      baseVersion: 1,
      set: { A: { value: '10' }, C: { value: '3' }, S: { value: 'new-secret' } },
      unset: ['B'],
      files: { 'nginx.conf': 'x' },
      author: 'bob',
    });
    await configs.write('shop', 'local', {
      baseVersion: 2,
      files: { 'nginx.conf': null },
      author: 'cy',
      message: 'drop file',
    });

    const history = await configs.history('shop', 'local');
    expect(history.map((h) => [h.version, h.author, h.message])).toEqual([
      [3, 'cy', 'drop file'],
      [2, 'bob', null],
      [1, 'ann', 'init'],
    ]);
    expect(history[0]!.summary).toEqual({
      added: [],
      changed: [],
      removed: ['file:nginx.conf'],
      madePlain: [],
      madeSecret: [],
    });
    expect(history[1]!.summary).toEqual({
      added: ['C', 'file:nginx.conf'],
      changed: ['A', 'S'],
      removed: ['B'],
      madePlain: [],
      madeSecret: [],
    });
    expect(history[2]!.summary).toEqual({
      added: ['A', 'B', 'S'],
      changed: [],
      removed: [],
      madePlain: [],
      madeSecret: [],
    });
    expect(JSON.stringify(history)).not.toMatch(/old-secret|new-secret/);
    expect((await configs.current('shop', 'local')).summary).toEqual(history[0]!.summary);
    expect((await configs.get('shop', 'local', 2)).summary).toEqual(history[1]!.summary);
  });

  it('diffs any two versions, masking secrets and never including their plaintext', async () => {
    await configs.write('shop', 'local', {
      baseVersion: 0,
      set: {
        KEEP: { value: 'same' },
        GONE: { value: 'bye' },
        EDIT: { value: 'a' },
        TOKEN: { value: 'tok-AAA', secret: true },
      },
      secretFiles: { 'tls/key.pem': 'PRIVATE-KEY-111' },
      files: { 'app.ini': 'v=1' },
      author: 'ann',
    });
    await configs.write('shop', 'local', {
      baseVersion: 1,
      set: {
        EDIT: { value: 'b' },
        NEW: { value: 'hi' },
        TOKEN: { value: 'tok-BBB' },
        API_KEY: { value: 'key-CCC', secret: true },
      },
      unset: ['GONE'],
      secretFiles: { 'tls/key.pem': 'PRIVATE-KEY-222' },
      files: { 'app.ini': 'v=2' },
      author: 'bob',
    });

    const diff = await configs.diff('shop', 'local', 1, 2);
    expect(diff).toEqual([
      { kind: 'value', key: 'API_KEY', change: 'added', to: MASK, secret: true },
      { kind: 'value', key: 'EDIT', change: 'changed', from: 'a', to: 'b', secret: false },
      { kind: 'value', key: 'GONE', change: 'removed', from: 'bye', secret: false },
      { kind: 'value', key: 'NEW', change: 'added', to: 'hi', secret: false },
      { kind: 'value', key: 'TOKEN', change: 'changed', from: MASK, to: MASK, secret: true },
      { kind: 'file', key: 'app.ini', change: 'changed', from: 'v=1', to: 'v=2', secret: false },
      { kind: 'file', key: 'tls/key.pem', change: 'changed', from: MASK, to: MASK, secret: true },
    ]);
    const everything = JSON.stringify([
      diff,
      await configs.diff('shop', 'local', 0, 2),
      await configs.diff('shop', 'local', 2, 0),
    ]);
    for (const plain of ['tok-AAA', 'tok-BBB', 'key-CCC', 'PRIVATE-KEY-111', 'PRIVATE-KEY-222'])
      expect(everything).not.toContain(plain);

    const reverse = await configs.diff('shop', 'local', 2, 1);
    expect(reverse.find((d) => d.key === 'GONE')).toEqual({
      kind: 'value',
      key: 'GONE',
      change: 'added',
      to: 'bye',
      secret: false,
    });
    expect(await configs.diff('shop', 'local', 2, 2)).toEqual([]);
    expect((await configs.diff('shop', 'local', 0, 1)).every((d) => d.change === 'added')).toBe(true);
  });

  it('masks both sides when a value turns secret, and detects an unchanged secret as unchanged', async () => {
    await configs.write('shop', 'local', {
      baseVersion: 0,
      set: { PW: { value: 'plain-pw' }, S: { value: 'same', secret: true } },
      author: 'a',
    });
    await configs.write('shop', 'local', {
      baseVersion: 1,
      set: { PW: { value: 'plain-pw', secret: true }, X: { value: '1' } },
      author: 'a',
    });
    const diff = await configs.diff('shop', 'local', 1, 2);
    expect(diff).toEqual([
      { kind: 'value', key: 'PW', change: 'changed', from: MASK, to: MASK, secret: true, secrecy: 'madeSecret' },
      { kind: 'value', key: 'X', change: 'added', to: '1', secret: false },
    ]);
    // Re-setting a secret to the value it already has is no change at all.
    await expect(
      configs.write('shop', 'local', { baseVersion: 2, set: { S: { value: 'same' } }, author: 'a' }),
    ).rejects.toThrow(/nothing to change/);
    // A later secret that differs is seen as changed even though both are encrypted.
    await configs.write('shop', 'local', { baseVersion: 2, set: { S: { value: 'other' } }, author: 'a' });
    expect(await configs.diff('shop', 'local', 1, 3)).toContainEqual({
      kind: 'value',
      key: 'S',
      change: 'changed',
      from: MASK,
      to: MASK,
      secret: true,
    });
    expect((await configs.get('shop', 'local')).values.S).toEqual({ value: MASK, secret: true }); // secrecy kept
  });

  it('encrypts secrets at rest and resolves them to plaintext for the renderer', async () => {
    await configs.write('shop', 'local', {
      baseVersion: 0,
      set: { DB_PASSWORD: { value: 'correct horse battery staple', secret: true }, PORT: { value: '8080' } },
      secretFiles: { id_rsa: '-----BEGIN SUPER SECRET-----' },
      files: { 'motd.txt': 'hello' },
      author: 'ann',
    });
    const rows = rawEntries();
    expect(rows).toHaveLength(1);
    expect(rows[0]).not.toContain('correct horse battery staple');
    expect(rows[0]).not.toContain('SUPER SECRET');
    expect(rows[0]).toContain('8080');
    const entry = JSON.parse(rows[0]!) as { values: Record<string, unknown>; files: Record<string, unknown> };
    expect(entry.values.DB_PASSWORD).toEqual({ secret: expect.stringMatching(/^v1:/) });
    expect(entry.values.PORT).toEqual({ value: '8080' });
    expect(entry.files['motd.txt']).toEqual({ content: 'hello' });

    const resolved = await configs.resolve('shop', 'local', 1);
    expect(resolved).toEqual({
      version: 1,
      values: {
        DB_PASSWORD: { value: 'correct horse battery staple', secret: true },
        PORT: { value: '8080', secret: false },
      },
      files: {
        id_rsa: { content: '-----BEGIN SUPER SECRET-----', secret: true },
        'motd.txt': { content: 'hello', secret: false },
      },
    });
  });

  it('refuses a stale write and loses nothing', async () => {
    await configs.write('shop', 'local', { baseVersion: 0, set: { A: { value: '1' } }, author: 'ann' });
    await configs.write('shop', 'local', { baseVersion: 1, set: { A: { value: '2' } }, author: 'bob' });
    const before = rawEntries();

    const stale = configs.write('shop', 'local', { baseVersion: 1, set: { A: { value: 'lost?' } }, author: 'cy' });
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toThrow(
      'config of shop/local changed since version 1 (now 2); fetch it again and retry',
    );
    const err = await rejection(stale, ConflictError);
    expect(err.details).toEqual({ current: 2, base: 1 });
    await expect(
      configs.write('shop', 'local', { baseVersion: 7, set: { A: { value: 'x' } }, author: 'cy' }),
    ).rejects.toThrow(/is at version 2, not 7/);

    expect(rawEntries()).toEqual(before);
    expect((await configs.current('shop', 'local')).version).toBe(2);
    expect((await configs.resolve('shop', 'local', 2)).values.A!.value).toBe('2');
  });

  it('lets exactly one of several writers racing on the same base win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        configs.write('shop', 'local', { baseVersion: 0, set: { WHO: { value: `w${i}` } }, author: `w${i}` }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(4);
    for (const r of lost) expect(r.reason).toBeInstanceOf(ConflictError);
    const history = await configs.history('shop', 'local');
    expect(history).toHaveLength(1);
    expect((await configs.resolve('shop', 'local', 1)).values.WHO!.value).toBe(history[0]!.author);
  });

  it('lists every invalid key and file path at once', async () => {
    const attempt = configs.write('shop', 'local', {
      baseVersion: 0,
      set: { GOOD: { value: 'ok' }, '1BAD': { value: 'x' }, 'has-dash': { value: 'x' }, 'sp ace': { value: 'x' } },
      unset: ['no.dots'],
      files: { '../escape': 'x', '/etc/passwd': 'x', 'a//b': 'x', 'ok/file.txt': 'fine' },
      secretFiles: { 'x/../y': 's' },
      author: 'ann',
    });
    const err = await rejection(attempt, ValidationError);
    expect(err.problems.map((p) => p.path).sort()).toEqual(
      [
        'set.1BAD',
        'set.has-dash',
        'set.sp ace',
        'unset.no.dots',
        'files.../escape',
        'files./etc/passwd',
        'files.a//b',
        'secretFiles.x/../y',
      ].sort(),
    );
    expect(err.describe()).toMatch(/set\.1BAD: invalid key "1BAD"/);
    expect(rawEntries()).toEqual([]);
  });

  it('rejects bad shapes from untyped callers, such as an HTTP body', async () => {
    const body = JSON.parse(
      '{"baseVersion":-1,"set":{"A":{"value":5},"__proto__":{"value":"p"}},"author":"","files":{"f":7}}',
    ) as never;
    const err = await rejection(configs.write('shop', 'local', body), ValidationError);
    expect(err.problems.map((p) => p.path).sort()).toEqual(['author', 'baseVersion', 'files.f', 'set.A']);
  });

  it('treats __proto__ as an ordinary key', async () => {
    const body = JSON.parse('{"baseVersion":0,"set":{"__proto__":{"value":"p"}},"author":"ann"}') as never;
    await configs.write('shop', 'local', body);
    const view = await configs.get('shop', 'local');
    expect(Object.keys(view.values)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(view.values)).toBe(Object.prototype);
  });

  it('refuses to unset or remove what does not exist, and a change that changes nothing', async () => {
    await configs.write('shop', 'local', { baseVersion: 0, set: { A: { value: '1' } }, author: 'ann' });
    const missing = await rejection(
      configs.write('shop', 'local', { baseVersion: 1, unset: ['NOPE'], files: { 'ghost.txt': null }, author: 'ann' }),
      ValidationError,
    );
    expect(missing.problems.map((p) => p.path)).toEqual(['unset.NOPE', 'files.ghost.txt']);

    const noops: Omit<ConfigChange, 'baseVersion' | 'author'>[] = [
      { set: { A: { value: '1' } } },
      {},
      { set: {}, unset: [], files: {} },
    ];
    for (const change of noops) {
      const err = await rejection(
        configs.write('shop', 'local', { baseVersion: 1, author: 'ann', ...change }),
        ValidationError,
      );
      expect(err.message).toBe('nothing to change');
    }
    expect((await configs.current('shop', 'local')).version).toBe(1);
  });

  it('moves a file between plain and secret explicitly', async () => {
    await configs.write('shop', 'local', { baseVersion: 0, files: { 'cert.pem': 'PUBLIC' }, author: 'ann' });
    await configs.write('shop', 'local', { baseVersion: 1, secretFiles: { 'cert.pem': 'NOW-SECRET' }, author: 'ann' });
    expect((await configs.get('shop', 'local')).files['cert.pem']).toEqual({ content: MASK, secret: true, size: 10 });
    await configs.write('shop', 'local', { baseVersion: 2, files: { 'cert.pem': null }, author: 'ann' });
    expect((await configs.get('shop', 'local')).files).toEqual({});
  });

  it('fails loudly when a stored secret was tampered with', async () => {
    await configs.write('shop', 'local', { baseVersion: 0, set: { S: { value: 'x', secret: true } }, author: 'ann' });
    const raw = new Sqlite(store.file);
    const entries = (raw.prepare('select entries from config_versions').get() as { entries: string }).entries;
    const entry = JSON.parse(entries) as { values: { S: { secret: string } } };
    const parts = entry.values.S.secret.split(':');
    // flip every bit of the ciphertext: setting a fixed byte matched the random one 1 time in 256
    parts[3] = Buffer.from(Buffer.from(parts[3], 'base64').map((b) => b ^ 0xff)).toString('base64');
    entry.values.S.secret = parts.join(':');
    raw.prepare('update config_versions set entries = ?').run(JSON.stringify(entry));
    raw.close();
    await expect(configs.resolve('shop', 'local', 1)).rejects.toThrow(/tampered with/);
  });

  it('previews a change as the would-be next version without writing it', async () => {
    await configs.write('shop', 'local', { baseVersion: 0, author: 'ana', set: { A: { value: '1' } } });
    await configs.write('shop', 'local', {
      baseVersion: 1,
      author: 'ana',
      set: { TOKEN: { value: 'old-secret', secret: true } },
    });
    const trial = await configs.preview('shop', 'local', {
      set: { A: { value: '2' }, TOKEN: { value: 'new-secret' } },
      files: { 'app.conf': 'x=1' },
    });
    expect(trial.resolved.version).toBe(3);
    expect(trial.resolved.values).toEqual({
      A: { value: '2', secret: false },
      TOKEN: { value: 'new-secret', secret: true },
    });
    expect(trial.diff).toEqual([
      { kind: 'value', key: 'A', change: 'changed', from: '1', to: '2', secret: false },
      { kind: 'value', key: 'TOKEN', change: 'changed', from: MASK, to: MASK, secret: true },
      { kind: 'file', key: 'app.conf', change: 'added', to: 'x=1', secret: false },
    ]);
    expect((await configs.current('shop', 'local')).version).toBe(2);
    expect(rawEntries()).toHaveLength(2);
    await rejection(configs.preview('shop', 'local', { baseVersion: 1, set: { A: { value: '3' } } }), ConflictError);
    await rejection(configs.preview('shop', 'local', { unset: ['MISSING'] }), ValidationError);
  });
});
