/**
 * Service `volumes` and the top-level `volumes`. A named volume holds data that must outlive a
 * replica: it becomes a volume of the app (top-level `volumes`) and a mount `{ volume, path }`
 * of the service (a directory under BERTH_HOME on one machine, a PersistentVolumeClaim on
 * clusters). A read-only bind mount of one small text file is a config file, and becomes one of
 * the service's `files`; other bind mounts share host folders, which on one machine the service's
 * `cwd` already gives it and on a cluster do not exist: they are dropped, and a healthcheck that
 * runs a script from such a mount is reported (healthcheckMounts.ts).
 */
import path from 'node:path';
import type { ImportContext, ServiceContext } from './context.js';
import { literal, runsAsContainer } from './context.js';
import { fileWhere, mountPathFor } from './mapFiles.js';
import { knownImage } from './mapAppProtocol.js';
import { dnsLabel } from './names.js';
import { parseShortVolume, type Mount } from './composeVolumes.js';

export { parseShortVolume } from './composeVolumes.js';

/** Largest bind-mounted file copied into berth.yaml. */
const MAX_FILE_BYTES = 64 * 1024;
/** berth.yaml volume names are DNS labels of at most 40 characters. */
const VOLUME_NAME_MAX = 40;

/** A bind mount the import dropped (kept for the healthcheck report), or turned into a file. */
export interface BindOutcome {
  at: (string | number)[];
  source: string;
  target: string;
  /** The config file it became (`$BERTH_CONFIG_DIR/<file>`), when it became one. */
  file?: string;
}

/** Compose volume name → a berth.yaml volume name (a DNS label), unique; `pg_data` → `pg-data`. */
export function volumeNames(composeNames: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of composeNames) {
    const base = dnsLabel(n, false, 'data').slice(0, VOLUME_NAME_MAX).replace(/-+$/, '');
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base.slice(0, VOLUME_NAME_MAX - `-${i}`.length)}-${i}`;
    taken.add(name);
    out.set(n, name);
  }
  return out;
}

/** The named volumes some service mounts (compose names, in file order). */
function mountedVolumes(ctx: ImportContext): Set<string> {
  const used = new Set<string>();
  for (const svc of Object.values(ctx.compose.services))
    for (const v of svc?.volumes ?? []) {
      const m = typeof v === 'string' ? parseShortVolume(v) : v;
      if (m?.type === 'volume' && m.source) used.add(m.source);
    }
  return used;
}

/**
 * The top-level `volumes`: each one a service mounts becomes a volume of the app (`ctx.volumes`),
 * the others are reported as unused. Driver settings have no meaning for Berth's volumes.
 */
export function mapTopLevelVolumes(ctx: ImportContext): void {
  const defined = ctx.compose.volumes ?? {};
  const used = mountedVolumes(ctx);
  const names = volumeNames([...Object.keys(defined)].filter((n) => used.has(n)));
  for (const [composeName, def] of Object.entries(defined)) {
    const at = ['volumes', composeName];
    const name = names.get(composeName);
    if (name === undefined) {
      ctx.report.ignored(at, 'no service mounts it');
      continue;
    }
    ctx.volumes.set(composeName, name);
    const notes = [
      'data kept across deploys, restarts, rollbacks and `berth down` (a directory under BERTH_HOME on one machine, a PersistentVolumeClaim on clusters); add `size` for the claim',
    ];
    if (name !== composeName) notes.unshift(`named \`${name}\`: volume names are lowercase letters, digits and \`-\``);
    const d = def !== null && typeof def === 'object' ? (def as Record<string, unknown>) : {};
    if (d.external)
      notes.push(
        'external in compose (created outside it): Berth creates its own, empty; copy the data in before the first deploy',
      );
    ctx.report.add(name !== composeName || d.external ? 'changed' : 'mapped', at, notes.join('; '), `volumes.${name}`);
    for (const key of Object.keys(d))
      if (key !== 'external')
        ctx.report.unmapped(
          [...at, key],
          key === 'name'
            ? 'Berth names the directory or claim after the app, the environment and the volume'
            : 'volume drivers and their options are the container engine’s: Berth keeps volumes in its own storage',
        );
  }
}

