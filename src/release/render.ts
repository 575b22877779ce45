/**
 * Render: spec + config version + environment → the desired state of every service, deterministic
 * and content-hashed. It produces two views of the same result: `states` (real values, handed to the
 * runtime at apply time, never stored or shown) and `rendered` (secrets masked, stored with the
 * release and used for plans and diffs).
 */
import type { AppSpec, ServiceSpec } from '../spec/schema.js';
import { interpolate, variablesIn } from '../spec/interpolate.js';
import { dependencyLevels } from '../spec/graph.js';
import { resolveVariables, unresolvedVariables } from '../spec/variables.js';
import type { ResolvedConfig } from '../config/configSets.js';
import type { EdgeSettings, Route } from '../model/routing.js';
import type { Workload } from '../model/workload.js';
import type { ServiceAddress } from '../model/observation.js';
import type { ServiceState } from '../model/serviceState.js';
import { ValidationError, type Problem } from '../errors.js';
import { contentHash } from '../canonical.js';
import { hasOwnKey, ownGet, setOwn } from '../own.js';
import { MASK } from '../model/mask.js';
import { configKeyOf } from '../config/entries.js';
import { usesReplicaValues } from '../spec/replicaValues.js';
import { localPortProblems } from './localPorts.js';
import { boundedCache } from '../boundedCache.js';
import { addressVariables, discoveryFor, discoveryNames, discoveryPorts } from '../spec/templates.js';
import { isAbsolute, resolve, dirname } from 'node:path';
import { ServiceRenderMemo } from './serviceMemo.js';
import type { RenderedRelease, RenderedService } from './rendered.js';
import { withUnallocated } from './unallocated.js';
import { edgeSettings } from './edgeSettings.js';
import { resolveEdgeTls, resolveIngressTls } from './edgeTls.js';
import { runKindOf, volumeMount, workloadHash } from './renderWorkloadParts.js';
import {
  containerAddresses,
  containerServices,
  hasContainerHosts,
  registryFor,
  resolveRegistries,
  type ContainersModeName,
  type ResolvedRegistry,
} from './renderContainers.js';
import { compareText } from '../collate.js';

/** The environment a release is rendered for. */
export interface RenderEnvironment {
  name: string;
  defaults: Record<string, string>;
  /** Where the environment runs; its edge ports, when on this machine. */
  target?: { kind: string; edgePort?: number; edgePorts?: Record<string, number>; containers?: ContainersModeName };
}

export interface RenderInput {
  spec: AppSpec;
  /** berth.yaml path, for error messages. */
  file: string;
  positionOf?: (path: (string | number)[]) => { line: number; column: number } | undefined;
  environment: RenderEnvironment;
  config: ResolvedConfig;
  addresses: Record<string, ServiceAddress>;
  /** Services whose address the deploy allocates (a plan's render): their discovery variables say so. */
  unallocated?: readonly string[];
  revision: number;
  /** Keyed digest of a secret value (SecretBox.digest): lets hashes change with a secret without revealing it. */
  digestSecret: (plain: string) => string;
  /** Service → time of its last `berth restart`: part of the workload hash, so a restart replaces replicas. */
  restarts?: Record<string, string>;
  /**
   * Service → the digest its image resolved to at deploy (`rendered.images` of the release): set as
   * `Workload.imageDigest` of the services that run as containers, so the hash follows the image.
   */
  images?: Record<string, string>;
  /**
   * The code snapshots the services that run as processes on this machine run (`rendered.codes`, see
   * src/artifacts/): `Workload.codeDigest`, in the hash, and the replicas' `cwd` is `treeOf(digest)`,
   * the snapshot's read-only tree, instead of the service's folder (which the stored view keeps).
   */
  codes?: { digests: Record<string, string>; treeOf: (digest: string) => string };
  /**
   * Leave the discovery variables out of every state's `workload.env` and share them as
   * `ServiceState.discovery` (for Kubernetes, where one ConfigMap holds them): copying ~3n variables
   * into each of n services is O(n²). Hashes and the rendered view are the same either way.
   */
  discoveryApart?: boolean;
  /**
   * Results of earlier renders to reuse for services whose inputs are all the same (one memo per
   * secret key). The results are shared between renders: callers must not change them.
   */
  memo?: ServiceRenderMemo;
  /**
   * False when only the services' states are wanted (the stable track a rollout starts from): the
   * edge's certificate files are then not read, and the result's edge has no TLS. Default true.
   */
  edgeTls?: boolean;
}

