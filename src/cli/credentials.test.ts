import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialFor, credentialsFile, removeCredential, saveCredential } from './credentials.js';

describe('credentials.json', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'berth-credentials-'));
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  const dev = { token: 'berth_a', user: 'dev', id: 1, expiresAt: null };
  const ops = { token: 'berth_b', user: 'ops', id: 2, expiresAt: '2030-01-01T00:00:00.000Z' };

  it('keeps one token per server URL, readable only by its owner', async () => {
    await saveCredential(home, 'http://127.0.0.1:7420', dev);
    await saveCredential(home, 'https://berth.example', ops);
    expect((await stat(credentialsFile(home))).mode & 0o777).toBe(0o600);
    expect(await credentialFor(home, 'http://127.0.0.1:7420')).toEqual(dev);
    expect(await credentialFor(home, 'https://berth.example')).toEqual(ops);
    expect(await credentialFor(home, 'http://elsewhere')).toBeUndefined();
    // an own-key lookup: no inherited property passes for a server
    expect(await credentialFor(home, 'constructor')).toBeUndefined();

    await removeCredential(home, 'http://127.0.0.1:7420');
    expect(JSON.parse(await readFile(credentialsFile(home), 'utf8'))).toEqual({
      servers: { 'https://berth.example': ops },
    });
  });

  it('signs nobody in from a missing or damaged file, and the next login rewrites it', async () => {
    expect(await credentialFor(home, 'http://127.0.0.1:7420')).toBeUndefined();
    await writeFile(credentialsFile(home), '{not json');
    expect(await credentialFor(home, 'http://127.0.0.1:7420')).toBeUndefined();
    await saveCredential(home, 'http://127.0.0.1:7420', dev);
    expect(await credentialFor(home, 'http://127.0.0.1:7420')).toEqual(dev);
  });
});
