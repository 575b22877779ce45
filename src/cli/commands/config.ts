/** `berth config set|get|unset|revert|history|diff|variables`: versioned values, files and secrets per app and environment. */
import { isApprovalRequest, type ApprovalRequest } from '../../model/approvals.js';
import { ASK_HELP, askApproval, settleApproval } from '../approvalWait.js';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { versionNumber } from '../flags.js';
import { contextOf, type CliContext } from '../context.js';
import { age, dim, printData, printTable } from '../output.js';
import { appFromCwd } from '../specInput.js';
import { ValidationError, type Problem } from '../../errors.js';
import { KEY_PATTERN } from '../../config/validateChange.js';
import { NOTHING_TO_CHANGE } from '../../config/nothingToChange.js';
import type {
  ConfigDiffEntry as DiffEntry,
  ConfigVersionInfo as VersionInfo,
  ConfigView,
} from '../../config/configSets.js';
import type { Variables } from '../../server/apiTypes.js';
import { envOption } from '../envOption.js';

interface Target {
  app?: string;
  env: string;
}

async function appOf(t: Target): Promise<string> {
  const app = t.app ?? (await appFromCwd());
  if (!app)
    throw new ValidationError('which app?', [
      { file: 'command line', path: 'app', message: 'pass --app (or run in a folder with a berth.yaml)' },
    ]);
  return app;
}

async function path(t: Target): Promise<string> {
  const app = await appOf(t);
  return `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(t.env)}/config`;
}

function parsePairs(pairs: string[], flag: string): { ok: Record<string, string>; problems: Problem[] } {
  const ok: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) problems.push({ file: 'command line', path: flag, message: `"${p}" is not KEY=VALUE` });
    else ok[p.slice(0, i)] = p.slice(i + 1);
  }
  return { ok, problems };
}

const withTarget = (c: Command): Command =>
  c.option('-a, --app <app>', 'app (default: the berth.yaml in this folder)').addOption(envOption());

