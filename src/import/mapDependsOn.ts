/**
 * `depends_on`, list and map forms. Berth's `dependsOn` deploys a service after its dependencies
 * are ready (their readiness probe passes), so every condition becomes that health gate:
 * `service_healthy` keeps its meaning, `service_started` gets stricter, and
 * `service_completed_successfully` (a one-off task) makes the dependency a job (`kind: job`).
 */
import type { ServiceContext } from './context.js';

/** Maps depends_on into `dependsOn`. */
export function mapDependsOn(ctx: ServiceContext): void {
  const deps = ctx.svc.depends_on;
  if (deps === undefined || deps === null) return;
  const to = `services.${ctx.name}.dependsOn`;
  const entries = Array.isArray(deps)
    ? deps.map((d, i) => ({
        dep: d,
        key: i as string | number,
        condition: 'service_started',
        required: true,
        restart: false,
      }))
    : Object.entries(deps).map(([d, o]) => ({
        dep: d,
        key: d as string | number,
        condition: o.condition,
        required: o.required ?? true,
        restart: o.restart ?? false,
      }));
  for (const e of entries) {
    const path = [...ctx.path, 'depends_on', e.key];
    const target = ctx.names.get(e.dep)!;
    const depService = ctx.compose.services[e.dep];
    const test = depService?.healthcheck?.disable ? undefined : testOf(depService?.healthcheck?.test);
    const probed = test !== undefined && test !== 'NONE';
    if (!ctx.out.dependsOn.includes(target)) ctx.out.dependsOn.push(target);
    if (e.condition === 'service_completed_successfully') {
      ctx.jobs.set(e.dep, [...(ctx.jobs.get(e.dep) ?? []), ctx.name]);
      ctx.report.mapped(path, to, `deployed after \`${target}\` has finished: \`${target}\` becomes \`kind: job\``);
      continue;
    }
    const gate = probed
      ? `after \`${target}\` is ready (its readiness probe, from its healthcheck, passes)`
      : `after \`${target}\` is running (it has no healthcheck, so no readiness probe)`;
    if (e.condition === 'service_healthy') ctx.report.mapped(path, to, `deployed ${gate}`);
    else
      ctx.report.changed(
        path,
        to,
        `\`service_started\` becomes stricter: Berth deploys this service ${gate}, in every release`,
      );
    if (!e.required)
      ctx.report.unmapped([...path, 'required'], 'optional dependencies: Berth always waits for its dependencies');
    if (e.restart)
      ctx.report.unmapped([...path, 'restart'], 'Berth does not restart a service when its dependency is updated');
  }
}

/** `NONE`, `CMD`, `CMD-SHELL` or `SHELL` (a string test) of a healthcheck test. */
export function testOf(test: string | string[] | undefined): string | undefined {
  if (test === undefined) return undefined;
  return typeof test === 'string' ? 'SHELL' : test[0];
}
