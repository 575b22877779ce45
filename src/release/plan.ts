/**
 * Plan: what changes between two rendered releases, service by service and field by field, and why
 * (which config keys, the spec, or the environment). Used by `berth plan`, `berth diff` and deploys.
 */
import type { Route, TrafficPolicy } from '../model/routing.js';
import type { ConfigDiffEntry } from '../config/configSets.js';
import { configKeyOf } from '../config/entries.js';
import { specPathOf, specValueOf } from './planPaths.js';
import { edgeChanges } from './planEdge.js';
import type { FieldChange, Plan, PlanAction, RoutePolicyChange, ServicePlan } from './planTypes.js';
import type { RenderedRelease, RenderedService } from './rendered.js';
import { canonicalJSON } from '../canonical.js';
import { ownGet } from '../own.js';
import { discoveryFor } from '../spec/templates.js';

export interface PlanContext {
  /** Config keys whose value differs between the two config versions (files as `file:NAME`). */
  changedConfigKeys: string[];
  specChanged: boolean;
  /** Service → what changed in its code snapshot (`code changed: 2 files`), for services whose snapshot differs. */
  codeChanges?: Record<string, string>;
}

/** The context of a plan from the config differences between the two releases: one naming for plan and diff. */
export function planContextOf(
  configDiff: readonly Pick<ConfigDiffEntry, 'kind' | 'key'>[],
  specChanged: boolean,
): PlanContext {
  return { changedConfigKeys: [...new Set(configDiff.map(configKeyOf))], specChanged };
}

/** Flattens a service's shown state into path → value, keyed by name where arrays have one. */
export function flattenService(s: RenderedService): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const put = (prefix: string, value: unknown): void => {
    if (value === undefined) return;
    if (Array.isArray(value) || value === null || typeof value !== 'object') {
      out.set(prefix, Array.isArray(value) ? canonicalJSON(value) : value);
      return;
    }
    for (const [k, v] of Object.entries(value)) put(prefix ? `${prefix}.${k}` : k, v);
  };
  const { env, files, ports, command, entrypoint, ...rest } = s.workload;
  put('', rest);
  for (const [k, v] of Object.entries(env)) out.set(`env.${k}`, v);
  for (const f of files) out.set(`files.${f.path}`, f.content);
  for (const p of ports)
    out.set(`ports.${p.name}`, `${p.port}/${p.protocol}${p.appProtocol ? ` (${p.appProtocol})` : ''}`);
  if (command) out.set('command', command.join(' '));
  if (entrypoint) out.set('entrypoint', entrypoint.join(' '));
  out.set('replicas', s.replicas);
  if (s.restartedAt) out.set('restartedAt', s.restartedAt);
  out.set('dependsOn', s.dependsOn.join(', '));
  put('rollout', s.rollout);
  put('restart', s.restart);
  // Neither moves a replica by itself, but both are the service's and a plan shows them.
  put('policy', s.policy);
  put('strategy', s.strategy);
  // Which credentials pull the image (never their password): shown, but moves no replica.
  if (s.registry) out.set('registry', `${s.registry.server} as ${s.registry.username}`);
  return out;
}

function why(path: string, from: RenderedService | undefined, to: RenderedService, ctx: PlanContext): string[] {
  if (path === 'codeDigest') return [ownGet(ctx.codeChanges, to.service) ?? 'code changed'];
  const vars = new Set([...(to.sources[path] ?? []), ...(from?.sources[path] ?? [])]);
  const reasons = ctx.changedConfigKeys.filter((k) => vars.has(k)).map((k) => `config ${k}`);
  if (reasons.length === 0) reasons.push(ctx.specChanged ? 'berth.yaml' : 'environment');
  return reasons;
}

function diffService(from: RenderedService | undefined, to: RenderedService, ctx: PlanContext): FieldChange[] {
  const a = from ? flattenService(from) : new Map<string, unknown>();
  const b = flattenService(to);
  const changes: FieldChange[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const secretA = from?.secretDigests[path];
    const secretB = to.secretDigests[path];
    const va = a.get(path);
    const vb = b.get(path);
    const secretChanged = secretA !== secretB && (secretA !== undefined || secretB !== undefined);
    if (va === vb && !secretChanged) continue;
    changes.push({
      path: specPathOf(path),
      ...(va === undefined ? {} : { from: specValueOf(path, va) }),
      ...(vb === undefined ? {} : { to: specValueOf(path, vb) }),
      because: why(path, from, to, ctx),
    });
  }
  return changes;
}

