/**
 * `berth promote APP --from test --to staging`: the exact spec, image digests and code of APP's running
 * revision in FROM, deployed to TO with TO's own config. Before it runs the CLI shows the app's config
 * difference between the two environments (secrets compared by digest, never shown) and the plan of
 * what changes in TO, and asks (y/N; `--yes` for scripts). `berth promote APP/SERVICE` without `--to`
 * is the progressive rollout's promote (operate.ts), which hands an environment promotion to this file.
 */
import { isApprovalRequest } from '../../model/approvals.js';
import { ASK_HELP, askApproval, settleApproval } from '../approvalWait.js';
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { bold, dim, printData } from '../output.js';
import { confirm } from '../confirm.js';
import { followRelease } from '../progress.js';
import { printPlan } from '../planView.js';
import { startOperation, WAIT_HELP } from '../operation.js';
import { ValidationError } from '../../errors.js';
import { diffLine } from './envCopy.js';
import type { Release } from '../../release/releases.js';
import type { PromotionPreview } from '../../release/promote.js';

export interface PromotionFlags {
  from?: string;
  to?: string;
  message?: string;
  yes?: boolean;
  detach?: boolean;
  wait?: boolean;
  ask?: string;
}

/** Adds the environment promotion's flags to `berth promote`. */
export function addPromotionOptions(cmd: Command): Command {
  return cmd
    .usage('APP/SERVICE [--full] [-e ENV] | APP --from ENV --to ENV [options]')
    .option('--from <env>', 'promote the app between environments: the environment whose running revision is promoted')
    .option('--to <env>', "the environment it is deployed to, with that environment's own config")
    .option('-m, --message <message>', 'why this promotion (default: promoted from FROM@REVISION)')
    .option('-y, --yes', 'do not ask: promote after showing the difference (needed without a terminal)')
    .option('-d, --detach', 'return once the promoted revision is recorded, without following it')
    .option('--wait', WAIT_HELP)
    .option('--ask <reason>', ASK_HELP);
}

/** What the config difference prints: one line per key, secrets as differing only. */
function printPreview(p: PromotionPreview): void {
  const out = process.stdout;
  const src = `${p.from}@${p.source.revision}`;
  const now = p.current ? `revision ${p.current.revision} runs there` : 'nothing runs there yet';
  out.write(`${bold(`promote ${p.app} from ${src} to ${p.to}`)} (${now})\n`);
  if (p.protected) out.write(`${p.to} is protected: the promotion needs your confirmation\n`);
  const c = p.config;
  const head = `config difference (${p.from}@${c.fromVersion} → ${p.to}@${c.toVersion})`;
  if (c.entries.length === 0) out.write(`${head}: none\n`);
  else {
    out.write(`${head}:\n`);
    for (const e of c.entries) out.write(`  ${diffLine(e)}\n`);
    out.write(dim(`  (${p.to} keeps its own config: the promoted revision is rendered with it)\n`));
  }
  printPlan(p.plan, `plan for ${p.app} in ${p.to} (config version ${p.plan.toConfigVersion})`);
}

/** `berth promote APP --from FROM --to TO`. */
export async function runPromotion(app: string, o: PromotionFlags, cmd: Command): Promise<void> {
  if (!o.from || !o.to)
    throw new ValidationError('a promotion needs --from and --to', [
      { file: 'command line', path: o.from ? 'to' : 'from', message: 'give both --from ENV and --to ENV' },
    ]);
  if (app.includes('/'))
    throw new ValidationError('invalid app', [
      { file: 'command line', path: 'target', message: `"${app}" is an APP/SERVICE; a promotion takes the APP` },
    ]);
  const ctx = contextOf(cmd);
  const client = await ctx.client();
  const body = { app, from: o.from, to: o.to };
  const preview = await client.post<PromotionPreview>('/api/v1/promotions/preview', body);
  const table = ctx.output === 'table';
  if (table) printPreview(preview);
  const request = {
    ...body,
    // What was shown is what runs: FROM's revision and TO's config version of the preview.
    revision: preview.source.revision,
    configVersion: preview.plan.toConfigVersion,
    ...(o.message ? { message: o.message } : {}),
  };
  if (o.ask !== undefined)
    return askApproval(client, ctx.output, { action: 'promote', app, env: o.to, request, reason: o.ask }, o.wait);
  await confirm(
    `promote ${app} ${o.from}@${preview.source.revision} to ${o.to}${preview.protected ? ` (protected)` : ''}?`,
    o.yes,
  );
  const answer = await startOperation(o.wait, (wait) =>
    client.post<Release>('/api/v1/promotions', { ...request, confirmed: true, wait }),
  );
  if (isApprovalRequest(answer)) return settleApproval(client, ctx.output, answer, o.wait);
  const release = answer;
  if (o.detach)
    return ctx.output === 'table'
      ? void process.stdout.write(`revision ${release.revision} of ${app} in ${o.to} created (${release.status})\n`)
      : printData(ctx.output, { preview, release });
  const final = await followRelease(client, release, { quiet: !table });
  if (ctx.output !== 'table') await printData(ctx.output, { preview, release: final });
  if (final.status !== 'succeeded') process.exitCode = 1;
}
