/** `berth role list|show|create|delete|bind|unbind|bindings`: roles and role bindings (docs/access.md). */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { printData, printTable } from '../output.js';
import type { RoleView as Role, RoleBindingView as RoleBinding } from '../../server/userSchemas.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { versionNumber } from '../flags.js';

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function printBindings(bindings: RoleBinding[]): void {
  printTable(
    bindings.map((b) => ({
      id: b.id,
      subject: `${b.subjectKind} ${b.subject}`,
      role: b.role,
      app: b.app,
      env: b.env,
      by: b.createdBy,
    })),
    ['id', 'subject', 'role', 'app', 'env', 'by'],
  );
}

/** `--user U` or `--group G`, exactly one. */
function subjectOf(o: { user?: string; group?: string }): { user: string } | { group: string } {
  if (o.user && o.group)
    throw new ValidationError('invalid subject', [
      { file: 'command line', path: '--group', message: 'name --user or --group, not both' },
    ]);
  if (o.user) return { user: o.user };
  if (o.group) return { group: o.group };
  throw new ValidationError('missing subject', [
    { file: 'command line', path: '--user', message: 'name --user U or --group G' },
  ]);
}

export function registerRoles(program: Command): void {
  const role = program
    .command('role')
    .description('roles (sets of permissions) and their bindings to users and groups');

  role
    .command('list')
    .alias('ls')
    .description('the built-in and custom roles')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const roles = await (await ctx.client()).get<Role[]>('/api/v1/roles');
      if (ctx.output !== 'table') return printData(ctx.output, roles);
      printTable(
        roles.map((r) => ({ ...r, kind: r.builtin ? 'built-in' : 'custom' })),
        ['name', 'kind', 'permissions', 'description'],
      );
    });

  role
    .command('show <name>')
    .description('a role: its permissions and bindings')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      const r = (await client.get<Role[]>('/api/v1/roles')).find((x) => x.name === name);
      if (!r) throw new NotFoundError(`no role ${name}`);
      const bindings = (await client.get<RoleBinding[]>('/api/v1/role-bindings')).filter((b) => b.role === name);
      if (ctx.output !== 'table') return printData(ctx.output, { ...r, bindings });
      process.stdout.write(
        `${r.name} (${r.builtin ? 'built-in' : 'custom'})${r.description ? `: ${r.description}` : ''}\n`,
      );
      for (const p of r.permissions) process.stdout.write(`  ${p}\n`);
      process.stdout.write('\n');
      if (bindings.length) printBindings(bindings);
      else process.stdout.write('Bound to nobody.\n');
    });

  role
    .command('create <name>')
    .description('create a custom role')
    .requiredOption('--permissions <list>', 'its permissions, comma-separated (apps:read,apps:deploy)', list)
    .option('--description <text>', 'what it is for')
    .action(async (name: string, o: { permissions: string[]; description?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const r = await (
        await ctx.client()
      ).post<Role>('/api/v1/roles', {
        name,
        permissions: o.permissions,
        ...(o.description ? { description: o.description } : {}),
      });
      if (ctx.output !== 'table') return printData(ctx.output, r);
      process.stdout.write(`Created role ${r.name}: ${r.permissions.join(', ')}\n`);
    });

  role
    .command('delete <name>')
    .description('delete a custom role (refused while it is bound)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      await (await ctx.client()).delete(`/api/v1/roles/${encodeURIComponent(name)}`);
      process.stdout.write(`Deleted role ${name}\n`);
    });

  role
    .command('bind <role>')
    .description('give a user or a group a role in an app and an environment (default: any)')
    .option('--user <name>', 'the user or service account')
    .option('--group <name>', 'the group')
    .option('--app <app>', 'only this app (default: any, *)')
    .option('--env <env>', 'only this environment (default: any, *)')
    .action(
      async (roleName: string, o: { user?: string; group?: string; app?: string; env?: string }, cmd: Command) => {
        const ctx = contextOf(cmd);
        const b = await (
          await ctx.client()
        ).post<RoleBinding>('/api/v1/role-bindings', {
          ...subjectOf(o),
          role: roleName,
          ...(o.app ? { app: o.app } : {}),
          ...(o.env ? { env: o.env } : {}),
        });
        if (ctx.output !== 'table') return printData(ctx.output, b);
        process.stdout.write(
          `Bound ${b.subjectKind} ${b.subject} to ${b.role} on app ${b.app} in environment ${b.env} (binding ${b.id})\n`,
        );
      },
    );

  role
    .command('unbind <id>')
    .description('remove a role binding (its id: berth role bindings)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const b = await (await ctx.client()).delete<RoleBinding>(`/api/v1/role-bindings/${versionNumber(id)}`);
      if (ctx.output !== 'table') return printData(ctx.output, b);
      process.stdout.write(
        `Removed binding ${b.id}: ${b.subjectKind} ${b.subject} no longer has ${b.role} on app ${b.app} in environment ${b.env}\n`,
      );
    });

  role
    .command('bindings')
    .description('who has which role where')
    .option('--user <name>', 'only this user’s')
    .option('--group <name>', 'only this group’s')
    .option('--app <app>', 'only bindings on this app (or *)')
    .option('--env <env>', 'only bindings in this environment (or *)')
    .action(async (o: { user?: string; group?: string; app?: string; env?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const subject = o.user ?? o.group;
      const kind = o.user ? 'user' : o.group ? 'group' : undefined;
      const bindings = (
        await (await ctx.client()).get<RoleBinding[]>('/api/v1/role-bindings', { subject, app: o.app, env: o.env })
      ).filter((b) => kind === undefined || b.subjectKind === kind);
      if (ctx.output !== 'table') return printData(ctx.output, bindings);
      printBindings(bindings);
    });
}
