/**
 * Users for e2e tests, written straight into a control plane's SQLite file (src/access/, the same code the
 * identity API runs): a user or service account, its groups, its role bindings, and a personal token. For
 * tests that are about something else than making users (approvals, audit, SSO, the role matrix); the
 * identity API has its own tests. The control plane may be running: SQLite's WAL and busy timeout let
 * both write.
 */
import { join } from 'node:path';
import { createAccess } from '../../src/access/access.js';
import { openStore } from '../../src/store/store.js';

export interface TestUser {
  name: string;
  kind?: 'user' | 'service';
  password?: string;
  groups?: string[];
  /** Role bindings of the user: a role in an app and an environment (`*` when left out). */
  bindings?: { role: string; app?: string; env?: string }[];
}

/** Creates `u` in the control plane whose home is `home`; its personal token's secret. */
export async function addUser(home: string, u: TestUser): Promise<string> {
  const store = await openStore({ file: join(home, 'berth.db') });
  try {
    const access = createAccess(store.db);
    await access.users.create({
      name: u.name,
      kind: u.kind ?? 'user',
      ...(u.password !== undefined ? { password: u.password } : {}),
      ...(u.groups ? { groups: u.groups } : {}),
      createdBy: 'test',
    });
    for (const b of u.bindings ?? [])
      await access.roles.bind({
        subjectKind: 'user',
        subject: u.name,
        role: b.role,
        ...(b.app ? { app: b.app } : {}),
        ...(b.env ? { env: b.env } : {}),
        createdBy: 'test',
      });
    const { secret } = await access.tokens.issue({
      name: 'test',
      kind: u.kind === 'service' ? 'service' : 'personal',
      user: u.name,
      createdBy: 'test',
    });
    return secret;
  } finally {
    await store.close();
  }
}

/** Binds `role` to group `group` in the control plane whose home is `home`. */
export async function bindGroup(
  home: string,
  group: string,
  role: string,
  where: { app?: string; env?: string } = {},
): Promise<void> {
  const store = await openStore({ file: join(home, 'berth.db') });
  try {
    await createAccess(store.db).roles.bind({
      subjectKind: 'group',
      subject: group,
      role,
      ...where,
      createdBy: 'test',
    });
  } finally {
    await store.close();
  }
}