async function current(ctx: CliContext, t: Target): Promise<number> {
  return (await (await ctx.client()).get<ConfigView>(await path(t))).version;
}

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('versioned config of an app in an environment: values, files, secrets');

  withTarget(config.command('set [pairs...]'))
    .description('set values (KEY=VALUE ...) and/or files (--file PATH=LOCAL_FILE); every change is a new version')
    .option('--secret', 'the values (and files) are secrets: encrypted at rest, masked everywhere')
    .option(
      '--plain',
      'store the values (and files) in plain text, making secret ones plain (without it, a secret stays secret)',
    )
    .option('--file <pairs...>', 'config files as PATH=LOCAL_FILE (content read from LOCAL_FILE)')
    .option('-m, --message <message>', 'why')
    .option(
      '--base <version>',
      'the version this change is based on (default: the current one); a stale one is refused',
      versionNumber,
    )
    .option('--ask <reason>', ASK_HELP)
    .option('--wait', 'with an approval request: follow it until it ran')
    .action(
      async (
        pairs: string[],
        o: Target & {
          secret?: boolean;
          plain?: boolean;
          file?: string[];
          message?: string;
          base?: number;
          ask?: string;
          wait?: boolean;
        },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const values = parsePairs(pairs, 'pairs');
        const files = parsePairs(o.file ?? [], 'file');
        const problems = [...values.problems, ...files.problems];
        if (pairs.length === 0 && (o.file ?? []).length === 0)
          problems.push({
            file: 'command line',
            path: 'pairs',
            message: 'give KEY=VALUE pairs and/or --file PATH=LOCAL_FILE',
          });
        if (o.secret && o.plain)
          problems.push({ file: 'command line', path: 'plain', message: '--secret and --plain exclude each other' });
        if (problems.length) throw new ValidationError('invalid arguments', problems);
        const fileContents: Record<string, string> = {};
        for (const [p, local] of Object.entries(files.ok)) fileContents[p] = await readFile(local, 'utf8');
        const baseVersion = o.base === undefined ? await current(ctx, o) : o.base;
        // Neither flag: each key keeps its secrecy (a secret stays secret, a new key is plain).
        const secrecy = o.secret ? { secret: true } : o.plain ? { secret: false } : {};
        const set = Object.fromEntries(Object.entries(values.ok).map(([k, v]) => [k, { value: v, ...secrecy }]));
        const fileField = o.secret ? 'secretFiles' : o.plain ? 'plainFiles' : 'files';
        // Setting what is already set is not an error (like `kubectl apply`): scripts such as the
        // berth.config.sh of `berth import` can be applied again and go on past such a value.
        const change = {
          baseVersion,
          ...(Object.keys(set).length ? { set } : {}),
          ...(Object.keys(fileContents).length ? { [fileField]: fileContents } : {}),
          ...(o.message ? { message: o.message } : {}),
        };
        const client = await ctx.client();
        if (o.ask !== undefined)
          return askApproval(
            client,
            ctx.output,
            { action: 'config', app: await appOf(o), env: o.env, request: change, reason: o.ask },
            o.wait,
          );
        const res = await client.patch<VersionInfo | ApprovalRequest>(await path(o), change).catch((err: unknown) => {
          if (err instanceof ValidationError && err.message === NOTHING_TO_CHANGE) return undefined;
          throw err;
        });
        if (res === undefined) {
          if (ctx.output !== 'table') return printData(ctx.output, { version: baseVersion, unchanged: true });
          process.stdout.write(`unchanged: config version ${baseVersion} already holds these values\n`);
          return;
        }
        // Into an environment that needs approvals: recorded as a request, written once approved.
        if (isApprovalRequest(res)) return settleApproval(client, ctx.output, res, o.wait);
        if (ctx.output !== 'table') return printData(ctx.output, res);
        process.stdout.write(`config version ${res.version} (was ${baseVersion})\n`);
        for (const k of res.summary.madePlain ?? [])
          process.stdout.write(
            `${k} is no longer secret: stored and shown in plain text from version ${res.version}\n`,
          );
        for (const k of res.summary.madeSecret ?? [])
          process.stdout.write(`${k} is now secret: encrypted and masked from version ${res.version}\n`);
      },
    );

  withTarget(config.command('unset <keys...>'))
    .description('remove values (a new version)')
    .option('--file', 'the keys are config file paths')
    .option('-m, --message <message>', 'why')
    .option('--base <version>', 'the version this change is based on', versionNumber)
    .action(async (keys: string[], o: Target & { file?: boolean; message?: string; base?: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const baseVersion = o.base === undefined ? await current(ctx, o) : o.base;
      const client = await ctx.client();
      const res = await client.patch<VersionInfo | ApprovalRequest>(await path(o), {
        baseVersion,
        ...(o.file ? { files: Object.fromEntries(keys.map((k) => [k, null])) } : { unset: keys }),
        ...(o.message ? { message: o.message } : {}),
      });
      if (isApprovalRequest(res)) return settleApproval(client, ctx.output, res, false);
      if (ctx.output !== 'table') return printData(ctx.output, res);
      process.stdout.write(`config version ${res.version} (was ${baseVersion})\n`);
    });

  withTarget(config.command('revert [app]'))
    .description(
      "a new version with an earlier version's content, secrets included (e.g. back to what runs after a failed deploy rolled back)",
    )
    .requiredOption('--to <version>', 'the version whose content the new version gets', versionNumber)
    .option('-m, --message <message>', 'why (default: revert to version N)')
    .option('--base <version>', 'the version this change is based on; a stale one is refused', versionNumber)
    .option('--ask <reason>', ASK_HELP)
    .option('--wait', 'with an approval request: follow it until it ran')
    .action(
      async (
        app: string | undefined,
        o: Target & { to: number; message?: string; base?: number; ask?: string; wait?: boolean },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const t = { ...o, ...(app === undefined ? {} : { app }) };
        const baseVersion = o.base === undefined ? await current(ctx, t) : o.base;
        const request = { to: o.to, baseVersion, ...(o.message ? { message: o.message } : {}) };
        const client = await ctx.client();
        if (o.ask !== undefined)
          return askApproval(
            client,
            ctx.output,
            { action: 'config-revert', app: await appOf(t), env: o.env, request, reason: o.ask },
            o.wait,
          );
        const res = await client.post<VersionInfo | ApprovalRequest>(`${await path(t)}/revert`, request);
        if (isApprovalRequest(res)) return settleApproval(client, ctx.output, res, o.wait);
        if (ctx.output !== 'table') return printData(ctx.output, res);
        const keys = [...res.summary.added, ...res.summary.changed, ...res.summary.removed].sort();
        process.stdout.write(
          `config version ${res.version} (was ${baseVersion}) has the content of version ${o.to}: ${keys.join(', ')}\n`,
        );
      },
    );

  withTarget(config.command('get [key]'))
    .description(
      'show the config (current version by default), or one KEY or config file; secrets masked unless --reveal',
    )
    .option('--version <n>', 'a past version')
    .option('--reveal', 'show the value of a secret KEY or the content of a secret file')
    .option('--file', 'KEY is a config file path (implied when it is not a key name, e.g. app.conf)')
    .action(
      async (
        key: string | undefined,
        o: Target & { version?: string; reveal?: boolean; file?: boolean },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const client = await ctx.client();
        if (key && (o.file || !KEY_PATTERN.test(key))) {
          const f = await client.get<{ path: string; content: string; secret: boolean; size: number; version: number }>(
            `${await path(o)}/files/${key.split('/').map(encodeURIComponent).join('/')}`,
            { version: o.version, reveal: o.reveal ? 'true' : 'false' },
          );
          if (ctx.output !== 'table') return printData(ctx.output, f);
          if (f.secret && !o.reveal)
            return void process.stdout.write(`${f.content} (secret file, ${f.size} bytes; --reveal shows it)\n`);
          return void process.stdout.write(f.content);
        }
        if (key) {
          const v = await client.get<{ key: string; value: string; secret: boolean; version: number }>(
            `${await path(o)}/values/${encodeURIComponent(key)}`,
            {
              version: o.version,
              reveal: o.reveal ? 'true' : 'false',
            },
          );
          if (ctx.output !== 'table') return printData(ctx.output, v);
          return void process.stdout.write(`${v.value}\n`);
        }
        const view = await client.get<ConfigView>(await path(o), { version: o.version });
        if (ctx.output !== 'table') return printData(ctx.output, view);
        process.stdout.write(
          dim(
            `version ${view.version}${view.author ? ` by ${view.author}` : ''}${view.createdAt ? `, ${age(view.createdAt)} ago` : ''}\n`,
          ),
        );
        printTable(
          [
            ...Object.entries(view.values).map(([k, v]) => ({
              key: k,
              kind: v.secret ? 'secret' : 'value',
              value: v.value,
            })),
            ...Object.entries(view.files).map(([k, f]) => ({
              key: k,
              kind: f.secret ? 'secret file' : 'file',
              value: `${f.size} bytes`,
            })),
          ],
          ['key', 'kind', 'value'],
        );
      },
    );

  withTarget(config.command('history'))
    .description('config versions, newest first')
    .action(async (o: Target, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await (await ctx.client()).get<VersionInfo[]>(`${await path(o)}/history`);
      if (ctx.output !== 'table') return printData(ctx.output, list);
      printTable(
        list.map((v) => ({
          version: v.version,
          author: v.author,
          age: age(v.createdAt),
          changes: v.summary
            ? [
                ...v.summary.added.map((k) => `+${k}`),
                ...v.summary.changed.map((k) => `~${k}`),
                ...v.summary.removed.map((k) => `-${k}`),
                ...(v.summary.madePlain ?? []).map((k) => `(${k} made plain)`),
                ...(v.summary.madeSecret ?? []).map((k) => `(${k} made secret)`),
              ].join(' ')
            : '',
          message: v.message ?? '',
        })),
        ['version', 'author', 'age', 'changes', 'message'],
      );
    });

  withTarget(config.command('diff <from> <to>'))
    .description('differences between two config versions (secrets masked)')
    .action(async (from: string, to: string, o: Target, cmd: Command) => {
      const ctx = contextOf(cmd);
      const diff = await (await ctx.client()).get<DiffEntry[]>(`${await path(o)}/diff`, { from, to });
      if (ctx.output !== 'table') return printData(ctx.output, diff);
      if (diff.length === 0) return void process.stdout.write('no differences\n');
      for (const d of diff) {
        const mark = d.change === 'added' ? '+' : d.change === 'removed' ? '-' : '~';
        const secrecy =
          d.secrecy === 'madePlain' ? ' (secret → plain)' : d.secrecy === 'madeSecret' ? ' (plain → secret)' : '';
        const label = `${d.kind === 'file' ? 'file ' : ''}${d.key}${secrecy || (d.secret ? ' (secret)' : '')}`;
        const detail =
          d.change === 'changed'
            ? `${JSON.stringify(d.from)} → ${JSON.stringify(d.to)}`
            : JSON.stringify(d.change === 'added' ? d.to : d.from);
        process.stdout.write(`${mark} ${label}: ${detail}\n`);
      }
    });

  withTarget(config.command('variables'))
    .alias('vars')
    .description(
      "the variables of the app's latest berth.yaml: value and source, the services using each, the missing ones",
    )
    .action(async (o: Target, cmd: Command) => {
      const ctx = contextOf(cmd);
      const app = o.app ?? (await appFromCwd());
      const list = await (await ctx.client()).get<Variables>((await path(o)).replace(/\/config$/, '/variables'));
      if (ctx.output !== 'table') return printData(ctx.output, list);
      process.stdout.write(
        dim(`${app} in ${o.env}: berth.yaml of revision ${list.revision}, config version ${list.configVersion}\n`),
      );
      printTable(
        list.variables.map((v) => ({
          name: v.name,
          value: v.missing ? 'MISSING' : (v.value ?? ''),
          source: v.source ?? '',
          'used by': v.usedBy.join(',') || (v.declared ? 'unused' : 'unused (not in berth.yaml)'),
          description: v.description ?? '',
        })),
        ['name', 'value', 'source', 'used by', 'description'],
      );
      const missing = list.variables.filter((v) => v.missing).map((v) => v.name);
      if (missing.length)
        process.stdout.write(
          `\n${missing.length} used variable${missing.length === 1 ? ' has' : 's have'} no value: berth config set ${missing.map((m) => `${m}=…`).join(' ')} --app ${app} --env ${o.env}\n`,
        );
    });
}
