/**
 * One service's objects applied and watched (the Kubernetes runtime's converge, after it rendered
 * them): workloads whose immutable selector changed are replaced, everything applied with server-side
 * apply, every track's rollout waited for, then the traffic split set, then what the release no longer
 * renders pruned — a canary's objects only once its traffic went back to stable.
 */
import type { ConvergeOptions } from '../runtime.js';
import type { Message } from '../../model/messages.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import { applyObjects } from './apply.js';
import type { KubeClients } from './client.js';
import * as say from './convergeEvents.js';
import type { Inventory } from './inventory.js';
import { kindOf, labelsOf } from './kinds.js';
import { LABEL, type KubernetesObject } from './manifests/contract.js';
import { desiredSplit } from './manifests/trafficContext.js';
import { pruneFrom } from './prune.js';
import { waitForOldPods, watchRollout } from './rollout.js';
import { replaceChangedSelectors } from './selectors.js';

/** What of the runtime an apply uses. */
export interface ApplyContext {
  clients: KubeClients;
  namespace: string;
  fieldManager: string;
  inventory: Inventory;
  /** The inventory key of the release the state belongs to. */
  release: string;
  pollIntervalMs: number;
  now: () => number;
  /** An event of the service being converged. */
  event: (reason: string, m: Message) => RuntimeEvent;
  /** Called once the objects were applied (before their rollouts are waited for). */
  applied: () => void;
}

/** The service's state and the objects rendered for it: its own, and its traffic objects. */
export interface ServiceObjects {
  state: ServiceState;
  objects: KubernetesObject[];
  traffic: KubernetesObject[];
  o: ConvergeOptions;
  signal: AbortSignal;
}

/**
 * Applies a service's objects and waits for every track's rollout, then sets the traffic split, then
 * prunes: the canary's objects go only once its traffic went back to stable.
 */
export async function applyAndWatch(
  rt: ApplyContext,
  { state, objects, traffic, o, signal }: ServiceObjects,
): Promise<void> {
  const ns = rt.namespace;
  const apply = { namespace: ns, fieldManager: rt.fieldManager, service: state.service };
  // Listed before the apply, so what this release applies is recorded on top of it.
  const live = rt.inventory.of(state.app, state.env, rt.release);
  const replaced = await replaceChangedSelectors(rt.clients, ns, objects, await live);
  await rt.inventory.deleted(
    state.app,
    state.env,
    replaced.map((r) => r.object),
  );
  for (const r of replaced) o.onEvent(rt.event('Replaced', say.replacedMessage(r.object, r.why)));
  const applied = await applyObjects(rt.clients, objects, apply);
  rt.applied();
  o.onEvent(rt.event('Applied', say.appliedMessage(applied, ns)));

  const workloads = applied.filter((x) => kindOf(x)?.workload);
  const watchOpts = {
    namespace: ns,
    service: state.service,
    signal,
    onEvent: o.onEvent,
    progressDeadlineMs: state.rollout.progressDeadlineMs,
    pollIntervalMs: rt.pollIntervalMs,
    now: rt.now,
  };
  await Promise.all(workloads.map((w) => watchRollout(rt.clients, w, watchOpts)));
  // Without spec.replicas in what Berth rendered (autoscaled, or a DaemonSet) the count is the
  // controller's to decide, and may change during the rollout: the count the server answered the
  // apply with (the HPA's at that moment) is not a bound.
  const rendered = workloads.map((w) => objects.find((x) => x.kind === w.kind && x.metadata.name === w.metadata.name));
  const replicasOf = (i: number) => (rendered[i]?.spec as { replicas?: number } | undefined)?.replicas;
  const running = await Promise.all(
    workloads.map((w, i) => {
      const replicas = replicasOf(i);
      const canary = w.metadata.labels?.[LABEL.track] === 'canary' && state.canary;
      return waitForOldPods(rt.clients, w, {
        ...watchOpts,
        hash: canary ? canary.hash : state.hash,
        desired: replicas ?? Infinity,
      });
    }),
  );
  if (traffic.length > 0) {
    const routed = await applyObjects(rt.clients, traffic, apply);
    o.onEvent(rt.event('Traffic', say.trafficMessage(desiredSplit(state), routed)));
  }
  await rt.inventory.applied(state.app, state.env, applied);
  const labels = labelsOf(state.app, state.env, state.service);
  const pruned = await pruneFrom(rt.clients, ns, (await live).values(), labels, applied);
  await rt.inventory.deleted(state.app, state.env, pruned);
  if (pruned.length > 0) o.onEvent(rt.event('Pruned', say.prunedMessage(pruned)));
  // An autoscaled track runs what its autoscaler decided: say the live count.
  const count = (track: 'stable' | 'canary', declared: number): number => {
    const i = workloads.findIndex((w) => (w.metadata.labels?.[LABEL.track] ?? 'stable') === track);
    const kind = rendered[i]?.kind;
    const autoscaled = (kind === 'Deployment' || kind === 'StatefulSet') && replicasOf(i) === undefined;
    return autoscaled ? (running[i] ?? declared) : declared;
  };
  const n = count('stable', state.replicas);
  const canary = state.canary && { count: count('canary', state.canary.replicas), hash: state.canary.hash };
  o.onEvent(rt.event('Converged', say.convergedMessage(n, state.hash, canary || undefined)));
}
