/**
 * The edge settings of a release on one machine: berth.yaml `edge` and the environment's edge ports,
 * in their documented precedence (docs/berth-yaml.md, "Edge").
 */
import type { AppSpec } from '../spec/schema.js';
import type { EdgeSettings } from '../model/routing.js';

/** What of an environment's target decides edge ports (its local target's fields). */
export interface EdgeEnvironment {
  name: string;
  edgePort?: number;
  edgePorts?: Record<string, number>;
}

/**
 * The environment's port for this app (`--edge-port APP=PORT`), else berth.yaml's `edge.port`,
 * both exact; else the environment's `--edge-port PORT` as the preferred port; undefined when none
 * is set (the runtime's default: BERTH_EDGE_PORT, else 8080).
 */
export function edgeSettings(spec: AppSpec, env: EdgeEnvironment): EdgeSettings | undefined {
  const own = env.edgePorts && Object.hasOwn(env.edgePorts, spec.name) ? env.edgePorts[spec.name] : undefined;
  const out: EdgeSettings = {};
  if (own !== undefined) out.port = { port: own, from: `environment ${env.name} (--edge-port ${spec.name}=${own})` };
  else if (spec.edge?.port !== undefined) out.port = { port: spec.edge.port, from: 'berth.yaml edge.port' };
  else if (env.edgePort !== undefined) out.preferredPort = env.edgePort;
  return Object.keys(out).length > 0 ? out : undefined;
}
