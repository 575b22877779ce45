/**
 * `image`, `build`, `command`, `entrypoint`, `working_dir`. A compose service runs from its image,
 * and so does the imported one, on one machine (as a container) and on clusters: `entrypoint` and
 * `command` keep compose's meaning (Kubernetes' `command` and `args`), strings split into argv as
 * compose splits them, and a service with a `command` gets `runAs: container` (Berth would otherwise
 * run the command as a process). A service built from source with a command of its own keeps running
 * that command on one machine from its build context (`cwd`); built without one, it runs the image
 * compose gives it (`<project>-<service>`), which must be built first.
 */
import path from 'node:path';
import { literal, problemAt } from './context.js';
import type { ServiceContext } from './context.js';
import { rewriteServiceRefs } from './discovery.js';
import type { AddressInfo } from './discovery.js';
import { shellWords } from './shellWords.js';
import { commandSecrets } from './commandSecrets.js';
import { upperName } from './names.js';

function argv(ctx: ServiceContext, key: 'command' | 'entrypoint', report = true): string[] | undefined {
  const v = ctx.svc[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v;
  const words = shellWords(v);
  if (!words) {
    if (report) problemAt(ctx, [...ctx.path, key], 'unclosed quote in the command');
    return undefined;
  }
  return words;
}

/** The words of `entrypoint` and `command` as compose runs them, for finding service references (`db:5432`). */
export function commandWords(ctx: ServiceContext): { key: string; value: string; path: (string | number)[] }[] {
  return (['entrypoint', 'command'] as const).flatMap((k) =>
    (argv(ctx, k, false) ?? []).map((value) => ({ key: k, value, path: [...ctx.path, k] })),
  );
}

/**
 * Service addresses inside `entrypoint` and `command` (`-database postgres://db:5432/shop`) become
 * discovery variables, as in env values; a bare word (`db`) is left alone, it may mean anything.
 */
export function rewriteCommandRefs(ctx: ServiceContext, addresses: readonly AddressInfo[]): void {
  for (const k of ['entrypoint', 'command'] as const) {
    const words = ctx.out[k] ? argv(ctx, k, false) : undefined;
    if (!words) continue;
    const notes: string[] = [];
    const secrets: string[] = [];
    const rewrite = (text: string) => {
      const r = rewriteServiceRefs(text, '', ctx.composeName, addresses);
      for (const ref of r.refs)
        notes.push(
          ref.to
            ? `\`${ref.text}\` → \`${ref.to}\``
            : `\`${ref.text}\` is left as is (not the service's first port): on one machine it must use <SERVICE>_HOST and <SERVICE>_PORT`,
        );
      return r.template ?? literal(text);
    };
    ctx.out[k] = words.map((w, i) => {
      let out = '';
      let last = 0;
      for (const s of commandSecrets(w, words[i - 1])) {
        const v = ctx.variables.claim(
          [`${upperName(ctx.name)}_${upperName(s.flag?.replace(/^-+/, '') ?? 'PASSWORD')}`],
          s.password,
          {
            service: ctx.name,
            secret: `a password in the ${k}`,
            shareSecret: true,
          },
        );
        secrets.push(`the ${s.flag ? `value of \`${s.flag}\`` : 'password in a URL'} → secret variable ${v.name}`);
        out += rewrite(w.slice(last, s.start)) + `\${${v.name}}`;
        last = s.end;
      }
      return out + rewrite(w.slice(last));
    });
    if (secrets.length)
      ctx.report.changed(
        [...ctx.path, k],
        `services.${ctx.name}.${k}`,
        `password${secrets.length > 1 ? 's' : ''} in the ${k} moved to the config set: ${secrets.join(', ')} (encrypted at rest, masked everywhere); berth.yaml keeps \`\${NAME}\``,
      );
    if (notes.length)
      ctx.report.changed(
        [...ctx.path, k],
        `services.${ctx.name}.${k}`,
        `service address${notes.length > 1 ? 'es' : ''} in the ${k}: ${notes.join(', ')}`,
      );
  }
}

/** A build context on disk (not a git or http URL), relative to the compose file. */
function localContext(ctx: ServiceContext): string | undefined {
  const b = ctx.svc.build;
  if (b === undefined || b === null) return undefined;
  const context = typeof b === 'string' ? b : (b.context ?? '.');
  if (/^[a-z][a-z0-9+.-]*:\/\/|^git@/i.test(context)) return undefined;
  return path.resolve(ctx.composeDir, context);
}

/** Maps how the service is run. */
export function mapCommand(ctx: ServiceContext): void {
  const { svc, report, out } = ctx;
  const at = (k: string) => [...ctx.path, k];
  const entrypoint = argv(ctx, 'entrypoint');
  const command = argv(ctx, 'command');
  const built = svc.build !== undefined && svc.build !== null;
  const dir = built ? localContext(ctx) : undefined;
  const hasCommand = Boolean(command?.length || entrypoint?.length);
  // Built from source with a command of its own: that command runs on the host from the build
  // context (issue 13). Everything else runs from its image, as compose runs it.
  const process = built && hasCommand;

  if (svc.image) {
    out.image = literal(svc.image);
    report.mapped(at('image'), `services.${ctx.name}.image`, built ? 'the name compose builds the image as' : '');
  }
  if (built) {
    const name = svc.image ?? `${ctx.app}-${ctx.composeName}`;
    const build = dir
      ? ` (\`docker build -t ${name} ${path.relative(ctx.composeDir, dir) || '.'}\` or \`podman build\`)`
      : '';
    if (!svc.image) out.image = literal(name);
    const named = svc.image ? `\`${name}\`` : `\`${name}\` (the name compose gives it)`;
    report.changed(
      at('build'),
      `services.${ctx.name}.image`,
      process
        ? `Berth does not build images: build and push ${named} before deploying to a cluster${build}`
        : `Berth runs images and does not build them: build ${named}${build} on this machine before \`berth up\` (and push it for clusters), or set \`image\` to an image you have; until the engine has it, \`berth up\` stops saying the image is not found`,
    );
    if (dir && process) {
      out.cwd = literal(path.relative(ctx.outDir, dir) || '.');
      report.changed(
        at('build'),
        `services.${ctx.name}.cwd`,
        `on one machine the command runs on the host in the build context \`${out.cwd}\`, with what is installed there`,
      );
    }
  }
  if (!process && hasCommand) out.runAs = 'container';

  const split = (k: 'command' | 'entrypoint') =>
    typeof svc[k] === 'string' ? ' (the string is split into argv as compose does, no shell)' : '';
  if (entrypoint !== undefined && entrypoint.length > 0) {
    out.entrypoint = entrypoint.map(literal);
    report.mapped(
      at('entrypoint'),
      `services.${ctx.name}.entrypoint`,
      process
        ? `the container's entrypoint; on one machine Berth runs it followed by \`command\`${split('entrypoint')}`
        : `the container's entrypoint, as in compose${split('entrypoint')}`,
    );
  }
  if (command !== undefined && command.length > 0) {
    out.command = command.map(literal);
    const to = `services.${ctx.name}.command`;
    if (out.entrypoint) report.mapped(at('command'), to, `the arguments of \`entrypoint\`${split('command')}`);
    else if (!process)
      report.mapped(
        at('command'),
        to,
        `the container's arguments, after the image's own entrypoint, as in compose${split('command')}`,
      );
    else
      report.changed(
        at('command'),
        to,
        `the container's arguments, after the image's own entrypoint, as in compose; on one machine Berth runs \`command\` as the whole argv (an image entrypoint such as docker-entrypoint.sh is not there)${split('command')}`,
      );
  }
  for (const k of ['entrypoint', 'command'] as const)
    if (svc[k] !== undefined && svc[k] !== null && (k === 'entrypoint' ? !out.entrypoint : !out.command))
      report.ignored(at(k), `empty: the image's ${k === 'entrypoint' ? 'ENTRYPOINT' : 'CMD'} applies`);
  if (out.runAs)
    report.mapped(
      ctx.path,
      `services.${ctx.name}.runAs`,
      'runs as a container of its image on one machine too, as in compose (`runAs: container`: with a `command`, Berth would otherwise run the command as a process)',
    );
  else if (!process)
    report.mapped(
      ctx.path,
      `services.${ctx.name}.image`,
      'runs as a container of its image, on one machine (an `image` without a `command`) and on clusters',
    );
  else
    report.changed(
      ctx.path,
      `services.${ctx.name}.command`,
      'runs its command as a process on one machine (built from source), and from its image on clusters',
    );
  if (svc.working_dir)
    report.unmapped(
      at('working_dir'),
      process
        ? 'the working directory inside the container comes from the image; on one machine `cwd` is a host folder'
        : "the container's working directory comes from the image (its WORKDIR): berth.yaml does not set another",
    );
}
