/**
 * `berth alerts APP`: the alerts pending, firing or just resolved; `berth alerts history APP`: what
 * they went through and how each notification was delivered; `berth alerts rules APP`: the alert rules of an app in an environment; `berth alerts rules get APP
 * NAME`, `berth alerts rules apply APP -f FILE` (create or replace every rule of a file, each checked
 * with its file and line before any is sent) and `berth alerts rules delete APP NAME`.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AlertRuleView } from '../../alerts/ruleStore.js';
import type { AlertView } from '../../server/routes/alerts.js';
import type { Silence } from '../../alerts/silences.js';
import type { AlertHistoryEntry } from '../../alerts/history.js';
import { contextOf } from '../context.js';
import { envOption } from '../envOption.js';
import { printData, printTable } from '../output.js';

const rulesPath = (app: string, env: string, name?: string): string =>
  `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}/alerts/rules` +
  (name === undefined ? '' : `/${encodeURIComponent(name)}`);

function ruleRow(r: AlertRuleView): Record<string, unknown> {
  return {
    name: r.name,
    metric: r.metric,
    service: r.service ?? '*',
    threshold: r.threshold,
    for: r.for,
    severity: r.severity,
    notify: r.notify.map((c) => c.type).join(', '),
  };
}

function historyRow(e: AlertHistoryEntry): Record<string, unknown> {
  const detail =
    e.kind === 'undelivered'
      ? `after ${e.attempts} tries: ${e.error ?? ''}`
      : e.kind === 'delivered'
        ? `${e.attempts} ${e.attempts === 1 ? 'try' : 'tries'}`
        : '';
  return {
    time: e.at,
    rule: e.rule,
    service: e.service ?? '',
    event: e.status !== undefined ? `${e.kind} (${e.status})` : e.kind,
    value: e.value,
    channel: e.channel ?? '',
    detail,
  };
}

const COLUMNS = ['name', 'metric', 'service', 'threshold', 'for', 'severity', 'notify'];

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description(
      'the alerts of an app pending, firing or just resolved (berth alerts APP); berth alerts rules APP: its rules (docs/alerts.md)',
    )
    .argument('<app>', 'the app')
    .addOption(envOption())
    .action(async (app: string, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await (
        await ctx.client()
      ).get<AlertView[]>(`/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(o.env)}/alerts`);
      if (ctx.output !== 'table') return printData(ctx.output, list);
      if (list.length === 0) process.stdout.write(`no alert of ${app} is pending or firing in ${o.env}\n`);
      else
        printTable(
          list.map((a) => ({
            rule: a.rule,
            service: a.service ?? '',
            state: a.phase,
            since: a.since ?? a.firedAt,
            value: a.value,
            resolved: a.resolvedAt,
          })),
          ['rule', 'service', 'state', 'since', 'value', 'resolved'],
        );
    });
  const silencesPath = (app: string, env: string): string =>
    `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}/alerts/silences`;
  alerts
    .command('silence <app>')
    .description('send no notification of the app’s alerts (one rule’s, one service’s) for a while')
    .requiredOption('--for <duration>', 'how long from now, e.g. 2h')
    .option('--rule <rule>', 'only this rule')
    .option('--service <service>', 'only this service')
    .option('--comment <text>', 'why')
    .addOption(envOption())
    .action(
      async (
        app: string,
        o: { env: string; for: string; rule?: string; service?: string; comment?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const body = {
          for: o.for,
          ...(o.rule !== undefined ? { rule: o.rule } : {}),
          ...(o.service !== undefined ? { service: o.service } : {}),
          ...(o.comment !== undefined ? { comment: o.comment } : {}),
        };
        const s = await (await ctx.client()).post<Silence>(silencesPath(app, o.env), body);
        if (ctx.output !== 'table') return printData(ctx.output, s);
        process.stdout.write(`silence ${s.id} of ${app} in ${o.env} until ${s.endsAt}\n`);
      },
    );
  alerts
    .command('silences <app>')
    .description('the silences of an app that have not ended')
    .addOption(envOption())
    .action(async (app: string, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await (await ctx.client()).get<Silence[]>(silencesPath(app, o.env));
      if (ctx.output !== 'table') return printData(ctx.output, list);
      if (list.length === 0) process.stdout.write(`${app} has no active silence in ${o.env}\n`);
      else
        printTable(
          list.map((s) => ({
            id: s.id,
            rule: s.rule ?? '*',
            service: s.service ?? '*',
            until: s.endsAt,
            by: s.createdBy,
            comment: s.comment,
          })),
          ['id', 'rule', 'service', 'until', 'by', 'comment'],
        );
    });
  alerts
    .command('unsilence <app> <id>')
    .description('end a silence now')
    .addOption(envOption())
    .action(async (app: string, id: string, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      await (await ctx.client()).delete(`${silencesPath(app, o.env)}/${encodeURIComponent(id)}`);
      if (ctx.output !== 'table') return printData(ctx.output, { ended: Number(id) });
      process.stdout.write(`silence ${id} of ${app} in ${o.env} ended\n`);
    });
  alerts
    .command('history <app>')
    .description(
      'what the alerts of an app went through, newest first: pending, firing, resolved, silenced, and each delivery (delivered, or undelivered with its last error)',
    )
    .option('--rule <rule>', 'only this rule')
    .option('--service <service>', 'only this service')
    .option('--since <time>', 'from this time: ISO 8601, or a duration ago (15m, 1h, 2d)')
    .option('--until <time>', 'up to this time: ISO 8601, or a duration ago')
    .option('--limit <n>', 'at most this many entries, the newest (1-1000)', '100')
    .addOption(envOption())
    .action(
      async (
        app: string,
        o: { env: string; rule?: string; service?: string; since?: string; until?: string; limit: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const list = await (
          await ctx.client()
        ).get<AlertHistoryEntry[]>(
          `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(o.env)}/alerts/history`,
          { rule: o.rule, service: o.service, since: o.since, until: o.until, limit: o.limit },
        );
        if (ctx.output !== 'table') return printData(ctx.output, list);
        if (list.length === 0) process.stdout.write(`no alert history of ${app} in ${o.env}\n`);
        else printTable(list.map(historyRow), ['time', 'rule', 'service', 'event', 'value', 'channel', 'detail']);
      },
    );
  const rules = alerts
    .command('rules')
    .description('the alert rules of an app in an environment (berth alerts rules APP); get, apply -f FILE, delete')
    .argument('<app>', 'the app')
    .addOption(envOption())
    .action(async (app: string, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await (await ctx.client()).get<AlertRuleView[]>(rulesPath(app, o.env));
      if (ctx.output !== 'table') return printData(ctx.output, list);
      if (list.length === 0) process.stdout.write(`${app} has no alert rule in ${o.env}\n`);
      else printTable(list.map(ruleRow), COLUMNS);
    });
  rules
    .command('get <app> <name>')
    .description('one alert rule (channel URLs and secrets are never shown)')
    .addOption(envOption())
    .action(async (app: string, name: string, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const rule = await (await ctx.client()).get<AlertRuleView>(rulesPath(app, o.env, name));
      await printData(ctx.output === 'table' ? 'yaml' : ctx.output, rule);
    });
  rules
    .command('apply <app>')
    .description('create or replace every rule of a YAML file (rules: {NAME: RULE}); nothing is sent if one is invalid')
    .requiredOption('-f, --file <file>', 'the rules file')
    .addOption(envOption())
    .action(async (app: string, o: { env: string; file: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      // On demand: the rules file's parser brings yaml and zod, which the CLI bundle leaves out.
      const { parseRuleFile } = await import('../../alerts/ruleFile.js');
      const parsed = parseRuleFile(await readFile(o.file, 'utf8'), o.file);
      const client = await ctx.client();
      const written: AlertRuleView[] = [];
      for (const [name, body] of parsed)
        written.push(await client.put<AlertRuleView>(rulesPath(app, o.env, name), body));
      if (ctx.output !== 'table') return printData(ctx.output, written);
      process.stdout.write(
        `${written.length} alert rule(s) of ${app} in ${o.env} applied: ${written.map((r) => r.name).join(', ')}\n`,
      );
    });
  rules
    .command('delete <app> <name>')
    .description('delete an alert rule')
    .addOption(envOption())
    .action(async (app: string, name: string, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      await (await ctx.client()).delete(rulesPath(app, o.env, name));
      if (ctx.output !== 'table') return printData(ctx.output, { deleted: name });
      process.stdout.write(`alert rule ${name} of ${app} in ${o.env} deleted\n`);
    });
}
