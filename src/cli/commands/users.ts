/** `berth user create|list|show|set|delete`: users and service accounts (docs/access.md). */
import { Option, type Command } from 'commander';
import { contextOf } from '../context.js';
import { printData, printTable } from '../output.js';
import { readPassword } from '../password.js';
import type { UserView as User } from '../../server/userSchemas.js';
import { ValidationError } from '../../errors.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function printUsers(users: User[]): void {
  printTable(
    users.map((u) => ({
      name: u.name,
      kind: u.kind,
      groups: u.groups,
      password: u.hasPassword ? 'yes' : 'no',
      status: u.disabled ? 'disabled' : 'enabled',
      source: u.source,
      created: u.createdAt,
    })),
    ['name', 'kind', 'groups', 'password', 'status', 'source', 'created'],
  );
}

export function registerUsers(program: Command): void {
  const user = program.command('user').description('users and service accounts');

  user
    .command('create <name>')
    .description('create a user (its password asked, or --password-stdin) or a service account (--service)')
    .option('--service', 'a service account: no password, acts through tokens (berth token create --user NAME)')
    .option('--group <group>', 'a group it is in (repeatable)', collect)
    .option('--display-name <text>', 'its full name')
    .option('--password-stdin', 'read the password from stdin')
    .action(
      async (
        name: string,
        o: { service?: boolean; group?: string[]; displayName?: string; passwordStdin?: boolean },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const password = o.service
          ? undefined
          : await readPassword({ stdin: Boolean(o.passwordStdin), confirm: true, what: `password for ${name}` });
        const made = await (
          await ctx.client()
        ).post<User>('/api/v1/users', {
          name,
          kind: o.service ? 'service' : 'user',
          ...(password ? { password } : {}),
          ...(o.group ? { groups: o.group } : {}),
          ...(o.displayName ? { displayName: o.displayName } : {}),
        });
        if (ctx.output !== 'table') return printData(ctx.output, made);
        const what = made.kind === 'service' ? 'service account' : 'user';
        process.stdout.write(
          `Created ${what} ${made.name}${made.groups.length ? ` in ${made.groups.join(', ')}` : ''}${
            made.kind === 'user' && !made.hasPassword
              ? ' (no password: it signs in with single sign-on or once one is set)'
              : ''
          }\n`,
        );
      },
    );

  user
    .command('list')
    .alias('ls')
    .description('every user and service account')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const users = await (await ctx.client()).get<User[]>('/api/v1/users');
      if (ctx.output !== 'table') return printData(ctx.output, users);
      printUsers(users);
    });

  user
    .command('show <name>')
    .description('a user or service account, with its role bindings')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      const u = await client.get<User>(`/api/v1/users/${encodeURIComponent(name)}`);
      const bindings = await client.get<
        { id: number; subjectKind: string; subject: string; role: string; app: string; env: string }[]
      >('/api/v1/role-bindings', { subject: name });
      const own = bindings.filter((b) => b.subjectKind === 'user');
      if (ctx.output !== 'table') return printData(ctx.output, { ...u, bindings: own });
      printUsers([u]);
      if (own.length) {
        process.stdout.write('\n');
        printTable(own, ['id', 'role', 'app', 'env']);
      }
    });

  user
    .command('set <name>')
    .description('change a user: password, groups, display name, enabled or disabled')
    .option('--password-stdin', 'a new password from stdin')
    .option('--password', 'ask a new password on the terminal')
    .option('--group <group>', 'its groups, replacing the current ones (repeatable)', collect)
    .option('--no-groups', 'take it out of every group')
    .option('--display-name <text>', 'its full name')
    .addOption(new Option('--disable', 'refuse its tokens and sessions').conflicts('enable'))
    .option('--enable', 'let it in again')
    .action(
      async (
        name: string,
        o: {
          passwordStdin?: boolean;
          password?: boolean;
          group?: string[];
          groups?: boolean;
          displayName?: string;
          disable?: boolean;
          enable?: boolean;
        },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const password =
          o.passwordStdin || o.password
            ? await readPassword({ stdin: Boolean(o.passwordStdin), confirm: true, what: `new password for ${name}` })
            : undefined;
        if ((o.passwordStdin || o.password) && !password)
          throw new ValidationError('no password', [
            { file: 'command line', path: '--password', message: 'stdin is not a terminal: use --password-stdin' },
          ]);
        const u = await (
          await ctx.client()
        ).patch<User>(`/api/v1/users/${encodeURIComponent(name)}`, {
          ...(password ? { password } : {}),
          ...(o.group ? { groups: o.group } : o.groups === false ? { groups: [] } : {}),
          ...(o.displayName !== undefined ? { displayName: o.displayName } : {}),
          ...(o.disable ? { disabled: true } : o.enable ? { disabled: false } : {}),
        });
        if (ctx.output !== 'table') return printData(ctx.output, u);
        printUsers([u]);
      },
    );

  user
    .command('delete <name>')
    .description('delete a user: its tokens are revoked, its role bindings removed, its sessions ended')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      await (await ctx.client()).delete(`/api/v1/users/${encodeURIComponent(name)}`);
      process.stdout.write(`Deleted ${name}: its tokens are revoked and its sessions ended\n`);
    });
}
