/**
 * A secret stays secret: a later write that does not say otherwise keeps a secret value or file
 * encrypted, and making one plain takes an explicit request that the version records.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { createConfigSets, type ConfigSets } from './configSets.js';
import { loadSecretBox } from './secretBox.js';
import { MASK } from '../model/mask.js';

describe('secrecy of config keys and files', () => {
  let dir: string;
  let store: Store;
  let configs: ConfigSets;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-secrecy-'));
    store = await openStore({ file: path.join(dir, 'berth.db') });
    configs = createConfigSets(store.db, await loadSecretBox(dir));
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The database and its WAL as bytes: what a reader of the data directory sees. */
  const onDisk = async (): Promise<string> => {
    const parts = await Promise.all(
      ['berth.db', 'berth.db-wal'].map((f) => readFile(path.join(dir, f)).catch(() => Buffer.alloc(0))),
    );
    return Buffer.concat(parts).toString('latin1');
  };

  it('keeps a secret value secret when it is set again without saying so', async () => {
    await configs.write('shop', 'local', {
      baseVersion: 0,
      set: { DB_PASSWORD: { value: 'hunter2', secret: true } },
      author: 'a',
    });
    const v2 = await configs.write('shop', 'local', {
      baseVersion: 1,
      set: { DB_PASSWORD: { value: 'newpass123' } },
      author: 'a',
    });
    expect(v2.summary).toMatchObject({ changed: ['DB_PASSWORD'], madePlain: [], madeSecret: [] });
    expect((await configs.get('shop', 'local')).values.DB_PASSWORD).toEqual({ value: MASK, secret: true });
    expect(await configs.diff('shop', 'local', 1, 2)).toEqual([
      { kind: 'value', key: 'DB_PASSWORD', change: 'changed', from: MASK, to: MASK, secret: true },
    ]);
    expect((await configs.resolve('shop', 'local', 2)).values.DB_PASSWORD).toEqual({
      value: 'newpass123',
      secret: true,
    });
    const disk = await onDisk();
    expect(disk).not.toContain('newpass123');
    expect(disk).not.toContain('hunter2');
  });

  it('makes a secret value plain only when asked, and records it in the version', async () => {
    await configs.write('shop', 'local', {
      baseVersion: 0,
      set: { TOKEN: { value: 't0', secret: true } },
      author: 'a',
    });
    const v2 = await configs.write('shop', 'local', {
      baseVersion: 1,
      set: { TOKEN: { value: 'now-public', secret: false } },
      author: 'a',
    });
    expect(v2.summary).toMatchObject({ changed: ['TOKEN'], madePlain: ['TOKEN'] });
    expect((await configs.get('shop', 'local')).values.TOKEN).toEqual({ value: 'now-public', secret: false });
    expect(await configs.diff('shop', 'local', 1, 2)).toEqual([
      { kind: 'value', key: 'TOKEN', change: 'changed', from: MASK, to: MASK, secret: true, secrecy: 'madePlain' },
    ]);
    expect((await configs.history('shop', 'local'))[0]!.summary.madePlain).toEqual(['TOKEN']);
  });

  it('keeps a secret file secret when set through files, makes it plain through plainFiles, shows its real size', async () => {
    await configs.write('shop', 'local', { baseVersion: 0, secretFiles: { 'id.key': 'PRIVATE-1' }, author: 'a' });
    await configs.write('shop', 'local', { baseVersion: 1, files: { 'id.key': 'PRIVATE-22' }, author: 'a' });
    expect((await configs.get('shop', 'local')).files['id.key']).toEqual({ content: MASK, secret: true, size: 10 });
    expect(await onDisk()).not.toContain('PRIVATE-22');

    const v3 = await configs.write('shop', 'local', {
      baseVersion: 2,
      plainFiles: { 'id.key': 'öffentlich' },
      author: 'a',
    });
    expect(v3.summary).toMatchObject({ changed: ['file:id.key'], madePlain: ['file:id.key'] });
    expect((await configs.get('shop', 'local')).files['id.key']).toEqual({
      content: 'öffentlich',
      secret: false,
      size: 11, // bytes, not characters
    });
  });

  it('refuses a file named in two of files, secretFiles and plainFiles', async () => {
    await expect(
      configs.write('shop', 'local', {
        baseVersion: 0,
        secretFiles: { 'a.conf': 'x' },
        plainFiles: { 'a.conf': 'y' },
        author: 'a',
      }),
    ).rejects.toMatchObject({ problems: [{ path: 'plainFiles.a.conf', message: 'a.conf is also in secretFiles' }] });
  });
});
