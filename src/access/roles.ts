/**
 * Roles and role bindings (docs/access.md). The built-in roles (viewer, developer, deployer, admin) are
 * in the model; custom roles are stored sets of permissions. A binding gives a user or a group one role
 * in an app and an environment (`*`: any), as Argo CD's project roles and Devtron's per-environment
 * access do. Deny by default: no binding, no permission.
 */
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { ANY, BUILTIN_ROLES, isPermission, type Grant, type Permission } from '../model/access.js';
import { DNS_LABEL } from '../model/names.js';
import type { Database, RoleBindingsTable } from '../store/schema.js';
import { SUBJECT_NAME } from './users.js';

export interface Role {
  name: string;
  builtin: boolean;
  permissions: Permission[];
  description: string | null;
}

export type SubjectKind = 'user' | 'group';

export interface RoleBinding {
  id: number;
  subjectKind: SubjectKind;
  subject: string;
  role: string;
  app: string;
  env: string;
  createdAt: string;
  createdBy: string | null;
}

export interface NewBinding {
  subjectKind: SubjectKind;
  subject: string;
  role: string;
  app?: string;
  env?: string;
  createdBy: string;
}

export interface RoleStore {
  roles(): Promise<Role[]>;
  role(name: string): Promise<Role>;
  createRole(r: {
    name: string;
    permissions: readonly string[];
    description?: string;
    createdBy: string;
  }): Promise<Role>;
  /** Deletes a custom role; refused (409) while a binding uses it. */
  deleteRole(name: string): Promise<void>;
  bindings(filter?: {
    subjectKind?: SubjectKind;
    subject?: string;
    app?: string;
    env?: string;
  }): Promise<RoleBinding[]>;
  bind(b: NewBinding): Promise<RoleBinding>;
  unbind(id: number): Promise<RoleBinding>;
  /** What the bindings of `user` and of its `groups` grant. */
  grantsOf(user: string, groups: readonly string[]): Promise<Grant[]>;
}

const bad = (path: string, message: string): ValidationError =>
  new ValidationError(`invalid ${path}`, [{ file: 'request body', path, message }]);

