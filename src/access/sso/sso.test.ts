import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/store.js';
import { createAccess } from '../access.js';
import { createSso } from './sso.js';
import { createPendingStore } from './pending.js';

describe('single sign-on without its issuer', () => {
  let home: string;
  let store: Store;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'berth-sso-'));
    store = await openStore({ file: join(home, 'berth.db') });
  });
  afterEach(async () => {
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  it('is absent when not configured', () => {
    expect(
      createSso({ env: {}, db: store.db, users: createAccess(store.db).users, logger: pino({ level: 'silent' }) }),
    ).toBeUndefined();
  });

  it('starts disabled and says why when the issuer cannot be reached, or a setting is wrong', async () => {
    // A port that refuses connections: bound, then closed.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const env = { BERTH_OIDC_ISSUER: `http://127.0.0.1:${port}`, BERTH_OIDC_CLIENT_ID: 'berth' };
    const sso = createSso({ env, db: store.db, users: createAccess(store.db).users, logger })!;
    sso.start('http://127.0.0.1:7420');
    try {
      await expect(sso.beginConsole('/', 'binding')).rejects.toMatchObject({ code: 'sso_unavailable' });
      expect(sso.status()).toMatchObject({ enabled: false, issuer: `http://127.0.0.1:${port}/` });
      expect(sso.status().reason).toMatch(/could not be discovered/);
      expect(lines.join('')).toMatch(/single sign-on unavailable/);
    } finally {
      sso.stop();
    }
    const wrong = createSso({
      env: { BERTH_OIDC_ISSUER: 'https://id.example.com' },
      db: store.db,
      users: createAccess(store.db).users,
      logger,
    })!;
    expect(wrong.status()).toMatchObject({ enabled: false });
    expect(wrong.status().reason).toContain('BERTH_OIDC_CLIENT_ID');
  });

  it('refuses a plain-http issuer that is not on this machine', async () => {
    const logger = pino({ level: 'silent' });
    const env = { BERTH_OIDC_ISSUER: 'http://id.example.com', BERTH_OIDC_CLIENT_ID: 'berth' };
    const sso = createSso({ env, db: store.db, users: createAccess(store.db).users, logger })!;
    sso.start('http://127.0.0.1:7420');
    try {
      await expect(sso.beginCli(5000, 'c'.repeat(43))).rejects.toMatchObject({ code: 'sso_unavailable' });
      expect(sso.status().reason).toMatch(/not https/);
    } finally {
      sso.stop();
    }
  });

  it('keeps pending sign-ins and CLI codes for one use, until they expire', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const pending = createPendingStore(store.db, () => now);
    await pending.saveLogin('s1', { nonce: 'n', verifier: 'v', returnTo: '/x', binding: 'b' });
    expect(await pending.takeLogin('s1')).toEqual({ nonce: 'n', verifier: 'v', returnTo: '/x', binding: 'b' });
    expect(await pending.takeLogin('s1')).toBeUndefined();
    const code = await pending.saveCode({ user: 'alice', challenge: 'c' });
    now = new Date(now.getTime() + 3 * 60_000);
    expect(await pending.takeCode(code)).toBeUndefined();
  });
});
