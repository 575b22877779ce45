/**
 * `berth preview list|open|close`: preview environments of branches and pull requests
 * (docs/previews.md) — each an environment `<template>-<key>` made like its template, closed by hand,
 * by its pipeline when the branch is merged, or by the control plane once its time to live is over.
 */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { dim, printData, printTable } from '../output.js';
import type { PreviewRecord } from '../../previews/previewStore.js';

const path = (app: string, key: string): string =>
  `/api/v1/previews/${encodeURIComponent(app)}/${encodeURIComponent(key)}`;

/** Time until an ISO date: `in 3m`, `in 2h`, `in 5d`; `due` once past. */
export function until(iso: string, now = Date.now()): string {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return 'due';
  if (s < 60) return `in ${s}s`;
  if (s < 3600) return `in ${Math.floor(s / 60)}m`;
  if (s < 86400) return `in ${Math.floor(s / 3600)}h`;
  return `in ${Math.floor(s / 86400)}d`;
}

export function registerPreview(program: Command): void {
  const preview = program
    .command('preview')
    .description('preview environments of branches and pull requests: list, open (or renew), close');

  preview
    .command('list')
    .alias('ls')
    .description('the preview environments (of one app), newest first')
    .option('-a, --app <app>', "only this app's previews")
    .option('--all', 'also the closed ones, with why they were closed')
    .action(async (o: { app?: string; all?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await (
        await ctx.client()
      ).get<PreviewRecord[]>('/api/v1/previews', {
        ...(o.app ? { app: o.app } : {}),
        ...(o.all ? { closed: 'true' } : {}),
      });
      if (ctx.output !== 'table') return printData(ctx.output, list);
      if (list.length === 0)
        return void process.stdout.write(`no preview environments${o.app ? ` of ${o.app}` : ''}\n`);
      printTable(
        list.map((p) => ({
          app: p.app,
          key: p.key,
          env: p.env,
          template: p.template,
          state:
            p.state === 'closed' ? `closed (${p.closedReason ?? '-'})` : p.error ? `${p.state} (${p.error})` : p.state,
          edge: p.edgePort,
          expires: p.state === 'closed' ? '' : until(p.expiresAt),
          author: p.author,
        })),
        ['app', 'key', 'env', 'template', 'state', 'edge', 'expires', 'author'],
      );
    });

  preview
    .command('open <app> [key]')
    .description(
      "open a preview environment <template>-<key> like `berth env copy` (the template's settings and the app's config, secrets too), or renew its time to live",
    )
    .requiredOption('-t, --template <env>', 'the environment it is made like, e.g. staging')
    .option('-b, --branch <branch>', 'a branch instead of KEY: its name made a DNS label is the key')
    .option('--ttl <duration>', 'time to live after this open, e.g. 30m or 72h (default 72h)')
    .action(
      async (
        app: string,
        key: string | undefined,
        o: { template: string; branch?: string; ttl?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const p = await (
          await ctx.client()
        ).post<PreviewRecord>('/api/v1/previews', {
          app,
          ...(key !== undefined ? { key } : {}),
          ...(o.branch !== undefined ? { branch: o.branch } : {}),
          template: o.template,
          ...(o.ttl !== undefined ? { ttl: o.ttl } : {}),
        });
        if (ctx.output !== 'table') return printData(ctx.output, p);
        const renewed = p.createdAt !== p.updatedAt;
        process.stdout.write(
          `${renewed ? 'renewed' : 'opened'} preview ${p.key} of ${p.app}: environment ${p.env} (like ${p.template})${
            p.edgePort !== undefined ? `, edge port ${p.edgePort}` : ''
          }\n`,
        );
        process.stdout.write(
          dim(`  expires ${p.expiresAt} (${until(p.expiresAt)}); deploy: berth deploy --env ${p.env}\n`),
        );
      },
    );

  preview
    .command('close <app> <key>')
    .description('close a preview: take down what runs in its environment and delete the environment')
    .option('--reason <text>', 'why it is closed (default: by hand)')
    .action(async (app: string, key: string, o: { reason?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const p = await (
        await ctx.client()
      ).delete<PreviewRecord>(path(app, key), o.reason !== undefined ? { reason: o.reason } : undefined);
      if (ctx.output !== 'table') return printData(ctx.output, p);
      process.stdout.write(`closed preview ${p.key} of ${p.app}: environment ${p.env} deleted (${p.closedReason})\n`);
    });
}