export interface RenderResult {
  rendered: RenderedRelease;
  /** Real desired state per service, for the runtime only. */
  states: Record<string, ServiceState>;
  /** The edge's real settings (certificates and keys), for the runtime only; `rendered.edge` masks them. */
  edge?: EdgeSettings;
}

/**
 * `<SERVICE>_HOST`, `_PORT`, `_URL` of every service of the app (12-factor discovery); a service
 * sees its own too, as it always has.
 */
export function discoveryEnv(addresses: Record<string, ServiceAddress>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, addr] of Object.entries(addresses).sort(([a], [b]) => compareText(a, b))) {
    addressVariables(name, addr, env);
  }
  return env;
}

/**
 * The discovery tables of the last few address sets and their digests: a control plane renders the
 * same apps again and again, several in turn (each app its own entry).
 */
const discoveries = boundedCache<{ discovery: Readonly<Record<string, string>>; discoveryHash: string }>(16);

/**
 * `discoveryEnv` of `addresses` with the unallocated services', and its content hash: the same ones
 * again when the addresses are the same (their JSON: ~3 variables of each service, built, sorted and
 * hashed, are most of a warm render of a large app's discovery). Frozen: every render shares it.
 */
function discoveryOf(
  addresses: Record<string, ServiceAddress>,
  spec: AppSpec,
  unallocated: readonly string[] | undefined,
): { discovery: Record<string, string>; discoveryHash: string } {
  if (unallocated && unallocated.length > 0) {
    const discovery = withUnallocated(discoveryEnv(addresses), spec, unallocated);
    return { discovery, discoveryHash: contentHash(discovery) };
  }
  const key = JSON.stringify(addresses);
  let found = discoveries.get(key);
  if (!found) {
    const discovery = Object.freeze(discoveryEnv(addresses));
    found = discoveries.set(key, { discovery, discoveryHash: contentHash(discovery) });
  }
  return { discovery: found.discovery as Record<string, string>, discoveryHash: found.discoveryHash };
}

interface Field {
  value: string;
  masked: string;
  hashed: string;
  secret: boolean;
}

export { runKindOf } from './renderWorkloadParts.js';

