/**
 * `berth volume ls [APP]`: the volumes kept on this machine with their use; `berth volume rm APP
 * VOLUME`: deletes one's data (asks first, or `--yes`), refused while a replica mounting it runs.
 */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { confirm } from '../confirm.js';
import { dim, printData, printTable } from '../output.js';
import type { VolumeStatus } from '../../model/volumes.js';
import { envOption } from '../envOption.js';

const UNITS = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];

/** 1536 → `1.5Ki`, berth.yaml's binary units. */
export function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : Number(v.toFixed(1))}${UNITS[u]}`;
}

const envPath = (app: string, env: string): string =>
  `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}`;

/** Deletes the volumes of `app` in `env` (one when `volume` is given) and says what went. */
export async function deleteVolumes(
  cmd: Command,
  app: string,
  env: string,
  volume: string | undefined,
  yes: boolean | undefined,
): Promise<VolumeStatus[]> {
  const ctx = contextOf(cmd);
  const client = await ctx.client();
  const what = volume !== undefined ? `volume ${volume}` : 'every volume';
  await confirm(`delete the data of ${what} of ${app} in ${env}? This cannot be undone.`, yes);
  const path = `${envPath(app, env)}/volumes${volume !== undefined ? `/${encodeURIComponent(volume)}` : ''}`;
  const removed = await client.delete<VolumeStatus[]>(path);
  if (ctx.output === 'table')
    for (const v of removed) process.stderr.write(`deleted ${v.name} (${sizeText(v.usedBytes)}) ${dim(v.path)}\n`);
  return removed;
}

export function registerVolume(program: Command): void {
  const volume = program.command('volume').description('volumes kept on this machine: list them, delete one');
  volume
    .command('ls [app]')
    .alias('list')
    .description('volumes per app and environment: size used, requested size, services mounting it, path')
    .addOption(envOption('only this environment (default: every one)', null))
    .action(async (app: string | undefined, o: { env?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      const list = await client.get<VolumeStatus[]>('/api/v1/volumes', {
        ...(app !== undefined ? { app } : {}),
        ...(o.env !== undefined ? { env: o.env } : {}),
      });
      if (ctx.output !== 'table') return printData(ctx.output, list);
      if (list.length === 0) {
        process.stdout.write('no volumes\n');
        return;
      }
      printTable(
        list.map((v) => ({
          app: v.app,
          env: v.env,
          volume: v.name,
          used: sizeText(v.usedBytes),
          size: sizeText(v.sizeBytes),
          services: v.services.join(',') || '-',
          path: v.path,
        })),
        ['app', 'env', 'volume', 'used', 'size', 'services', 'path'],
      );
    });
  volume
    .command('rm <app> <volume>')
    .alias('remove')
    .description("delete a volume's data (a stateful service's per-replica copies too); refused while it is mounted")
    .addOption(envOption())
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (app: string, name: string, o: { env: string; yes?: boolean }, cmd: Command) => {
      const removed = await deleteVolumes(cmd, app, o.env, name, o.yes);
      const ctx = contextOf(cmd);
      if (ctx.output !== 'table') await printData(ctx.output, removed);
    });
}
