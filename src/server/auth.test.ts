import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store/store.js';
import { createAccess } from '../access/access.js';
import { defaultTokenOwner, ensureToken } from './auth.js';

describe('the bootstrap token', () => {
  it('owns a fresh token by BERTH_TOKEN_OWNER, else by the user running the server', () => {
    expect(defaultTokenOwner({ BERTH_TOKEN_OWNER: ' ops-lead ' })).toBe('ops-lead');
    expect(defaultTokenOwner({ BERTH_TOKEN_OWNER: '' })).toBe(userInfo().username);
    expect(defaultTokenOwner({})).toBe(userInfo().username);
  });

  it('verifies to its owner as an admin everywhere, anything else to no one; a lost or stale copy is replaced', async () => {
    const home = await mkdtemp(join(tmpdir(), 'berth-auth-'));
    const store = await openStore({ file: join(home, 'berth.db') });
    try {
      const access = createAccess(store.db);
      await ensureToken(access.tokens, home, 'alice');
      const token = (await readFile(join(home, 'token'), 'utf8')).trim();
      const p = await access.authorizer.fromToken(token);
      expect(p).toMatchObject({ name: 'alice', kind: 'bootstrap', via: 'token', tokenScopes: null });
      expect(await access.authorizer.can(p!, 'system:shutdown', {})).toBe(true);
      expect(await access.authorizer.fromToken(`${token}x`)).toBeUndefined();

      await ensureToken(access.tokens, home, 'alice');
      expect((await readFile(join(home, 'token'), 'utf8')).trim()).toBe(token); // kept while valid

      await writeFile(join(home, 'token'), 'berth_stale\n');
      await ensureToken(access.tokens, home, 'alice');
      const fresh = (await readFile(join(home, 'token'), 'utf8')).trim();
      expect(fresh).not.toBe(token);
      expect(await access.authorizer.fromToken(fresh)).toMatchObject({ name: 'alice', kind: 'bootstrap' });
      expect(await access.authorizer.fromToken(token)).toMatchObject({ name: 'alice' }); // the other stays valid
    } finally {
      await store.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
