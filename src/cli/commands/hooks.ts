/**
 * `berth hooks deliveries APP`: what each webhook delivery to an app came to (refused ones too), and
 * `berth hooks url APP --provider github|gitlab|gitea|forgejo`: the URL to give the git host, and how
 * to set the secret (docs/webhooks.md).
 */
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import type { HookDelivery } from '../../model/hookDelivery.js';
import { WEBHOOK_SETUP, webhookPath } from '../../model/webhookSetup.js';
import { contextOf } from '../context.js';
import { printData, printTable } from '../output.js';

function deliveryRow(d: HookDelivery): Record<string, unknown> {
  return {
    received: d.receivedAt,
    provider: d.provider,
    event: d.event,
    delivery: d.deliveryId,
    status: d.status,
    outcome: d.outcome,
    run: d.runId,
    ref: d.ref,
    commit: d.commit?.slice(0, 12),
    detail: d.detail,
  };
}

export function registerHooks(program: Command): void {
  const hooks = program
    .command('hooks')
    .description(
      'push webhooks of GitHub, GitLab and Gitea: the URL to configure (berth hooks url APP) and the deliveries received (berth hooks deliveries APP)',
    );

  hooks
    .command('deliveries')
    .description(
      'the webhook deliveries an app received, newest first, refused ones too: status, outcome, the run started or why none',
    )
    .argument('<app>', 'the app')
    .option('--limit <n>', 'at most this many (1-1000)', '50')
    .action(async (app: string, o: { limit: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new ValidationError('invalid --limit', [
          { file: 'command line', path: '--limit', message: `${o.limit} is not an integer from 1 to 1000` },
        ]);
      const rows = await (await ctx.client()).get<HookDelivery[]>('/api/v1/hooks/deliveries', { app, limit });
      if (ctx.output !== 'table') return printData(ctx.output, rows);
      if (rows.length === 0) {
        process.stdout.write(
          `no webhook delivery for ${app} yet (berth hooks url ${app} --provider github tells where to send them)\n`,
        );
        return;
      }
      printTable(rows.map(deliveryRow), [
        'received',
        'provider',
        'event',
        'delivery',
        'status',
        'outcome',
        'run',
        'ref',
        'commit',
        'detail',
      ]);
    });

  hooks
    .command('url')
    .description("the URL to give the git host for an app's pipeline, and how to set its secret")
    .argument('<app>', 'the app')
    .requiredOption('--provider <provider>', 'github, gitlab, gitea or forgejo')
    .option(
      '--base-url <url>',
      'the address the git host reaches this control plane at (default: the one the CLI uses)',
    )
    .action(async (app: string, o: { provider: string; baseUrl?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = WEBHOOK_SETUP.get(o.provider);
      if (!found)
        throw new ValidationError(`unknown provider ${JSON.stringify(o.provider)}`, [
          { file: 'command line', path: '--provider', message: 'must be github, gitlab, gitea or forgejo' },
        ]);
      const setup = {
        ...found,
        proof: `${found.header} (${found.hmac ? 'HMAC-SHA256 of the body' : 'the secret token itself'})`,
      };
      const base = (o.baseUrl ?? (await ctx.client()).url).replace(/\/+$/, '');
      const url = `${base}${webhookPath(o.provider, app)}`;
      const secret = `the webhook secret of ${app}'s pipeline (webhook: { secret: \${PIPELINE_SECRET} } in its pipeline file, or berth pipeline set ${app} --webhook-secret-file FILE; docs/pipelines.md); the same value in ${setup.name}`;
      if (ctx.output !== 'table')
        return printData(ctx.output, {
          app,
          provider: o.provider,
          url,
          contentType: 'application/json',
          events: setup.events,
          proof: setup.proof,
          secret,
          where: setup.where,
        });
      process.stdout.write(
        [
          `URL:          ${url}`,
          'Content type: application/json',
          `Events:       ${setup.events}`,
          `Secret:       ${secret}`,
          `Checked by:   ${setup.proof}`,
          `In ${setup.name}:    ${setup.where}`,
          `The git host must reach ${base}${o.baseUrl ? '' : ' (the address this CLI uses; give --base-url for the public one)'}. Each delivery shows in: berth hooks deliveries ${app}`,
          '',
        ].join('\n'),
      );
    });
}