/** Renders a release; throws one ValidationError listing every unresolved variable. */
export function renderRelease(given: RenderInput): RenderResult {
  // A secret read by many services (a database password) is digested once per render, not once each.
  const digests = new Map<string, string>();
  const input: RenderInput = {
    ...given,
    digestSecret: (plain) => {
      let d = digests.get(plain);
      if (d === undefined) digests.set(plain, (d = given.digestSecret(plain)));
      return d;
    },
  };
  const { spec } = input;
  const lookupMap = resolveVariables(spec, { config: input.config.values, environment: input.environment.defaults });
  const problems: Problem[] = unresolvedVariables(spec, lookupMap, { file: input.file, positionOf: input.positionOf });
  if (problems.length > 0) {
    throw new ValidationError(
      `${problems.length} variable${problems.length === 1 ? '' : 's'} of ${spec.name} have no value in environment ${input.environment.name}`,
      problems,
    );
  }

  if (input.environment.target?.kind === 'local') {
    const udp = localPortProblems(spec, input.file, input.positionOf);
    if (udp.length > 0) throw new ValidationError(`${spec.name} has ports one machine cannot serve`, udp);
  }

  const services: Record<string, RenderedService> = {};
  const states: Record<string, ServiceState> = {};
  const target = input.environment.target;
  const { containers, problems: runProblems } = containerServices(spec, {
    // Only an environment on this machine runs containers of its own; a render without a target
    // (Kubernetes objects, Helm export) or for a cluster runs images there.
    local: target?.kind === 'local',
    mode: target?.containers,
    env: input.environment.name,
    file: input.file,
    positionOf: input.positionOf,
  });
  if (runProblems.length > 0)
    throw new ValidationError(`${spec.name} has services that cannot run in ${input.environment.name}`, runProblems);
  const registries = resolveRegistries(spec, (v) => ownGet(lookupMap, v));
  // What a memoized service also depends on: the credentials (as a keyed digest, never in clear).
  const registriesKey = registries.size > 0 ? input.digestSecret(JSON.stringify([...registries.values()])) : '';
  // Every service's address, once: stored once per release and hashed once, not per service
  // (an app of n services has 3n discovery variables; per service that would be O(n²)).
  const { discovery, discoveryHash } = discoveryOf(input.addresses, spec, input.unallocated);
  // Containers reach the other services at another host (ServiceAddress.containerHost).
  const inside = containers.size > 0 && hasContainerHosts(input.addresses);
  const containerDiscovery = inside
    ? withUnallocated(discoveryEnv(containerAddresses(input.addresses)), spec, input.unallocated)
    : discovery;
  const containerDiscoveryHash = inside ? contentHash(containerDiscovery) : discoveryHash;
  const fileProblems: Problem[] = [];
  input.memo?.beginRender();
  const memoContext = input.memo
    ? ServiceRenderMemo.contextKey({
        app: spec.name,
        env: input.environment.name,
        file: input.file,
        discoveryHash,
        discoveryApart: input.discoveryApart === true,
      })
    : '';
  for (const name of Object.keys(spec.services).sort()) {
    const svc = spec.services[name]!;
    const own = discoveryNames(name, discoveryPorts(svc));
    const container = containers.has(name);
    const seen = container ? containerDiscovery : discovery;
    const lookup = (v: string): { value: string; secret: boolean } | undefined =>
      ownGet(lookupMap, v) ?? (hasOwnKey(seen, v) && !own.includes(v) ? { value: seen[v]!, secret: false } : undefined);
    const run: ServiceRun = {
      container,
      pullsImage: container || target?.kind !== 'local',
      // A cluster pulls every service's image: a built one runs by its pushed digest (`image@digest`).
      digest: container || target?.kind !== 'local' ? ownGet(input.images, name) : undefined,
      code: !container && target?.kind === 'local' ? ownGet(input.codes?.digests, name) : undefined,
      discoveryHash: container ? containerDiscoveryHash : discoveryHash,
      registries,
    };
    const key = input.memo?.keyOf(
      name,
      svc,
      lookup,
      input.config.files,
      `${memoContext}${ownGet(input.restarts, name) ?? ''}|${container ? `c${run.discoveryHash}` : ''}|${run.digest ?? ''}|${run.code ?? ''}|${registriesKey}`,
    );
    const known =
      key === undefined
        ? undefined
        : input.memo!.get(key, { revision: input.revision, configVersion: input.config.version });
    if (known) {
      services[name] = known.rendered;
      states[name] = known.state;
      continue;
    }
    const env = input.discoveryApart ? {} : discoveryFor(name, seen, svc.ports);
    const problemsBefore = fileProblems.length;
    const r = renderService(name, svc, lookup, env, discovery, run, input, fileProblems);
    services[name] = r.rendered;
    states[name] = r.state;
    // A service with a problem is rendered again next time, so the problem is reported again.
    if (key !== undefined && fileProblems.length === problemsBefore) input.memo!.set(key, r);
  }
  if (fileProblems.length > 0)
    throw new ValidationError(
      `${spec.name} uses config files that ${input.environment.name} does not have`,
      fileProblems,
    );

  const levels = dependencyLevels(
    Object.fromEntries(Object.entries(spec.services).map(([n, s]) => [n, { dependsOn: s.dependsOn }])),
  );
  const routes: Route[] = spec.routes.map((r) => ({
    ...(r.host === undefined ? {} : { host: r.host }),
    pathPrefix: r.path,
    service: r.service,
    stripPrefix: r.stripPrefix,
    ...(r.policy ? { policy: r.policy } : {}),
  }));
  const restarts = Object.fromEntries(
    Object.entries(input.restarts ?? {}).filter(([s]) => hasOwnKey(spec.services, s)),
  );
  const images = Object.fromEntries(
    Object.entries(states).flatMap(([n, st]) => (st.workload.imageDigest ? [[n, st.workload.imageDigest]] : [])),
  );
  const codes = Object.fromEntries(
    Object.entries(states).flatMap(([n, st]) => (st.workload.codeDigest ? [[n, st.workload.codeDigest]] : [])),
  );
  const ports = target?.kind === 'local' ? edgeSettings(spec, { ...target, name: input.environment.name }) : undefined;
  // Certificates are files of this machine, read only by renders that use them: the edge's on this
  // machine, and on Kubernetes the Ingress's tls with Secrets made of them.
  const tlsInput = spec.edge?.tls && {
    tls: spec.edge.tls,
    routes,
    file: input.file,
    ...(input.positionOf ? { positionOf: input.positionOf } : {}),
    config: input.config,
    app: spec.name,
    env: input.environment.name,
  };
  const local = target?.kind === 'local';
  const tls = tlsInput && local && input.edgeTls !== false ? resolveEdgeTls(tlsInput) : undefined;
  const ingress = tlsInput && !local ? resolveIngressTls(tlsInput, input.edgeTls !== false) : undefined;
  const tlsProblems = [...(tls?.problems ?? []), ...(ingress?.problems ?? [])];
  if (tlsProblems.length > 0) throw new ValidationError(`the edge TLS of ${spec.name} cannot be set up`, tlsProblems);
  // The runtime gets the certificates and keys, the release their masked view; both carry the same ports.
  const edgeWith = (t: EdgeSettings['tls'], i: EdgeSettings['ingressTls']): EdgeSettings | undefined =>
    tls || i ? { ...ports, ...(t ? { tls: t } : {}), ...(i ? { ingressTls: i } : {}) } : ports;
  const edge = edgeWith(tls?.real, ingress?.real);
  const shownEdge = edgeWith(tls?.shown, ingress?.shown);
  return {
    rendered: {
      app: spec.name,
      env: input.environment.name,
      configVersion: input.config.version,
      levels,
      services,
      routes,
      ...(shownEdge ? { edge: shownEdge } : {}),
      discovery,
      ...(inside ? { containerDiscovery } : {}),
      ...(Object.keys(restarts).length ? { restarts } : {}),
      ...(Object.keys(images).length ? { images } : {}),
      ...(Object.keys(codes).length ? { codes } : {}),
    },
    states,
    ...(edge ? { edge } : {}),
  };
}

