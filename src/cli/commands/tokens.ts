/** `berth token create|list|revoke|rotate-bootstrap`: API tokens (docs/access.md "Tokens"). */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { printData, printTable } from '../output.js';
import type { StoredTokenView as StoredToken } from '../../server/userSchemas.js';
import { versionNumber } from '../flags.js';

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function printTokens(tokens: StoredToken[]): void {
  printTable(
    tokens.map((t) => ({
      id: t.id,
      name: t.name,
      kind: t.kind,
      user: t.user ?? `${t.name} (bootstrap)`,
      scopes: t.scopes ?? 'all its roles grant',
      expires: t.expiresAt ?? 'never',
      revoked: t.revokedAt,
      'last used': t.lastUsedAt,
    })),
    ['id', 'name', 'kind', 'user', 'scopes', 'expires', 'revoked', 'last used'],
  );
}

export function registerTokens(program: Command): void {
  const token = program.command('token').description('API tokens: personal, service accounts’, the bootstrap token');

  token
    .command('create <name>')
    .description('create a token (its secret is printed once): your own, or --user’s (a service account’s)')
    .option('--user <name>', 'whose token (default: yours; another user’s needs users:write)')
    .option('--scopes <permissions>', 'narrow it to these permissions, comma-separated (apps:deploy,apps:read)', list)
    .option('--expires <duration>', 'how long it lives: 90d (default), 12h… at most 366d')
    .option('--description <text>', 'what it is for')
    .action(
      async (
        name: string,
        o: { user?: string; scopes?: string[]; expires?: string; description?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const made = await (
          await ctx.client()
        ).post<StoredToken & { token: string }>('/api/v1/tokens', {
          name,
          ...(o.user ? { user: o.user } : {}),
          ...(o.scopes ? { scopes: o.scopes } : {}),
          ...(o.expires ? { expiresIn: o.expires } : {}),
          ...(o.description ? { description: o.description } : {}),
        });
        process.stderr.write(
          'warning: this token is shown only now: keep it (BERTH_TOKEN or --token), it cannot be shown again\n',
        );
        if (ctx.output !== 'table') return printData(ctx.output, made);
        process.stderr.write(
          `Created token ${made.id} (${made.name}) for ${made.user}, ${made.scopes ? `scoped to ${made.scopes.join(',')}` : 'with all its roles grant'}, expires ${made.expiresAt ?? 'never'}:\n`,
        );
        process.stdout.write(`${made.token}\n`);
      },
    );

  token
    .command('list')
    .alias('ls')
    .description('your live tokens; --user’s or --all (need users:read); never their secrets')
    .option('--user <name>', 'another user’s or service account’s tokens')
    .option('--all', 'every token, the bootstrap tokens too')
    .option('--revoked', 'include revoked tokens')
    .action(async (o: { user?: string; all?: boolean; revoked?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const tokens = await (
        await ctx.client()
      ).get<StoredToken[]>('/api/v1/tokens', {
        user: o.user,
        all: o.all ? 'true' : undefined,
        revoked: o.revoked ? 'true' : undefined,
      });
      if (ctx.output !== 'table') return printData(ctx.output, tokens);
      printTokens(tokens);
    });

  token
    .command('revoke <id>')
    .description('revoke a token (yours; another user’s needs users:write)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const n = versionNumber(id);
      const t = await (await ctx.client()).delete<StoredToken>(`/api/v1/tokens/${n}`);
      if (ctx.output !== 'table') return printData(ctx.output, t);
      process.stdout.write(`Revoked token ${t.id} (${t.name}${t.user ? ` of ${t.user}` : ''})\n`);
    });

  token
    .command('rotate-bootstrap')
    .description('replace the bootstrap admin token: a new one in the server’s <home>/token, every other revoked')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const t = await (await ctx.client()).post<StoredToken & { token: string }>('/api/v1/tokens/bootstrap/rotate');
      const { token: _secret, ...shown } = t;
      if (ctx.output !== 'table') return printData(ctx.output, shown);
      process.stdout.write(
        `Rotated the bootstrap token: token ${t.id} (${t.name}) is written to the control plane's <home>/token; every other bootstrap token is revoked\n`,
      );
    });
}
