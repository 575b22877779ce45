/**
 * Users and service accounts (docs/access.md). A local user signs in with a password (its scrypt hash
 * is stored, src/access/passwords.ts); a service account never does, it acts through its tokens (a
 * pipeline's runs, a CI job); a user first seen through single sign-on is stored with source `sso` and
 * no password. Groups are local memberships; an SSO session adds its provider's groups claim.
 */
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Database, UsersTable } from '../store/schema.js';
import { MIN_PASSWORD_LENGTH, hashPassword, verifyPassword } from './passwords.js';

export type UserKind = 'user' | 'service';

export interface User {
  name: string;
  kind: UserKind;
  displayName: string | null;
  source: 'local' | 'sso';
  disabled: boolean;
  /** Whether a password is set (it can sign in with one). */
  hasPassword: boolean;
  groups: string[];
  createdAt: string;
  createdBy: string | null;
}

/** A user or group name: letters, digits and `._@-`, starting with a letter or digit, at most 128 characters. */
export const SUBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export interface NewUser {
  name: string;
  kind: UserKind;
  displayName?: string;
  password?: string;
  groups?: readonly string[];
  source?: 'local' | 'sso';
  createdBy: string;
}

export interface UserStore {
  create(u: NewUser): Promise<User>;
  get(name: string): Promise<User>;
  find(name: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  setPassword(name: string, password: string): Promise<void>;
  setGroups(name: string, groups: readonly string[]): Promise<User>;
  setDisabled(name: string, disabled: boolean): Promise<User>;
  setDisplayName(name: string, displayName: string | null): Promise<User>;
  remove(name: string): Promise<void>;
  /** The enabled local user `name` whose password is `password`, or undefined (the same work either way). */
  checkPassword(name: string, password: string): Promise<User | undefined>;
}

function checkName(field: string, name: string): void {
  if (!SUBJECT_NAME.test(name))
    throw new ValidationError(`invalid ${field}`, [
      {
        file: 'request body',
        path: field,
        message: `${JSON.stringify(name)} is not a valid name (${SUBJECT_NAME.source})`,
      },
    ]);
}

function checkPasswordRule(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new ValidationError('invalid password', [
      {
        file: 'request body',
        path: 'password',
        message: `a password needs at least ${MIN_PASSWORD_LENGTH} characters`,
      },
    ]);
}

/** A hash to verify against when the user does not exist, so a wrong name costs as long as a wrong password. */
let decoy: Promise<string> | undefined;

export function createUserStore(db: Kysely<Database>): UserStore {
  const groupsOf = async (name: string): Promise<string[]> =>
    (await db.selectFrom('user_groups').select('grp').where('user', '=', name).orderBy('grp').execute()).map(
      (r) => r.grp,
    );
  const toUser = async (r: Selectable<UsersTable>): Promise<User> => ({
    name: r.name,
    kind: r.kind as UserKind,
    displayName: r.display_name,
    source: r.source === 'sso' ? 'sso' : 'local',
    disabled: r.disabled !== 0,
    hasPassword: r.password_hash !== null,
    groups: await groupsOf(r.name),
    createdAt: r.created_at,
    createdBy: r.created_by,
  });
  const row = (name: string) => db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  const get = async (name: string): Promise<User> => {
    const r = await row(name);
    if (!r) throw new NotFoundError(`no user ${name}`, { details: { user: name } });
    return toUser(r);
  };
  const setGroups = async (name: string, groups: readonly string[]): Promise<User> => {
    for (const g of groups) checkName('groups', g);
    await get(name);
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('user_groups').where('user', '=', name).execute();
      const unique = [...new Set(groups)];
      if (unique.length)
        await tx
          .insertInto('user_groups')
          .values(unique.map((grp) => ({ user: name, grp })))
          .execute();
    });
    return get(name);
  };
  return {
    async create(u) {
      checkName('name', u.name);
      if (u.kind === 'service' && u.password !== undefined)
        throw new ValidationError('invalid user', [
          {
            file: 'request body',
            path: 'password',
            message: 'a service account has no password: it acts through tokens',
          },
        ]);
      if (u.password !== undefined) checkPasswordRule(u.password);
      for (const g of u.groups ?? []) checkName('groups', g); // before the insert: a bad group leaves no user behind
      if (await row(u.name)) throw new ConflictError(`user ${u.name} exists`, { details: { user: u.name } });
      await db
        .insertInto('users')
        .values({
          name: u.name,
          kind: u.kind,
          display_name: u.displayName ?? null,
          password_hash: u.password === undefined ? null : await hashPassword(u.password),
          source: u.source ?? 'local',
          created_by: u.createdBy,
        })
        .execute();
      return u.groups?.length ? setGroups(u.name, u.groups) : get(u.name);
    },
    get,
    async find(name) {
      const r = await row(name);
      return r ? toUser(r) : undefined;
    },
    async list() {
      const rows = await db.selectFrom('users').selectAll().orderBy('name').execute();
      return Promise.all(rows.map(toUser));
    },
    async setPassword(name, password) {
      const u = await get(name);
      if (u.kind === 'service')
        throw new ValidationError('invalid user', [
          { file: 'request body', path: 'password', message: `${name} is a service account: it has no password` },
        ]);
      checkPasswordRule(password);
      await db
        .updateTable('users')
        .set({ password_hash: await hashPassword(password) })
        .where('name', '=', name)
        .execute();
    },
    setGroups,
    async setDisabled(name, disabled) {
      await get(name);
      await db
        .updateTable('users')
        .set({ disabled: disabled ? 1 : 0 })
        .where('name', '=', name)
        .execute();
      return get(name);
    },
    async setDisplayName(name, displayName) {
      await get(name);
      await db.updateTable('users').set({ display_name: displayName }).where('name', '=', name).execute();
      return get(name);
    },
    async remove(name) {
      await get(name);
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('user_groups').where('user', '=', name).execute();
        await tx.deleteFrom('role_bindings').where('subject_kind', '=', 'user').where('subject', '=', name).execute();
        await tx.deleteFrom('sessions').where('user', '=', name).execute();
        await tx
          .updateTable('tokens')
          .set({ revoked_at: new Date().toISOString() })
          .where('user', '=', name)
          .where('revoked_at', 'is', null)
          .execute();
        await tx.deleteFrom('users').where('name', '=', name).execute();
      });
    },
    async checkPassword(name, password) {
      const r = await row(name);
      if (!r || r.password_hash === null || r.disabled !== 0) {
        decoy ??= hashPassword('decoy password, never matched');
        await verifyPassword(password, await decoy);
        return undefined;
      }
      return (await verifyPassword(password, r.password_hash)) ? toUser(r) : undefined;
    },
  };
}