/** The other services' addresses a service sees that differ between two releases. */
function addressChanges(
  service: string,
  from: Record<string, string> | undefined,
  to: Record<string, string> | undefined,
  ports: readonly { name: string }[],
): FieldChange[] {
  // What the service sees: every address but its own (each of its ports included).
  const a = discoveryFor(service, from ?? {}, ports);
  const b = discoveryFor(service, to ?? {}, ports);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => ownGet(a, k) !== ownGet(b, k))
    .sort()
    .map((k) => ({
      path: `env.${k}`,
      ...(ownGet(a, k) === undefined ? {} : { from: ownGet(a, k) }),
      ...(ownGet(b, k) === undefined ? {} : { to: ownGet(b, k) }),
      because: ['service address'],
    }));
}

/** The discovery table a service of `release` sees: the containers' one for a container service. */
function seenBy(release: RenderedRelease | undefined, s: RenderedService): Record<string, string> | undefined {
  return s.workload.runAs === 'container' && release?.containerDiscovery
    ? release.containerDiscovery
    : release?.discovery;
}

/** A route's identity: what it matches and where it sends; its policy is compared apart. */
const routeKey = (r: Route): string => `${r.host ?? '*'}${r.pathPrefix}→${r.service}${r.stripPrefix ? ' (strip)' : ''}`;
const policyText = (p: TrafficPolicy | undefined): string => (p ? canonicalJSON(p) : '');

/** Compares the release in place (`from`, undefined for a first deploy) with a new rendering. */
export function planRelease(from: RenderedRelease | undefined, to: RenderedRelease, ctx: PlanContext): Plan {
  const services: ServicePlan[] = [];
  const names = [...new Set([...Object.keys(from?.services ?? {}), ...Object.keys(to.services)])].sort();
  for (const name of names) {
    const a = ownGet(from?.services, name);
    const b = ownGet(to.services, name);
    if (!b) {
      services.push({
        service: name,
        action: 'remove',
        restart: false,
        fromHash: a!.hash,
        fromReplicas: a!.replicas,
        strategy: a!.strategy?.type ?? 'rolling',
        changes: [],
      });
      continue;
    }
    const changes = [
      ...diffService(a, b, ctx),
      ...(a ? addressChanges(name, seenBy(from, a), seenBy(to, b), b.workload.ports) : []),
    ];
    const restart = a !== undefined && a.hash !== b.hash;
    const action: PlanAction = !a
      ? 'create'
      : restart
        ? 'update'
        : changes.length > 0
          ? a.replicas !== b.replicas
            ? 'scale'
            : 'update'
          : 'unchanged';
    services.push({
      service: name,
      action,
      restart,
      ...(a ? { fromHash: a.hash, fromReplicas: a.replicas } : {}),
      toHash: b.hash,
      toReplicas: b.replicas,
      strategy: b.strategy?.type ?? 'rolling',
      changes: a ? changes : [],
    });
  }
  const fromRoutes = new Map((from?.routes ?? []).map((r) => [routeKey(r), r]));
  const toRoutes = new Map(to.routes.map((r) => [routeKey(r), r]));
  const routes = {
    added: [...toRoutes].filter(([k]) => !fromRoutes.has(k)).map(([, r]) => r),
    removed: [...fromRoutes].filter(([k]) => !toRoutes.has(k)).map(([, r]) => r),
    policyChanged: [...toRoutes].flatMap(([k, r]): RoutePolicyChange[] => {
      const before = fromRoutes.get(k);
      if (!before || policyText(before.policy) === policyText(r.policy)) return [];
      return [{ route: r, ...(before.policy ? { from: before.policy } : {}), ...(r.policy ? { to: r.policy } : {}) }];
    }),
  };
  const edge = edgeChanges(from?.edge, to.edge, ctx.specChanged);
  return {
    app: to.app,
    env: to.env,
    ...(from ? { fromConfigVersion: from.configVersion } : {}),
    toConfigVersion: to.configVersion,
    services,
    routes,
    edge,
    levels: to.levels,
    changed:
      services.some((s) => s.action !== 'unchanged') ||
      routes.added.length + routes.removed.length + routes.policyChanged.length + edge.length > 0,
  };
}