/** How one service runs on this render's runtime, as render decided it before rendering the service. */
interface ServiceRun {
  /** Runs as a container on one machine (`Workload.runAs`). */
  container: boolean;
  /** Runs its image: a container here, or any service on a cluster (whose pods pull with the registry's credentials). */
  pullsImage: boolean;
  /** The digest its image resolved to (`Workload.imageDigest`), when known. */
  digest: string | undefined;
  /** The code snapshot it runs (`Workload.codeDigest`), when pinned: a process service with a `cwd` on this machine. */
  code: string | undefined;
  /** The digest of the discovery table the service sees (its hash changes with the addresses). */
  discoveryHash: string;
  registries: Map<string, ResolvedRegistry>;
}

function renderService(
  name: string,
  svc: ServiceSpec,
  lookup: (v: string) => { value: string; secret: boolean } | undefined,
  /** The runtime's env so far: the other services' discovery variables, unless they are kept apart. */
  env: Record<string, string>,
  discovery: Record<string, string>,
  run: ServiceRun,
  input: RenderInput,
  missingFiles: Problem[],
): { rendered: RenderedService; state: ServiceState } {
  const sources: Record<string, string[]> = {};
  const secretDigests: Record<string, string> = {};
  const field = (path: string, template: string): Field => {
    const r = interpolate(template, lookup);
    const used = [...new Set(variablesIn(template))].sort();
    if (used.length > 0) sources[path] = used;
    if (!r.secret) return { value: r.value, masked: r.value, hashed: r.value, secret: false };
    const digest = input.digestSecret(r.value);
    secretDigests[path] = digest;
    return { value: r.value, masked: r.masked, hashed: `secret:${digest}`, secret: true };
  };

  // The runtime gets the other services' addresses in the environment (or beside it); the stored
  // (masked) view and the hash refer to the release's discovery table instead of repeating it.
  const maskedEnv: Record<string, string> = {};
  const hashedEnv: Record<string, string> = {};
  for (const [k, template] of Object.entries(svc.env).sort(([a], [b]) => compareText(a, b))) {
    const f = field(`env.${k}`, template);
    setOwn(env, k, f.value);
    setOwn(maskedEnv, k, f.masked);
    setOwn(hashedEnv, k, f.hashed);
  }
  const files = svc.files.map((file, i) => {
    const path = `files.${file.path}`;
    if (file.fromConfig === undefined) {
      const f = field(path, file.content ?? '');
      // Resolved per replica by the runtime; a config set's file is taken as it is.
      return { path: file.path, f, ...(usesReplicaValues(file.content ?? '') ? { perReplica: true as const } : {}) };
    }
    const stored = ownGet(input.config.files, file.fromConfig);
    if (!stored) {
      missingFiles.push({
        file: input.file,
        ...(input.positionOf?.(['services', name, 'files', i, 'fromConfig']) ?? {}),
        path: `services.${name}.files.${i}.fromConfig`,
        message: `the config set of ${input.spec.name} in ${input.environment.name} (version ${input.config.version}) has no file ${file.fromConfig}; add it with \`berth config set --file ${file.fromConfig}=LOCAL_FILE\``,
      });
      return { path: file.path, f: { value: '', masked: '', hashed: '', secret: false } };
    }
    // The plan names the config file as the cause when it changes.
    sources[path] = [configKeyOf({ kind: 'file', key: file.fromConfig })];
    if (!stored.secret)
      return {
        path: file.path,
        f: { value: stored.content, masked: stored.content, hashed: stored.content, secret: false },
      };
    const digest = input.digestSecret(stored.content);
    secretDigests[path] = digest;
    return { path: file.path, f: { value: stored.content, masked: MASK, hashed: `secret:${digest}`, secret: true } };
  });
  const command = svc.command?.map((arg, i) => field(`command.${i}`, arg));
  const entrypoint = svc.entrypoint?.map((arg, i) => field(`entrypoint.${i}`, arg));
  const cwd = svc.cwd === undefined ? undefined : field('cwd', svc.cwd);
  // A cwd that starts with a variable is relative until rendered: anchor it at the berth.yaml folder.
  if (cwd && !isAbsolute(cwd.value)) {
    const dir = dirname(input.file);
    cwd.value = resolve(dir, cwd.value);
    cwd.masked = resolve(dir, cwd.masked);
    if (!cwd.secret) cwd.hashed = cwd.value;
  }
  const image = svc.image === undefined ? undefined : field('image', svc.image);

  const base = {
    // Only what is set: a process service renders (and hashes) as it did before containers.
    ...(run.container ? { runAs: 'container' as const } : {}),
    ...(svc.imagePullPolicy ? { imagePullPolicy: svc.imagePullPolicy } : {}),
    ...(run.digest ? { imageDigest: run.digest } : {}),
    ...(run.code && cwd ? { codeDigest: run.code } : {}),
    ports: svc.ports,
    ...(svc.volumes.length > 0 ? { volumes: svc.volumes.map((m) => volumeMount(m, input.spec)) } : {}),
    ...(svc.stopSignal ? { stopSignal: svc.stopSignal } : {}),
    ...(svc.health.readiness ? { readiness: svc.health.readiness } : {}),
    ...(svc.health.liveness ? { liveness: svc.health.liveness } : {}),
    resources: svc.resources,
    terminationGracePeriodMs: svc.terminationGracePeriodMs,
  };
  const view = (pick: (f: Field) => string): Workload => ({
    ...(command ? { command: command.map(pick) } : {}),
    ...(entrypoint ? { entrypoint: entrypoint.map(pick) } : {}),
    ...(cwd ? { cwd: pick(cwd) } : {}),
    ...(image ? { image: pick(image) } : {}),
    ...base,
    env: {},
    files: files.map(({ path, f, perReplica }, i) => ({
      path,
      content: pick(f),
      secret: f.secret,
      ...(perReplica ? { perReplica } : {}),
      // Only when set, so the hashes of files without one stay as they were.
      ...(svc.files[i]!.mountPath === undefined ? {} : { mountPath: svc.files[i]!.mountPath }),
    })),
  });
  // Replicas run in the pinned snapshot's tree; the stored view and the hash keep the service's folder.
  const tree = run.code && cwd && input.codes ? input.codes.treeOf(run.code) : undefined;
  const real: Workload = { ...view((f) => f.value), ...(tree ? { cwd: tree } : {}), env };
  const masked: Workload = { ...view((f) => f.masked), env: maskedEnv };
  const restartedAt = ownGet(input.restarts, name);
  const hash = workloadHash(svc, {
    ...view((f) => f.hashed),
    env: hashedEnv,
    discovery: run.discoveryHash,
    restartedAt,
  });
  // Whatever pulls the image uses them: the engine here for a container, a cluster's nodes through an
  // imagePullSecret. Credentials are never in the hash: a new password moves no replica.
  const registry = image && run.pullsImage ? registryFor(image.value, run.registries) : undefined;

  const runKind = runKindOf(svc);
  const common = {
    ...(runKind ? { run: runKind } : {}),
    replicas: svc.replicas,
    rollout: svc.rollout,
    restart: svc.restart,
    ...(svc.policy ? { policy: svc.policy } : {}),
  };
  return {
    rendered: {
      service: name,
      hash,
      dependsOn: [...svc.dependsOn].sort(),
      workload: masked,
      sources,
      secretDigests,
      ...(restartedAt ? { restartedAt } : {}),
      ...(svc.strategy.type === 'rolling' ? {} : { strategy: svc.strategy }),
      ...(registry ? { registry: registry.shown } : {}),
      ...common,
    },
    state: {
      app: input.spec.name,
      env: input.environment.name,
      service: name,
      revision: input.revision,
      configVersion: input.config.version,
      hash,
      workload: real,
      ...common,
      ...(input.discoveryApart ? { discovery } : {}),
      ...(registry ? { registryAuth: registry.real } : {}),
    },
  };
}
