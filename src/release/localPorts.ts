/**
 * What one machine cannot serve of a service's ports: the gateway relays TCP only, so a UDP port is
 * refused at deploy to a local environment, naming the field (a cluster's Service carries UDP).
 */
import type { Problem } from '../errors.js';
import type { AppSpec } from '../spec/schema.js';

type PositionOf = (path: (string | number)[]) => { line: number; column: number } | undefined;

/** One problem per UDP port of `spec`, at its `protocol` field. */
export function localPortProblems(spec: Pick<AppSpec, 'services'>, file: string, positionOf?: PositionOf): Problem[] {
  const problems: Problem[] = [];
  for (const [name, svc] of Object.entries(spec.services)) {
    svc.ports.forEach((p, i) => {
      if (p.protocol !== 'UDP') return;
      const path = ['services', name, 'ports', i, 'protocol'];
      problems.push({
        file,
        ...(positionOf?.(path) ?? positionOf?.(path.slice(0, -1)) ?? {}),
        path: path.join('.'),
        message: `UDP port ${p.port} cannot be served on one machine: the local gateway relays TCP only (deploy it to a Kubernetes environment, or use TCP)`,
      });
    });
  }
  return problems;
}
