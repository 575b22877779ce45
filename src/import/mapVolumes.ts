/**
 * Service `volumes`. berth.yaml has no volumes: a read-only bind mount of one small text
 * file is a config file, and becomes one of the service's `files`; a named volume holds data that
 * must outlive a replica, which berth.yaml cannot express (`stateful: true` gives a StatefulSet its
 * stable names on clusters, not a volume claim); other bind mounts share host folders,
 * which on one machine the service's `cwd` already gives it and on a cluster do not exist.
 */
import path from 'node:path';
import type { ServiceContext } from './context.js';
import { literal } from './context.js';

/** Largest bind-mounted file copied into berth.yaml. */
const MAX_FILE_BYTES = 64 * 1024;

interface Mount {
  type: 'bind' | 'volume' | 'tmpfs' | string;
  source?: string;
  target: string;
  readOnly: boolean;
}

/** `[source:]target[:mode]` */
export function parseShortVolume(text: string): Mount | undefined {
  const parts = text.split(':');
  // A Windows drive letter (`C:\data:/data`) has a colon of its own.
  if (parts.length > 1 && /^[A-Za-z]$/.test(parts[0]!) && /^[\\/]/.test(parts[1] ?? ''))
    parts.splice(0, 2, `${parts[0]}:${parts[1]}`);
  if (parts.length === 1) return { type: 'volume', target: parts[0]!, readOnly: false };
  const [source, target, mode = ''] = parts;
  if (!target) return undefined;
  const bind = /^(\.|\/|~|[A-Za-z]:)/.test(source!) || source!.startsWith('$');
  return { type: bind ? 'bind' : 'volume', source: source!, target, readOnly: mode.split(',').includes('ro') };
}

/** Maps volumes; only read-only single-file binds become something. */
export async function mapVolumes(ctx: ServiceContext): Promise<void> {
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
      ctx.report.unmapped(
        at,
        m.source
          ? `named volume \`${m.source}\` at ${m.target}: berth.yaml has no volumes (a \`stateful: true\` service gets stable names on clusters, not storage); on one machine the process keeps its data in its own folders`
          : `anonymous volume at ${m.target}: scratch space; on one machine the process writes to its own folders`,
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
      ctx.out.files.push({ path: target, content: literal(file) });
      ctx.report.changed(
        at,
        `services.${ctx.name}.files`,
        `read-only bind of the file ${m.source}: its content is copied into berth.yaml and written to $BERTH_CONFIG_DIR/${target} (compose: ${m.target}); the service must read it there, and a change to ${m.source} needs a new import`,
      );
      continue;
    }
    ctx.report.unmapped(
      at,
      `bind mount of the host path ${m.source} at ${m.target}: clusters have no host folders; on one machine the service runs on the host${ctx.out.cwd ? ` in \`${ctx.out.cwd}\`` : ''} and reads its files directly (a read-only bind of one text file would become a config file)`,
    );
  }
}

async function readSmallText(ctx: ServiceContext, file: string): Promise<string | undefined> {
  const text = await ctx.readText(file);
  if (text === undefined || text.includes('\u0000') || Buffer.byteLength(text) > MAX_FILE_BYTES) return undefined;
  return text;
}
