/**
 * `berth audit`: the audit log (docs/access.md "Audit log") — who changed what, when, from where, and
 * what came of it, newest first, filtered; `berth audit export` every matching entry as JSON lines
 * (to ship elsewhere); `berth audit verify` checks the hash chain and its head: exit 0 when intact,
 * 1 naming the first entry edited, missing or reordered.
 */
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import type { AuditEntry, AuditPage, AuditVerification } from '../../model/audit.js';
import { contextOf } from '../context.js';
import { printData, printTable } from '../output.js';

interface FilterFlags {
  actor?: string;
  app?: string;
  env?: string;
  op?: string;
  outcome?: string;
  failed?: boolean;
  since?: string;
  until?: string;
}

/** The query of the filter flags (the server checks times and outcomes, naming the field). */
function queryOf(o: FilterFlags): Record<string, string> {
  const outcome = o.failed ? 'refused,failed' : o.outcome;
  return Object.fromEntries(
    Object.entries({
      actor: o.actor,
      app: o.app,
      env: o.env,
      operation: o.op,
      outcome,
      since: o.since,
      until: o.until,
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

function withFilters(cmd: Command): Command {
  return cmd
    .option('--actor <name>', 'who acted: a user, a service account, webhook:github, anonymous')
    .option('--app <app>', 'the app acted on')
    .option('--env <env>', 'the environment acted on')
    .option('--op <operationId>', 'the operation (its OpenAPI operationId: deploy, changeConfig, createEnvironment…)')
    .option('--outcome <outcome>', 'ok, refused or failed (several separated by commas)')
    .option('--failed', 'only refused and failed calls (same as --outcome refused,failed)')
    .option('--since <time>', 'from this time: ISO 8601 or a duration ago (15m, 1h, 2d)')
    .option('--until <time>', 'before this time: ISO 8601 or a duration ago');
}

function target(e: AuditEntry): string {
  const where = [e.target.app, e.target.env].filter(Boolean).join('/');
  const object = Object.entries(e.target.object ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [where, object].filter(Boolean).join(' ') || '-';
}

function row(e: AuditEntry): Record<string, unknown> {
  const actor = e.actor.onBehalfOf ? `${e.actor.name} (for ${e.actor.onBehalfOf})` : e.actor.name;
  const outcome = `${e.outcome.kind} ${e.outcome.status}${e.outcome.message ? `: ${e.outcome.message}` : ''}`;
  return {
    seq: e.seq,
    time: e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    actor,
    operation: e.operation.id,
    target: target(e),
    outcome: outcome.length > 80 ? `${outcome.slice(0, 77)}...` : outcome,
    address: e.address,
  };
}

export function registerAudit(program: Command): void {
  const audit = withFilters(
    program
      .command('audit')
      .description(
        'the audit log: every change made through the API (refused ones and sign-ins too), newest first; berth audit export, berth audit verify',
      ),
  )
    .option('--limit <n>', 'at most this many entries (1-1000)', '50')
    .action(async (o: FilterFlags & { limit: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new ValidationError('invalid --limit', [
          { file: 'command line', path: '--limit', message: `${o.limit} is not an integer from 1 to 1000` },
        ]);
      const page = await (await ctx.client()).get<AuditPage>('/api/v1/audit', { ...queryOf(o), limit });
      if (ctx.output !== 'table') return printData(ctx.output, page.entries);
      if (page.entries.length === 0) return void process.stdout.write('no audit entry matches\n');
      printTable(page.entries.map(row), ['seq', 'time', 'actor', 'operation', 'target', 'outcome', 'address']);
      if (page.nextCursor !== undefined)
        process.stdout.write(`(older entries not shown: raise --limit, or berth audit export)\n`);
    });

  withFilters(
    audit
      .command('export')
      .description('every matching entry, oldest first, as JSON lines on stdout (berth audit export > audit.jsonl)'),
  ).action(async (o: FilterFlags, cmd: Command) => {
    const ctx = contextOf(cmd);
    const res = await (await ctx.client()).getFor('/api/v1/audit', { ...queryOf(o), format: 'jsonl' });
    await pipeline(res, process.stdout, { end: false });
  });

  audit
    .command('verify')
    .description(
      "checks the audit log's hash chain and the head beside it: exit 0 when intact, 1 naming the first entry edited, missing or reordered",
    )
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const v = await (await ctx.client()).get<AuditVerification>('/api/v1/audit/verify');
      if (!v.ok) process.exitCode = 1;
      if (ctx.output !== 'table') return printData(ctx.output, v);
      if (v.ok) {
        process.stdout.write(
          `audit log intact: ${v.entries} entries${v.head ? `, head ${v.head.seq} ${v.head.hash.slice(0, 16)}…` : ''}\n`,
        );
        return;
      }
      const bad = v.firstBad!;
      process.stderr.write(`audit log broken at entry ${bad.seq}: ${bad.reason} (${bad.detail})\n`);
    });
}
