import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store/store.js';
import { createTokenVerifier, defaultTokenOwner, ensureToken } from './auth.js';

describe('tokens and their owners', () => {
  it('owns a fresh token by BERTH_TOKEN_OWNER, else by the user running the server', () => {
    expect(defaultTokenOwner({ BERTH_TOKEN_OWNER: ' ops-lead ' })).toBe('ops-lead');
    expect(defaultTokenOwner({ BERTH_TOKEN_OWNER: '' })).toBe(userInfo().username);
    expect(defaultTokenOwner({})).toBe(userInfo().username);
  });

  it('verifies a token to its owner, and anything else to no one', async () => {
    const home = await mkdtemp(join(tmpdir(), 'berth-auth-'));
    const store = await openStore({ file: join(home, 'berth.db') });
    try {
      await ensureToken(store.db, home, 'alice');
      const token = (await readFile(join(home, 'token'), 'utf8')).trim();
      const verify = createTokenVerifier(store.db);
      expect(await verify(token)).toEqual({ name: 'alice' });
      expect(await verify(`${token}x`)).toBeUndefined();
      expect(await verify(undefined)).toBeUndefined();
    } finally {
      await store.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
