/** Prints a plan (or a diff of two revisions) for people: one block per service, one line per field. */
import type { Plan } from '../release/planTypes.js';
import { bold, dim, green, red, yellow } from './output.js';

const show = (v: unknown): string => (v === undefined ? '∅' : JSON.stringify(v));

export function printPlan(plan: Plan, title: string): void {
  const out = process.stdout;
  out.write(`${bold(title)}\n`);
  if (!plan.changed) {
    out.write('  no changes\n');
    return;
  }
  for (const s of plan.services) {
    const mark = { create: green('+'), remove: red('-'), update: yellow('~'), scale: yellow('~'), unchanged: dim('=') }[
      s.action
    ];
    const what =
      s.action === 'create'
        ? `create, ${s.toReplicas} replica${s.toReplicas === 1 ? '' : 's'}`
        : s.action === 'remove'
          ? 'remove'
          : s.action === 'unchanged'
            ? 'unchanged'
            : s.restart
              ? `update, ${s.toReplicas} replica${s.toReplicas === 1 ? '' : 's'} replaced (${s.strategy ?? 'rolling'})`
              : s.fromReplicas !== s.toReplicas
                ? `scale ${s.fromReplicas} → ${s.toReplicas}, no restart`
                : 'update, no restart';
    out.write(`${mark} ${bold(s.service)}  ${dim(what)}\n`);
    for (const c of s.changes) {
      out.write(`    ${c.path}: ${show(c.from)} → ${show(c.to)}  ${dim(`(${c.because.join(', ')})`)}\n`);
    }
  }
  for (const r of plan.routes.added) out.write(`${green('+')} route ${r.host ?? ''}${r.pathPrefix} → ${r.service}\n`);
  for (const r of plan.routes.removed) out.write(`${red('-')} route ${r.host ?? ''}${r.pathPrefix} → ${r.service}\n`);
  // A plan of an older server has no policyChanged.
  for (const c of plan.routes.policyChanged ?? [])
    out.write(
      `${yellow('~')} route ${c.route.host ?? ''}${c.route.pathPrefix} → ${c.route.service}  ${dim('policy changed, no restart')}\n    policy: ${show(c.from)} → ${show(c.to)}\n`,
    );
  // A plan of an older server has no edge.
  const edge = plan.edge ?? [];
  if (edge.length > 0) {
    out.write(`${yellow('~')} ${bold('edge')}\n`);
    for (const c of edge)
      out.write(`    ${c.path}: ${show(c.from)} → ${show(c.to)}  ${dim(`(${c.because.join(', ')})`)}\n`);
  }
  if (plan.fromConfigVersion !== undefined && plan.fromConfigVersion !== plan.toConfigVersion) {
    out.write(dim(`config version ${plan.fromConfigVersion} → ${plan.toConfigVersion}\n`));
  }
}
