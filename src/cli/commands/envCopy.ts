/**
 * `berth env copy FROM TO` (an environment like another, with every app's config — values, files and
 * secrets) and `berth env diff FROM TO` (each app's config difference, secrets compared by digest).
 */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { dim, printData } from '../output.js';
import type { EnvironmentCopyResult } from '../../server/routes/environmentCopy.js';
import type { AppConfigDiff, EnvConfigDiffEntry } from '../../config/configCompare.js';

const repeat = (v: string, prev: string[] = []): string[] => [...prev, v];
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function registerEnvCopy(env: Command): void {
  env
    .command('copy <from> <to>')
    .description(
      "make environment TO like FROM: its settings (target, variable defaults) and every app's current config — values, files and secrets — in one step",
    )
    .option('-a, --app <app>', 'only this app (repeatable; default: every app with config in FROM)', repeat)
    .option('--into-existing', "copy config into TO when it exists already (TO's own settings are kept)")
    .option('--force', 'replace a config in TO written after the version copied from FROM')
    .option('--namespace <namespace>', "a new Kubernetes environment's namespace (default: TO's name)")
    .action(
      async (
        from: string,
        to: string,
        o: { app?: string[]; intoExisting?: boolean; force?: boolean; namespace?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const r = await (
          await ctx.client()
        ).post<EnvironmentCopyResult>(`/api/v1/environments/${encodeURIComponent(to)}/copy`, {
          from,
          ...(o.app ? { apps: o.app } : {}),
          ...(o.intoExisting ? { intoExisting: true } : {}),
          ...(o.force ? { force: true } : {}),
          ...(o.namespace ? { namespace: o.namespace } : {}),
        });
        if (ctx.output !== 'table') return printData(ctx.output, r);
        process.stdout.write(
          r.created ? `created ${to} like ${from}\n` : `copying config of ${from} into existing ${to}\n`,
        );
        for (const note of r.notes) process.stdout.write(dim(`  note: ${note}\n`));
        if (r.apps.length === 0) process.stdout.write(`no app has config in ${from}: nothing to copy\n`);
        const width = Math.max(0, ...r.apps.map((a) => a.app.length));
        for (const a of r.apps) {
          const what = `${plural(a.values, 'value')}, ${plural(a.secrets, 'secret')}, ${plural(a.files, 'file')}`;
          const line =
            a.outcome === 'copied'
              ? `${from}@${a.fromVersion} → ${to}@${a.toVersion}  copied (${what})`
              : `${from}@${a.fromVersion} = ${to}@${a.toVersion}  unchanged`;
          process.stdout.write(`${a.app.padEnd(width)}  ${line}\n`);
        }
      },
    );

  env
    .command('diff <from> <to>')
    .description(
      "each app's current config difference from FROM to TO: plain values shown, files by hash, secrets compared by digest and never shown",
    )
    .option('-a, --app <app>', 'only this app (repeatable; default: every app with config in either)', repeat)
    .action(async (from: string, to: string, o: { app?: string[] }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const diffs = await (
        await ctx.client()
      ).get<AppConfigDiff[]>(`/api/v1/environments/${encodeURIComponent(from)}/config-diff`, {
        to,
        ...(o.app ? { apps: o.app.join(',') } : {}),
      });
      if (ctx.output !== 'table') return printData(ctx.output, diffs);
      if (diffs.length === 0) return void process.stdout.write(`no app has config in ${from} or ${to}\n`);
      for (const d of diffs) {
        const head = `${d.app} (${from}@${d.fromVersion} → ${to}@${d.toVersion})`;
        if (d.entries.length === 0) {
          process.stdout.write(`${head}: no differences\n`);
          continue;
        }
        process.stdout.write(`${head}\n`);
        for (const e of d.entries) process.stdout.write(`  ${diffLine(e)}\n`);
      }
    });
}

/** One difference as a line: `~ KEY: "a" → "b"`, `~ KEY (secret, differs)`, `+ file F: sha256 … (N B)`. */
export function diffLine(e: EnvConfigDiffEntry): string {
  const mark = e.change === 'added' ? '+' : e.change === 'removed' ? '-' : '~';
  const name = `${e.kind === 'file' ? 'file ' : ''}${e.key}`;
  if (e.secret) {
    const secrecy =
      e.secrecy === 'secretInFrom' ? ', plain in TO' : e.secrecy === 'secretInTo' ? ', plain in FROM' : '';
    return `${mark} ${name} (secret${e.change === 'changed' ? ', differs' : ''}${secrecy})`;
  }
  const side = (value?: string, hash?: string, size?: number): string =>
    e.kind === 'value' ? JSON.stringify(value) : `sha256 ${hash?.slice(0, 12)}… (${size} B)`;
  const from = side(e.from, e.fromHash, e.fromSize);
  const to = side(e.to, e.toHash, e.toSize);
  return `${mark} ${name}: ${e.change === 'changed' ? `${from} → ${to}` : e.change === 'added' ? to : from}`;
}
