import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSecretBox, SecretKeyError } from './secretBox.js';
import { MASK } from '../model/mask.js';

describe('secretBox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-secret-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 32-byte key with mode 0600 inside a 0700 home', async () => {
    const home = path.join(dir, 'home');
    const box = await loadSecretBox(home);
    expect(box.keyFile).toBe(path.join(home, 'secret.key'));
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect((await stat(box.keyFile)).mode & 0o777).toBe(0o600);
    expect((await readFile(box.keyFile)).length).toBe(32);
  });

  it('round-trips values, with a fresh IV each time, and reloads the same key', async () => {
    const box = await loadSecretBox(dir);
    for (const plain of ['s3cr3t', '', 'ünïcødé ✓ 🔐', 'x'.repeat(100_000)]) {
      const a = box.encrypt(plain);
      const b = box.encrypt(plain);
      expect(a).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/);
      expect(a).not.toBe(b);
      expect(box.decrypt(a)).toBe(plain);
      if (plain.length > 0) expect(a).not.toContain(plain);
    }
    const key = await readFile(box.keyFile);
    const again = await loadSecretBox(dir);
    expect(await readFile(again.keyFile)).toEqual(key);
    expect(again.decrypt(box.encrypt('kept'))).toBe('kept');
  });

  it('agrees on one key when many loaders start at once', async () => {
    const boxes = await Promise.all(Array.from({ length: 6 }, () => loadSecretBox(dir)));
    const sealed = boxes[0]!.encrypt('shared');
    for (const box of boxes) expect(box.decrypt(sealed)).toBe('shared');
  });

  it('refuses a tampered, truncated or foreign value with a clear error', async () => {
    const box = await loadSecretBox(dir);
    const stored = box.encrypt('attack at dawn');
    const [v, iv, tag, ct] = stored.split(':') as [string, string, string, string];
    const flip = (b64: string): string => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString('base64');
    };
    for (const bad of [
      `${v}:${iv}:${tag}:${flip(ct)}`,
      `${v}:${iv}:${flip(tag)}:${ct}`,
      `${v}:${flip(iv)}:${tag}:${ct}`,
    ]) {
      expect(() => box.decrypt(bad)).toThrow(SecretKeyError);
      expect(() => box.decrypt(bad)).toThrow(/tampered with/);
    }
    for (const bad of [
      'attack at dawn',
      `v2:${iv}:${tag}:${ct}`,
      `${v}:${iv}:${tag}`,
      `${v}:!!:${tag}:${ct}`,
      `${v}:${iv}:AAAA:${ct}`,
    ]) {
      expect(() => box.decrypt(bad)).toThrow(/malformed/);
    }
    const other = await loadSecretBox(path.join(dir, 'other-home'));
    expect(() => other.decrypt(stored)).toThrow(/another key/);
  });

  it('digests deterministically per key, without revealing the value', async () => {
    const box = await loadSecretBox(dir);
    const other = await loadSecretBox(path.join(dir, 'other-home'));
    const d = box.digest('hunter2');
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(box.digest('hunter2')).toBe(d);
    expect(box.digest('hunter3')).not.toBe(d);
    expect(other.digest('hunter2')).not.toBe(d);
  });

  it('refuses to start with a key file readable by group or others', async () => {
    const box = await loadSecretBox(dir);
    await chmod(box.keyFile, 0o640);
    await expect(loadSecretBox(dir)).rejects.toThrow(SecretKeyError);
    await expect(loadSecretBox(dir)).rejects.toThrow(/mode 640.*chmod 600/);
    await chmod(box.keyFile, 0o604);
    await expect(loadSecretBox(dir)).rejects.toThrow(/group or others/);
    await chmod(box.keyFile, 0o600);
    await expect(loadSecretBox(dir)).resolves.toBeDefined();
  });

  it('refuses a key file of the wrong size', async () => {
    await writeFile(path.join(dir, 'secret.key'), 'short', { mode: 0o600 });
    await expect(loadSecretBox(dir)).rejects.toThrow(/expected 32 bytes, found 5/);
  });

  it('masks as six asterisks', () => {
    expect(MASK).toBe('******');
  });
});