function toBinding(r: Selectable<RoleBindingsTable>): RoleBinding {
  return {
    id: r.id,
    subjectKind: r.subject_kind as SubjectKind,
    subject: r.subject,
    role: r.role,
    app: r.app,
    env: r.env,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

function permissionsOf(json: string): Permission[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((p): p is Permission => typeof p === 'string' && isPermission(p)) : [];
}

export function createRoleStore(db: Kysely<Database>): RoleStore {
  const custom = async (name: string): Promise<Role | undefined> => {
    const r = await db.selectFrom('roles').selectAll().where('name', '=', name).executeTakeFirst();
    return r && { name: r.name, builtin: false, permissions: permissionsOf(r.permissions), description: r.description };
  };
  const role = async (name: string): Promise<Role> => {
    const builtin = BUILTIN_ROLES.get(name);
    if (BUILTIN_ROLES.has(name) && builtin)
      return { name, builtin: true, permissions: [...builtin], description: null };
    const r = await custom(name);
    if (!r) throw new NotFoundError(`no role ${name}`, { details: { role: name } });
    return r;
  };
  const bindingRow = (id: number) => db.selectFrom('role_bindings').selectAll().where('id', '=', id).executeTakeFirst();
  return {
    async roles() {
      const stored = await db.selectFrom('roles').selectAll().orderBy('name').execute();
      return [
        ...[...BUILTIN_ROLES].map(([name, permissions]) => ({
          name,
          builtin: true,
          permissions: [...permissions],
          description: null,
        })),
        ...stored.map((r) => ({
          name: r.name,
          builtin: false,
          permissions: permissionsOf(r.permissions),
          description: r.description,
        })),
      ];
    },
    role,
    async createRole(r) {
      if (!DNS_LABEL.test(r.name))
        throw bad('name', `${JSON.stringify(r.name)} is not a valid role name (a DNS label)`);
      if (BUILTIN_ROLES.has(r.name) || (await custom(r.name)))
        throw new ConflictError(`role ${r.name} exists`, { details: { role: r.name } });
      const unknown = r.permissions.filter((p) => !isPermission(p));
      if (unknown.length)
        throw bad('permissions', `unknown permission${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
      if (!r.permissions.length) throw bad('permissions', 'a role needs at least one permission');
      await db
        .insertInto('roles')
        .values({
          name: r.name,
          permissions: JSON.stringify([...new Set(r.permissions)]),
          description: r.description ?? null,
          created_by: r.createdBy,
        })
        .execute();
      return role(r.name);
    },
    async deleteRole(name) {
      if (BUILTIN_ROLES.has(name)) throw new ConflictError(`role ${name} is built in`, { details: { role: name } });
      await role(name);
      const used = await db
        .selectFrom('role_bindings')
        .select('id')
        .where('role', '=', name)
        .limit(1)
        .executeTakeFirst();
      if (used)
        throw new ConflictError(`role ${name} is bound (binding ${used.id}): remove its bindings first`, {
          details: { role: name },
        });
      await db.deleteFrom('roles').where('name', '=', name).execute();
    },
    async bindings(filter = {}) {
      let q = db.selectFrom('role_bindings').selectAll().orderBy('id');
      if (filter.subjectKind !== undefined) q = q.where('subject_kind', '=', filter.subjectKind);
      if (filter.subject !== undefined) q = q.where('subject', '=', filter.subject);
      if (filter.app !== undefined) q = q.where('app', '=', filter.app);
      if (filter.env !== undefined) q = q.where('env', '=', filter.env);
      return (await q.execute()).map(toBinding);
    },
    async bind(b) {
      if (!SUBJECT_NAME.test(b.subject))
        throw bad('subject', `${JSON.stringify(b.subject)} is not a valid ${b.subjectKind} name`);
      const app = b.app ?? ANY;
      const env = b.env ?? ANY;
      if (app !== ANY && !DNS_LABEL.test(app)) throw bad('app', `${JSON.stringify(app)} is not an app name or *`);
      if (env !== ANY && !DNS_LABEL.test(env))
        throw bad('env', `${JSON.stringify(env)} is not an environment name or *`);
      await role(b.role);
      const same = await db
        .selectFrom('role_bindings')
        .selectAll()
        .where('subject_kind', '=', b.subjectKind)
        .where('subject', '=', b.subject)
        .where('role', '=', b.role)
        .where('app', '=', app)
        .where('env', '=', env)
        .executeTakeFirst();
      if (same) return toBinding(same);
      const { id } = await db
        .insertInto('role_bindings')
        .values({ subject_kind: b.subjectKind, subject: b.subject, role: b.role, app, env, created_by: b.createdBy })
        .returning('id')
        .executeTakeFirstOrThrow();
      return toBinding((await bindingRow(id))!);
    },
    async unbind(id) {
      const r = await bindingRow(id);
      if (!r) throw new NotFoundError(`no role binding ${id}`, { details: { binding: id } });
      await db.deleteFrom('role_bindings').where('id', '=', id).execute();
      return toBinding(r);
    },
    async grantsOf(user, groups) {
      let q = db
        .selectFrom('role_bindings')
        .selectAll()
        .where((eb) => {
          const ors = [eb.and([eb('subject_kind', '=', 'user'), eb('subject', '=', user)])];
          if (groups.length) ors.push(eb.and([eb('subject_kind', '=', 'group'), eb('subject', 'in', [...groups])]));
          return eb.or(ors);
        });
      q = q.orderBy('id');
      const rows = await q.execute();
      const customs = new Map<string, Role | undefined>();
      const grants: Grant[] = [];
      for (const r of rows) {
        let permissions: readonly Permission[] | undefined = BUILTIN_ROLES.has(r.role)
          ? BUILTIN_ROLES.get(r.role)
          : undefined;
        if (!permissions) {
          if (!customs.has(r.role)) customs.set(r.role, await custom(r.role));
          permissions = customs.get(r.role)?.permissions;
        }
        if (permissions) grants.push({ role: r.role, permissions, app: r.app, env: r.env });
      }
      return grants;
    },
  };
}
