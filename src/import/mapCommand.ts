/**
 * `image`, `build`, `command`, `entrypoint`, `working_dir`. Berth runs a service from `image` on
 * clusters and from `command` on one machine. Docker runs `entrypoint + command`; Berth's
 * `command` is the whole argv, so the two are joined. A service built from source runs on one
 * machine from its build context (`cwd`), and gets the image name compose gives it
 * (`<project>-<service>`) for clusters.
 */
import path from 'node:path';
import { literal, problemAt } from './context.js';
import type { ServiceContext } from './context.js';
import { shellWords } from './shellWords.js';

function argv(ctx: ServiceContext, key: 'command' | 'entrypoint'): string[] | undefined {
  const v = ctx.svc[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v;
  const words = shellWords(v);
  if (!words) {
    problemAt(ctx, [...ctx.path, key], 'unclosed quote in the command');
    return undefined;
  }
  return words;
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

  if (svc.image) {
    out.image = literal(svc.image);
    report.mapped(at('image'), `services.${ctx.name}.image`, svc.build ? 'the name compose builds the image as' : '');
  }
  if (svc.build !== undefined && svc.build !== null) {
    const dir = localContext(ctx);
    if (!svc.image) {
      out.image = literal(`${ctx.app}-${ctx.composeName}`);
      report.changed(
        at('build'),
        `services.${ctx.name}.image`,
        `Berth does not build images: build and push \`${out.image}\` (the name compose gives it) before deploying to a cluster${dir ? `, e.g. \`docker build -t ${out.image} ${path.relative(ctx.composeDir, dir) || '.'}\`` : ''}`,
      );
    } else {
      report.changed(
        at('build'),
        `services.${ctx.name}.image`,
        `Berth does not build images: build and push \`${svc.image}\` before deploying to a cluster`,
      );
    }
    if (dir && (command || entrypoint)) {
      out.cwd = literal(path.relative(ctx.outDir, dir) || '.');
      report.changed(
        at('build'),
        `services.${ctx.name}.cwd`,
        `on one machine the command runs on the host in the build context \`${out.cwd}\`, with what is installed there`,
      );
    }
  }

  const split = (k: 'command' | 'entrypoint') =>
    typeof svc[k] === 'string' ? ' (the string is split into argv as compose does, no shell)' : '';
  const joined = entrypoint !== undefined && entrypoint.length > 0 ? [...entrypoint, ...(command ?? [])] : command;
  if (joined && joined.length > 0) {
    out.command = joined.map(literal);
    const to = `services.${ctx.name}.command`;
    if (entrypoint?.length && command?.length) {
      report.changed(
        at('entrypoint'),
        to,
        `entrypoint and command joined into one argv, as Docker runs them${split('entrypoint')}`,
      );
      report.changed(at('command'), to, `appended to the entrypoint${split('command')}`);
    } else if (entrypoint?.length) {
      report.mapped(at('entrypoint'), to, `the argv Berth runs on one machine${split('entrypoint')}`);
    } else {
      report.changed(
        at('command'),
        to,
        `compose passes it to the image entrypoint; Berth runs it as the whole argv on one machine (clusters run the image as built)${split('command')}`,
      );
    }
  } else if (svc.command !== undefined || svc.entrypoint !== undefined) {
    report.ignored(at(svc.command !== undefined ? 'command' : 'entrypoint'), 'empty: the image defaults apply');
  }
  if (!out.command)
    report.changed(
      ctx.path,
      `services.${ctx.name}.image`,
      'no `command`: the service runs on clusters (from its image) only; to run it on one machine, add a `command`',
    );
  if (svc.working_dir)
    report.unmapped(
      at('working_dir'),
      'the working directory inside the container comes from the image; on one machine `cwd` is a host folder',
    );
}
