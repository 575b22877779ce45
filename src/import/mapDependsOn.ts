/**
 * `depends_on`, list and map forms. Berth's `dependsOn` deploys a service after its dependencies
 * are ready (their readiness probe passes), so every condition becomes that health gate:
 * `service_healthy` keeps its meaning, `service_started` gets stricter, and
 * `service_completed_successfully` (a one-off task) makes the dependency a job (`kind: job`), after
 * which Berth deploys the service once the job has succeeded, whatever the condition said.
 */
import type { ServiceContext } from './context.js';

interface Dependency {
  dep: string;
  key: string | number;
  condition: string;
  required: boolean;
  restart: boolean;
}

/** depends_on in its list or map form, as entries. */
function dependencies(ctx: ServiceContext): Dependency[] {
  const deps = ctx.svc.depends_on;
  if (deps === undefined || deps === null) return [];
  return Array.isArray(deps)
    ? deps.map((d, i) => ({ dep: d, key: i, condition: 'service_started', required: true, restart: false }))
    : Object.entries(deps).map(([d, o]) => ({
        dep: d,
        key: d,
        condition: o.condition,
        required: o.required ?? true,
        restart: o.restart ?? false,
      }));
}

/** Records who waits for whom to finish (`service_completed_successfully`): those become jobs. */
export function collectWaits(ctx: ServiceContext): void {
  for (const e of dependencies(ctx))
    if (e.condition === 'service_completed_successfully')
      ctx.jobs.set(e.dep, [...(ctx.jobs.get(e.dep) ?? []), ctx.name]);
}

/** Maps depends_on into `dependsOn`; `jobs` are the compose names of the services that became jobs. */
export function mapDependsOn(ctx: ServiceContext, jobs: ReadonlySet<string>): void {
  const entries = dependencies(ctx);
  const to = `services.${ctx.name}.dependsOn`;
  for (const e of entries) {
    const path = [...ctx.path, 'depends_on', e.key];
    const target = ctx.names.get(e.dep)!;
    const depService = ctx.compose.services[e.dep];
    const test = depService?.healthcheck?.disable ? undefined : testOf(depService?.healthcheck?.test);
    const probed = test !== undefined && test !== 'NONE';
    if (!ctx.out.dependsOn.includes(target)) ctx.out.dependsOn.push(target);
    if (e.condition === 'service_completed_successfully')
      ctx.report.mapped(path, to, `deployed after \`${target}\` has finished: \`${target}\` becomes \`kind: job\``);
    else if (jobs.has(e.dep))
      ctx.report.changed(
        path,
        to,
        `\`${target}\` is a one-shot task (\`kind: job\`): Berth deploys this service after it has finished successfully, where compose's \`${e.condition}\` only waits for it to start`,
      );
    else {
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
    }
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
