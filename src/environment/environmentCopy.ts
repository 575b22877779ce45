/**
 * The settings an environment made by `berth env copy FROM TO` gets: FROM's target and variable
 * defaults, less what belongs to FROM alone — its edge ports on this machine (two environments cannot
 * listen on one port), its Kubernetes namespace (TO deploys into its own: TO's name, or the one given)
 * and its protection.
 */
import { ValidationError } from '../errors.js';
import { zodProblems } from '../zodProblems.js';
import { EnvironmentInput, type Environment, type EnvironmentTarget } from './environments.js';

/** The new environment's row fields and what was left out of FROM's settings, said to the user. */
export interface CopiedEnvironment {
  name: string;
  target: EnvironmentTarget;
  defaults: Record<string, string>;
  notes: string[];
}

/** TO's settings made from FROM's; ValidationError (naming `field`) for a bad name or namespace. */
export function copiedEnvironment(
  from: Environment,
  to: string,
  o: { namespace?: string; field?: string } = {},
): CopiedEnvironment {
  const notes: string[] = [];
  const target: EnvironmentTarget = structuredClone(from.target);
  if (target.kind === 'local') {
    if (target.edgePort !== undefined || target.edgePorts !== undefined)
      notes.push(
        `${from.name}'s edge ports are not copied: ${to}'s apps get the next free ports (berth env set ${to} --edge-port)`,
      );
    delete target.edgePort;
    delete target.edgePorts;
  } else {
    target.namespace = o.namespace ?? to;
    notes.push(
      `${to} deploys into namespace ${target.namespace}${target.context ? ` of context ${target.context}` : ''}`,
    );
  }
  // Protection belongs to FROM (production), not to its copies (a preview, a debugging copy).
  if (target.protected) {
    delete target.protected;
    notes.push(`${from.name} is protected, ${to} is not: protect it with berth env set ${to} --protected`);
  }
  if (target.approvals) {
    notes.push(
      `${from.name} needs ${target.approvals} approvals, ${to} none: berth env set ${to} --approvals ${target.approvals}`,
    );
    delete target.approvals;
  }
  if (o.namespace !== undefined && from.target.kind === 'local')
    throw new ValidationError(`environment ${from.name} runs on this machine: a namespace applies to Kubernetes`, [
      { file: 'request body', path: 'namespace', message: 'only for a copy of a Kubernetes environment' },
    ]);
  const parsed = EnvironmentInput.safeParse({ name: to, target, defaults: from.defaults });
  if (!parsed.success) {
    const problems = zodProblems(parsed.error, 'request body').map((p) =>
      p.path === 'name'
        ? { ...p, path: o.field ?? 'to' }
        : p.path === 'target.namespace'
          ? { ...p, path: 'namespace' }
          : p,
    );
    throw new ValidationError(`cannot make environment ${to} like ${from.name}`, problems);
  }
  return { name: to, target: parsed.data.target, defaults: parsed.data.defaults, notes };
}
