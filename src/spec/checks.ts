/**
 * Checks across fields that a schema cannot express: dependencies and routes that name services,
 * dependency cycles, duplicate routes, and variables used without being declared. They run on the
 * raw YAML data, so they are reported together with the schema's problems.
 */
import { ValidationError } from '../errors.js';
import { findCycles, formatCycle } from './graph.js';
import { variableUses } from './interpolate.js';
import { didYouMean } from './problems.js';
import { discoveryFindings, opaqueFindings } from './discoveryChecks.js';
import type { Finding } from './problems.js';
import { replicaValueFindings } from './replicaChecks.js';
import { shadowingFindings } from './shadowing.js';
import { discoveryOwners, isDiscoveryFor, RUNTIME_VARIABLES, templateFields } from './templates.js';

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unknownService(name: string, names: string[]): string {
  return `unknown service \`${name}\`${didYouMean(name, names)}`;
}

function dependencyFindings(services: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  const names = Object.keys(services);
  const known = new Set(names);
  const graph = Object.fromEntries(names.map((name) => [name, { dependsOn: [] as string[] }]));
  for (const [name, s] of Object.entries(services)) {
    const deps = isMap(s) && Array.isArray(s.dependsOn) ? s.dependsOn : [];
    deps.forEach((d: unknown, i) => {
      if (typeof d !== 'string') return;
      const path = ['services', name, 'dependsOn', i];
      if (d === name) out.push({ path, message: `service \`${name}\` cannot depend on itself` });
      else if (!known.has(d)) out.push({ path, message: unknownService(d, names) });
      else if (deps.indexOf(d) < i) out.push({ path, message: `\`${d}\` is listed twice` });
      else graph[name]!.dependsOn.push(d);
    });
  }
  for (const cycle of findCycles(graph)) {
    const deps = (services[cycle[0]!] as { dependsOn: unknown[] }).dependsOn;
    out.push({ path: ['services', cycle[0]!, 'dependsOn', deps.indexOf(cycle[1])], message: formatCycle(cycle) });
  }
  return out;
}

function routeFindings(routes: unknown, names: string[]): Finding[] {
  if (!Array.isArray(routes)) return [];
  const out: Finding[] = [];
  const seen = new Map<string, number>();
  routes.forEach((r: unknown, i) => {
    if (!isMap(r)) return;
    if (typeof r.service === 'string' && !names.includes(r.service))
      out.push({ path: ['routes', i, 'service'], message: unknownService(r.service, names) });
    const host = r.host ?? '';
    const path = r.path ?? '/';
    if (typeof host !== 'string' || typeof path !== 'string') return;
    const key = `${host} ${path}`;
    const first = seen.get(key);
    const where = `${host ? `host \`${host}\`` : 'any host'}, path \`${path}\``;
    if (first !== undefined)
      out.push({ path: ['routes', i], message: `duplicate route (${where}): already routed by routes.${first}` });
    else seen.set(key, i);
  });
  return out;
}

function variableFindings(data: Record<string, unknown>, names: string[]): Finding[] {
  const declared = isMap(data.variables) ? Object.keys(data.variables) : [];
  const out: Finding[] = [];
  const owners = discoveryOwners(
    Object.fromEntries(names.map((n) => [n, isMap(data.services) ? data.services[n] : undefined])),
  );
  for (const field of templateFields(data)) {
    let uses;
    try {
      uses = variableUses(field.template);
    } catch (err) {
      const message = err instanceof ValidationError ? (err.problems[0]?.message ?? err.message) : String(err);
      out.push({ path: field.path, message: `invalid variable syntax: ${message}` });
      continue;
    }
    const reported = new Set<string>();
    for (const use of uses) {
      if (
        use.operator !== undefined ||
        declared.includes(use.name) ||
        isDiscoveryFor(owners, use.name, field.service) ||
        reported.has(use.name)
      )
        continue;
      reported.add(use.name);
      out.push({ path: field.path, message: undeclared(use.name, declared) });
    }
  }
  return out;
}

function undeclared(name: string, declared: string[]): string {
  const similar = didYouMean(name, declared);
  if (similar)
    return `undeclared variable \`${name}\`${similar.slice(0, -1)} otherwise declare it under \`variables\`)`;
  if (RUNTIME_VARIABLES.has(name))
    return `undeclared variable \`${name}\` (it only exists when the service runs: write \`$$${name}\` to leave it to the shell)`;
  return `undeclared variable \`${name}\` (declare it under \`variables\`)`;
}

/**
 * Mounts of volumes the app does not declare under `volumes`, and a volume a stateful service
 * mounts that another service mounts too (each stateful replica has its own copy: nothing to share).
 */
function volumeFindings(data: Record<string, unknown>, services: Record<string, unknown>): Finding[] {
  const declared = isMap(data.volumes) ? Object.keys(data.volumes) : [];
  const out: Finding[] = [];
  const statefulOwner = new Map<string, string>();
  for (const [name, svc] of Object.entries(services)) {
    if (!isMap(svc) || svc.stateful !== true || !Array.isArray(svc.volumes)) continue;
    for (const m of svc.volumes as unknown[]) {
      const volume = typeof m === 'string' ? m.split(':')[0] : isMap(m) ? m.volume : undefined;
      if (typeof volume === 'string' && !statefulOwner.has(volume)) statefulOwner.set(volume, name);
    }
  }
  for (const [name, svc] of Object.entries(services)) {
    const mounts = isMap(svc) && Array.isArray(svc.volumes) ? (svc.volumes as unknown[]) : [];
    mounts.forEach((m, i) => {
      const volume = typeof m === 'string' ? m.split(':')[0] : isMap(m) ? m.volume : undefined;
      const owner = typeof volume === 'string' ? statefulOwner.get(volume) : undefined;
      if (owner !== undefined && owner !== name)
        out.push({
          path: ['services', name, 'volumes', i, ...(typeof m === 'string' ? [] : ['volume'])],
          message: `volume \`${volume}\` is mounted by the stateful service \`${owner}\`, whose replicas each have their own copy (\`${volume}-0\`, ...): declare another volume for \`${name}\``,
        });
      if (typeof volume !== 'string' || declared.includes(volume)) return;
      out.push({
        path: ['services', name, 'volumes', i, ...(typeof m === 'string' ? [] : ['volume'])],
        message: `unknown volume \`${volume}\` (declare it under the top-level \`volumes\`)${didYouMean(volume, declared)}`,
      });
    });
  }
  return out;
}

/** Cross-field findings on the raw YAML data of a berth.yaml. */
export function crossFindings(data: unknown): Finding[] {
  if (!isMap(data)) return [];
  const services = isMap(data.services) ? data.services : {};
  const names = Object.keys(services);
  return [
    ...dependencyFindings(services),
    ...routeFindings(data.routes, names),
    ...variableFindings(data, names),
    ...shadowingFindings(data, names),
    ...volumeFindings(data, services),
    ...replicaValueFindings(services),
    ...discoveryFindings(services),
    ...opaqueFindings(services, data.routes),
  ];
}
