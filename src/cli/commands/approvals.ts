/** `berth approval list|show|approve|reject|withdraw`: operations waiting for approvals (docs/access.md, Approvals). */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { envOption } from '../envOption.js';
import { age, printData, printTable } from '../output.js';
import { ValidationError } from '../../errors.js';
import { APPROVAL_STATES, type ApprovalRequest } from '../../model/approvals.js';
import { endText, waitingText } from '../approvalWait.js';

/** `#ID` or `ID`, checked here so a typo is named as the argument. */
function idOf(v: string): number {
  const n = Number(v.replace(/^#/, ''));
  if (!Number.isInteger(n) || n <= 0)
    throw new ValidationError('invalid request id', [
      { file: 'command line', path: 'id', message: `"${v}" is not an approval request id such as 7 or #7` },
    ]);
  return n;
}

/** What a request asks for, in a few words: `deploy shop to prod`, `config change of shop in prod`. */
export function askedText(a: ApprovalRequest): string {
  switch (a.action) {
    case 'deploy':
      return `deploy ${a.app} to ${a.env}`;
    case 'promote':
      return `promote ${a.app} from ${String(a.request['from'])} to ${a.env}`;
    case 'rollback':
      return `roll back ${a.app} in ${a.env}${a.request['toRevision'] ? ` to revision ${String(a.request['toRevision'])}` : ''}`;
    case 'config':
      return `config change of ${a.app} in ${a.env}`;
    case 'config-revert':
      return `config of ${a.app} in ${a.env} back to version ${String(a.request['to'])}`;
  }
}

function show(a: ApprovalRequest): void {
  const rows: [string, string][] = [
    ['request', `#${a.id}`],
    ['asks', askedText(a)],
    ['author', a.author],
    ['reason', a.reason ?? ''],
    ['state', a.state],
    [
      'approvals',
      `${a.approvals.length} of ${a.required}${a.approvals.length ? `: ${a.approvals.map((v) => `${v.name}${v.comment ? ` (${v.comment})` : ''}`).join(', ')}` : ''}`,
    ],
    ['created', a.createdAt],
    ['expires', a.expiresAt],
    ...(a.state === 'pending' ? [] : ([['outcome', endText(a)]] as [string, string][])),
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(10)} ${v}\n`);
  const diff = a.request['diff'];
  if (Array.isArray(diff) && diff.length) {
    process.stdout.write('changes\n');
    for (const d of diff as { key: string; change?: string; from?: string | null; to?: string | null }[])
      process.stdout.write(`  ${d.change ?? ''} ${d.key}: ${d.from ?? '-'} → ${d.to ?? '-'}\n`);
  }
}

export function registerApprovals(program: Command): void {
  const approval = program
    .command('approval')
    .alias('approvals')
    .description('operations waiting for approvals: list, show, approve, reject, withdraw');

  approval
    .command('list')
    .alias('ls')
    .description('approval requests, newest first')
    .option('--state <state>', `only these: ${APPROVAL_STATES.join(', ')}`)
    .option('--app <app>', 'only of this app')
    .addOption(envOption('only in this environment', null))
    .option('--pending', 'only those waiting (--state pending)')
    .action(async (o: { state?: string; app?: string; env?: string; pending?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const state = o.pending ? 'pending' : o.state;
      if (state !== undefined && !(APPROVAL_STATES as readonly string[]).includes(state))
        throw new ValidationError('invalid --state', [
          { file: 'command line', path: 'state', message: `"${state}" is not one of ${APPROVAL_STATES.join(', ')}` },
        ]);
      const list = await (
        await ctx.client()
      ).get<ApprovalRequest[]>('/api/v1/approvals', {
        ...(state ? { state } : {}),
        ...(o.app ? { app: o.app } : {}),
        ...(o.env ? { env: o.env } : {}),
      });
      if (ctx.output !== 'table') return printData(ctx.output, list);
      printTable(
        list.map((a) => ({
          id: `#${a.id}`,
          asks: askedText(a),
          author: a.author,
          state: a.state,
          approvals: `${a.approvals.length}/${a.required}${a.approvals.length ? ` ${a.approvals.map((v) => v.name).join(',')}` : ''}`,
          age: age(a.createdAt),
          expires: a.state === 'pending' ? a.expiresAt.slice(0, 16).replace('T', ' ') : '',
          reason: a.reason ?? '',
        })),
        ['id', 'asks', 'author', 'state', 'approvals', 'age', 'expires', 'reason'],
      );
    });

  approval
    .command('show <id>')
    .alias('get')
    .description('one approval request: what it asks for, who asked and why, its approvals')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const a = await (await ctx.client()).get<ApprovalRequest>(`/api/v1/approvals/${idOf(id)}`);
      if (ctx.output !== 'table') return printData(ctx.output, a);
      show(a);
    });

  approval
    .command('approve <id>')
    .description('approve a request; once it has enough approvals it runs, as its author')
    .option('-m, --comment <text>', 'a comment kept with the approval')
    .action(async (id: string, o: { comment?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const a = await (
        await ctx.client()
      ).post<ApprovalRequest>(`/api/v1/approvals/${idOf(id)}/approve`, o.comment ? { comment: o.comment } : {});
      if (ctx.output !== 'table') return printData(ctx.output, a);
      process.stdout.write(`${a.state === 'pending' ? `approved; ${waitingText(a)}` : endText(a)}\n`);
      if (a.state === 'failed') process.exitCode = 1;
    });

  approval
    .command('reject <id>')
    .description('reject a request: it ends without running')
    .requiredOption('-r, --reason <text>', 'why')
    .action(async (id: string, o: { reason: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const a = await (
        await ctx.client()
      ).post<ApprovalRequest>(`/api/v1/approvals/${idOf(id)}/reject`, { reason: o.reason });
      if (ctx.output !== 'table') return printData(ctx.output, a);
      process.stdout.write(`${endText(a)}\n`);
    });

  approval
    .command('withdraw <id>')
    .description('withdraw a request you asked for')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const a = await (await ctx.client()).post<ApprovalRequest>(`/api/v1/approvals/${idOf(id)}/withdraw`);
      if (ctx.output !== 'table') return printData(ctx.output, a);
      process.stdout.write(`${endText(a)}\n`);
    });
}
