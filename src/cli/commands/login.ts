/** `berth login`, `berth logout`, `berth whoami`: signing in to a control plane as a user (docs/access.md). */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { ssoLogin } from './ssoLogin.js';
import { createClient } from '../client.js';
import { printData, printTable } from '../output.js';
import { credentialFor, credentialsFile, removeCredential, saveCredential } from '../credentials.js';
import { canAsk, readPassword } from '../password.js';
import { BerthError, UnauthorizedError, ValidationError } from '../../errors.js';

interface LoginAnswer {
  token: string;
  id: number;
  user: string;
  expiresAt: string | null;
}

interface Me {
  name: string;
  kind: string;
  groups: string[];
  via: string;
  credential: string;
  tokenScopes: string[] | null;
  grants: { role: string; permissions: string[]; app: string; env: string }[];
}

/** The user name, asked on the terminal (echoed). */
async function askUser(): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question('user: ')).trim();
  } finally {
    rl.close();
  }
}

const missing = (path: string, message: string): ValidationError =>
  new ValidationError(`missing ${path}`, [{ file: 'command line', path, message }]);

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('sign in as a user: a personal token for this control plane, kept in <home>/credentials.json')
    .option('--user <name>', 'the user (asked on a terminal when absent)')
    .option('--password-stdin', 'read the password from stdin (else it is asked without echo)')
    .option('--expires <duration>', 'how long the token lives: 30d (default), 12h… at most 366d')
    .option('--sso', 'single sign-on: prints the URL to open in a browser, waits for it on a local callback')
    .option('--open', 'with --sso: open the URL in the default browser too')
    .action(
      async (
        o: { user?: string; passwordStdin?: boolean; expires?: string; sso?: boolean; open?: boolean },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        if (o.sso)
          return ssoLogin(ctx, { ...(o.open ? { open: true } : {}), ...(o.expires ? { expiresIn: o.expires } : {}) });
        const client = await ctx.client();
        let user = o.user;
        if (!user && !o.passwordStdin && canAsk()) user = await askUser();
        if (!user) throw missing('--user', 'name the user to sign in as');
        const password = await readPassword({ stdin: Boolean(o.passwordStdin) });
        if (!password)
          throw missing('--password-stdin', 'stdin is not a terminal: pipe the password with --password-stdin');
        const answer = await client.post<LoginAnswer>('/api/v1/login', {
          user,
          password,
          name: `login@${hostname()}`.slice(0, 128),
          ...(o.expires ? { expiresIn: o.expires } : {}),
        });
        await saveCredential(ctx.home, client.url, {
          token: answer.token,
          user: answer.user,
          id: answer.id,
          expiresAt: answer.expiresAt,
        });
        if (ctx.output !== 'table')
          return printData(ctx.output, {
            server: client.url,
            user: answer.user,
            id: answer.id,
            expiresAt: answer.expiresAt,
          });
        process.stdout.write(
          `Signed in to ${client.url} as ${answer.user} (token ${answer.id}, expires ${answer.expiresAt ?? 'never'}); kept in ${credentialsFile(ctx.home)}\n`,
        );
      },
    );

  program
    .command('logout')
    .description('sign out: revoke the token `berth login` kept for this control plane and forget it')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const url = (await ctx.client()).url;
      const signedIn = await credentialFor(ctx.home, url);
      if (!signedIn) throw new ValidationError(`not signed in to ${url}`, []);
      const client = await createClient({ home: ctx.home, server: url, token: signedIn.token });
      try {
        await client.delete(`/api/v1/tokens/${signedIn.id}`);
      } catch (err) {
        // Already revoked or expired: nothing left to revoke, only to forget.
        if (!(err instanceof UnauthorizedError) && !(err instanceof BerthError && err.code === 'NOT_FOUND')) throw err;
      }
      await removeCredential(ctx.home, url);
      process.stdout.write(`Signed out of ${url} (token ${signedIn.id} revoked)\n`);
    });

  program
    .command('whoami')
    .description('who this CLI acts as on the control plane, and what it may do where')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const me = await (await ctx.client()).get<Me>('/api/v1/me');
      if (ctx.output !== 'table') return printData(ctx.output, me);
      printTable(
        [
          {
            name: me.name,
            kind: me.kind,
            via: `${me.via} ${me.credential}`,
            groups: me.groups,
            scopes: me.tokenScopes,
          },
        ],
        ['name', 'kind', 'via', 'groups', 'scopes'],
      );
      process.stdout.write('\n');
      if (!me.grants.length) {
        process.stdout.write('No role binding grants it anything (ask an admin: berth role bind).\n');
        return;
      }
      printTable(
        me.grants.map((g) => ({ role: g.role, app: g.app, env: g.env, permissions: g.permissions })),
        ['role', 'app', 'env', 'permissions'],
      );
    });
}
