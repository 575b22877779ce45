/**
 * `configs` and `secrets` (top-level definitions, per-service references with `target`). A config
 * becomes a file of the service with its content inline in berth.yaml. A secret becomes a secret
 * variable whose value goes to the config set (never into berth.yaml), and a file whose content
 * is that variable: Berth writes it with mode 0600 and masks it everywhere.
 *
 * Berth writes files under the service's config directory ($BERTH_CONFIG_DIR), so absolute
 * container paths become relative ones there (`/etc/app.conf` → `etc/app.conf`, a secret's default
 * `/run/secrets/<name>` → `secrets/<name>`), and the file's `mountPath` is where compose put it
 * (`target`, default `/<name>` for a config, `/run/secrets/<name>` for a secret): a container and a
 * cluster's pod see it there too, read-only.
 */
import path from 'node:path';
import type { ServiceContext } from './context.js';
import { literal, problemAt, runsAsContainer } from './context.js';
import { mountPathConflicts, mountPathProblem } from '../spec/filePaths.js';

type Kind = 'configs' | 'secrets';

/** The berth file path for a compose target, and whether it had to change. */
function filePath(kind: Kind, name: string, target: string | undefined): string {
  if (target === undefined) return kind === 'secrets' ? `secrets/${name}` : name;
  const clean = path.posix.normalize(target.replace(/\\/g, '/'));
  if (clean.startsWith('/')) return clean.replace(/^\/+/, '').replace(/^run\/secrets\//, 'secrets/');
  return kind === 'secrets' ? `secrets/${clean}` : clean;
}

/** Where compose mounts a config or secret in the container (compose-spec: `target`, its defaults). */
export function composeTarget(kind: Kind, name: string, target: string | undefined): string {
  if (target === undefined) return kind === 'secrets' ? `/run/secrets/${name}` : `/${name}`;
  const clean = path.posix.normalize(target.replace(/\\/g, '/'));
  if (clean.startsWith('/')) return clean;
  return kind === 'secrets' ? `/run/secrets/${clean}` : `/${clean}`;
}

/**
 * The `mountPath` of a file the service reads at `target` in compose, or the reason it cannot have
 * one (a path inside Berth's config directory, or one another file of the service already has).
 */
export function mountPathFor(ctx: ServiceContext, target: string): { mountPath: string } | { problem: string } {
  const problem = mountPathProblem(target);
  if (problem) return { problem: `${target} ${problem}` };
  const taken = ctx.out.files.map((f) => f.mountPath);
  const conflict = mountPathConflicts([...taken, target])[taken.length];
  if (conflict === undefined) return { mountPath: target };
  return { problem: conflict.replace(/files\.(\d+)/g, (_, i: string) => `file ${ctx.out.files[Number(i)]!.path}`) };
}

/** Where a file is, for the report: mounted where compose put it, or read under $BERTH_CONFIG_DIR. */
export function fileWhere(
  ctx: ServiceContext,
  file: string,
  mount: { mountPath: string } | { problem: string },
): string {
  const dir = `$BERTH_CONFIG_DIR/${file}`;
  if ('problem' in mount)
    return `written to ${dir}; not mounted where compose put it (${mount.problem}): the service must read it there`;
  if (runsAsContainer(ctx.out))
    return `written to ${dir} and mounted read-only at ${mount.mountPath}, where compose put it`;
  return `written to ${dir} (\`mountPath: ${mount.mountPath}\` for its image on clusters); on one machine the process must read it at ${dir}`;
}

/** The content of a top-level config or secret, read from its file, inline content or an environment variable. */
async function contentOf(
  ctx: ServiceContext,
  kind: Kind,
  name: string,
): Promise<{ content: string; from: string } | { unmapped: string } | undefined> {
  const def = ctx.compose[kind]?.[name];
  const at = [kind, name];
  if (!def) return { unmapped: 'empty definition' };
  if (def.external)
    return {
      unmapped: `external ${kind === 'secrets' ? 'secret' : 'config'}: it lives in the Docker engine, Berth cannot read it`,
    };
  if (def.file !== undefined) {
    const file = path.resolve(ctx.composeDir, def.file);
    const text = await ctx.readText(file);
    if (text === undefined) {
      problemAt(ctx, [...at, 'file'], `cannot read ${def.file} (resolved to ${file})`);
      return undefined;
    }
    if (text.includes('\u0000')) return { unmapped: `${def.file} is binary: berth.yaml and config sets hold text` };
    return { content: text, from: def.file };
  }
  if (def.content !== undefined) return { content: def.content, from: 'inline content' };
  if (def.environment !== undefined) {
    const v = ctx.lookup(def.environment);
    if (v === undefined) {
      problemAt(ctx, [...at, 'environment'], `environment variable \`${def.environment}\` is not set`);
      return undefined;
    }
    return { content: v, from: `environment variable ${def.environment}` };
  }
  return { unmapped: 'it has no `file`, `content` or `environment`' };
}

/** Maps the service's configs and secrets into files (and secret variables). */
export async function mapFiles(ctx: ServiceContext): Promise<void> {
  for (const kind of ['configs', 'secrets'] as const) {
    const refs = ctx.svc[kind] ?? [];
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const at = [...ctx.path, kind, i];
      const name = typeof ref === 'string' ? ref : ref.source;
      const target = typeof ref === 'string' ? undefined : ref.target;
      const src = await contentOf(ctx, kind, name);
      if (src === undefined) continue;
      if ('unmapped' in src) {
        ctx.report.unmapped(at, src.unmapped);
        continue;
      }
      const file = filePath(kind, name, target);
      if (ctx.out.files.some((f) => f.path === file)) {
        ctx.report.unmapped(at, `another file of this service is already written to ${file}`);
        continue;
      }
      const to = `services.${ctx.name}.files`;
      const mount = mountPathFor(ctx, composeTarget(kind, name, target));
      const where = fileWhere(ctx, file, mount);
      const mountPath = 'mountPath' in mount ? { mountPath: mount.mountPath } : {};
      if (kind === 'configs') {
        ctx.out.files.push({ path: file, content: literal(src.content), ...mountPath });
        ctx.report.changed(at, to, `content of ${src.from} copied into berth.yaml, ${where}`);
      } else {
        const v = ctx.variables.claim([name.toUpperCase(), `SECRET_${name.toUpperCase()}`], src.content, {
          service: ctx.name,
          secret: `compose secret \`${name}\``,
          description: `compose secret ${name} (${src.from})`,
        });
        ctx.out.files.push({ path: file, content: `\${${v.name}}`, ...mountPath });
        ctx.report.changed(at, to, `value of ${src.from} → secret variable ${v.name} in the config set; ${where}`);
      }
      if (typeof ref !== 'string')
        for (const k of ['uid', 'gid', 'mode'] as const)
          if (ref[k] !== undefined)
            ctx.report.unmapped(
              [...at, k],
              kind === 'secrets'
                ? 'Berth writes secret files with mode 0600, owned by the service user'
                : 'Berth writes config files owned by the service user',
            );
    }
  }
}