/** Maps volumes; returns the bind mounts that were dropped or became files. */
export async function mapVolumes(ctx: ServiceContext): Promise<BindOutcome[]> {
  const binds: BindOutcome[] = [];
  const list = ctx.svc.volumes ?? [];
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    const at = [...ctx.path, 'volumes', i];
    const m: Mount | undefined =
      typeof v === 'string'
        ? parseShortVolume(v)
        : {
            type: v.type,
            ...(v.source === undefined ? {} : { source: v.source }),
            target: v.target ?? '',
            readOnly: v.read_only ?? false,
          };
    if (!m) {
      ctx.report.unmapped(at, `\`${String(v)}\` is not a volume mount`);
      continue;
    }
    if (m.type === 'volume') {
      mapNamedVolume(ctx, at, m);
      if (typeof v !== 'string')
        for (const key of ['volume', 'consistency'] as const)
          if (v[key] !== undefined)
            ctx.report.unmapped(
              [...at, key],
              key === 'volume'
                ? '`nocopy` and `subpath`: Berth mounts the whole volume, as it is'
                : 'Berth has no mount consistency modes',
            );
      continue;
    }
    if (m.type === 'tmpfs') {
      ctx.report.unmapped(at, `tmpfs at ${m.target}: Berth mounts nothing; the process can use the system temp folder`);
      continue;
    }
    if (m.type !== 'bind' || !m.source) {
      ctx.report.unmapped(at, `\`${m.type}\` mounts have no Berth equivalent`);
      continue;
    }
    const host = path.resolve(ctx.composeDir, m.source.replace(/^~(?=\/|$)/, process.env.HOME ?? '~'));
    const file = m.readOnly ? await readSmallText(ctx, host) : undefined;
    const target = path.posix.normalize(m.target).replace(/^\/+/, '');
    if (
      file !== undefined &&
      target !== '' &&
      !target.split('/').includes('..') &&
      !ctx.out.files.some((f) => f.path === target)
    ) {
      const mount = mountPathFor(ctx, path.posix.normalize(m.target));
      ctx.out.files.push({
        path: target,
        content: literal(file),
        ...('mountPath' in mount ? { mountPath: mount.mountPath } : {}),
      });
      ctx.report.changed(
        at,
        `services.${ctx.name}.files`,
        `read-only bind of the file ${m.source}: its content is copied into berth.yaml, ${fileWhere(ctx, target, mount)}; a change to ${m.source} needs a new import`,
      );
      binds.push({ at, source: m.source, target: m.target, file: target });
      continue;
    }
    ctx.report.unmapped(
      at,
      runsAsContainer(ctx.out)
        ? `bind mount of the host path ${m.source} at ${m.target}: Berth mounts no host folders (clusters have none); put what the service reads there in its image, a read-only text file would become a config file, and data to keep belongs in a named volume`
        : `bind mount of the host path ${m.source} at ${m.target}: clusters have no host folders; on one machine the service runs on the host${ctx.out.cwd ? ` in \`${ctx.out.cwd}\`` : ''} and reads its files directly (a read-only bind of one text file would become a config file; data to keep belongs in a named volume)`,
    );
    binds.push({ at, source: m.source, target: m.target });
  }
  return binds;
}

function mapNamedVolume(ctx: ServiceContext, at: (string | number)[], m: Mount): void {
  if (!m.source) {
    ctx.report.unmapped(
      at,
      `anonymous volume at ${m.target}: scratch space that compose recreates with the container; the process can write to its own folders (name it in compose to keep its data)`,
    );
    return;
  }
  const volume = ctx.volumes.get(m.source);
  const target = path.posix.normalize(m.target);
  if (volume === undefined) {
    ctx.report.unmapped(at, `\`${m.source}\` is not under the top-level \`volumes\``);
    return;
  }
  if (!target.startsWith('/')) {
    ctx.report.unmapped(at, `${m.target} is not an absolute path: a volume is mounted at an absolute path`);
    return;
  }
  const twice = ctx.out.volumes.find((o) => o.volume === volume || o.path === target);
  if (twice) {
    ctx.report.unmapped(
      at,
      twice.volume === volume
        ? `\`${m.source}\` is already mounted at ${twice.path}: a Berth service mounts a volume once (point the program at ${twice.path})`
        : `${target} is already the mount of \`${twice.volume}\``,
    );
    return;
  }
  // The image's data directory, named by a variable the server reads (postgres: PGDATA): set it to the volume.
  const data = knownImage(ctx.svc.image ?? undefined)?.data;
  const env = data?.path === target && !Object.hasOwn(ctx.out.env, data.env) ? data.env : undefined;
  ctx.out.volumes.push({
    volume,
    path: target,
    ...(env ? { env } : {}),
    ...(m.readOnly ? { readOnly: true as const } : {}),
  });
  ctx.report.mapped(
    at,
    `services.${ctx.name}.volumes`,
    `named volume \`${volume}\` at ${target}${m.readOnly ? ', read-only' : ''}: ${runsAsContainer(ctx.out) ? `mounted there in the container, and named by` : 'on one machine the process finds its directory in'} $BERTH_VOLUME_${volume.toUpperCase().replace(/-/g, '_')}${env ? ` and in ${env} (the variable ${ctx.svc.image} reads its data directory from)` : ''}`,
  );
}

async function readSmallText(ctx: ServiceContext, file: string): Promise<string | undefined> {
  const text = await ctx.readText(file);
  if (text === undefined || text.includes('\u0000') || Buffer.byteLength(text) > MAX_FILE_BYTES) return undefined;
  return text;
}
