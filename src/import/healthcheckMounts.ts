/**
 * A healthcheck that runs a script from a bind mount (`test: ["CMD", "/healthchecks/redis.sh"]`
 * with `./healthchecks:/healthchecks`) fails once the mount is gone: the probe Berth made of it runs
 * the same command, so each such healthcheck is reported with the mount it needed.
 */
import type { ServiceContext } from './context.js';
import type { BindOutcome } from './mapVolumes.js';

/** Absolute paths in a healthcheck test (an argv, or a shell command line). */
export function testPaths(test: string | string[]): string[] {
  const words = typeof test === 'string' ? [test] : test.slice(test[0] === 'CMD' ? 1 : 0);
  const out: string[] = [];
  for (const w of words)
    for (const m of w.matchAll(/(?:^|[\s'"=;(|&])(\/[^\s'";|&)]+)/g)) if (!out.includes(m[1]!)) out.push(m[1]!);
  return out;
}

function under(file: string, dir: string): boolean {
  const d = dir.replace(/\/+$/, '');
  return file === d || file.startsWith(`${d}/`);
}

/** Reports the healthcheck of a service when it uses a file from a bind mount the import dropped or moved. */
export function reportHealthcheckMounts(ctx: ServiceContext, binds: readonly BindOutcome[]): void {
  const hc = ctx.svc.healthcheck;
  // An `http` probe (made of `curl http://localhost/...`) needs no file.
  if (!hc?.test || hc.disable || binds.length === 0 || ctx.out.health.readiness?.http) return;
  const at = [...ctx.path, 'healthcheck', 'test'];
  for (const file of testPaths(hc.test)) {
    const bind = binds.find((b) => under(file, b.target));
    if (!bind) continue;
    const mount = `${bind.source}:${bind.target} (${bind.at.join('.')})`;
    if (bind.file !== undefined)
      ctx.report.changed(
        at,
        `services.${ctx.name}.health`,
        `the healthcheck runs ${file}, which came from the bind mount ${mount}: that file is now written to $BERTH_CONFIG_DIR/${bind.file}, so change the probe's command to run it from there`,
      );
    else
      ctx.report.unmapped(
        at,
        `the healthcheck runs ${file}, which lived on the bind mount ${mount} that was not mapped: the probe fails until ${file} exists where the service runs (copy the script into the image, or make it one of \`files\`)`,
      );
  }
}
