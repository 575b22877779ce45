/**
 * What the Kubernetes runtime says it did while converging a service (objects applied, replaced,
 * pruned; traffic split; the count it converged to; the edge's routes), as message codes with
 * params (`kube.*`), so the console says it in its language and the CLI prints the same English.
 */
import { message, type Message } from '../../model/messages.js';
import type { TrafficSplit } from '../../model/routing.js';
import { ref } from './kinds.js';
import type { KubernetesObject } from './manifests/contract.js';

/** Items as one list, `a, b, c` (each may itself be a message); '' when there are none. */
export function listOf(items: readonly (string | Message)[]): Message | string {
  if (items.length === 0) return '';
  const [first, ...rest] = items;
  return rest.length === 0
    ? message('kube.item', { item: first! })
    : message('kube.list', { first: first!, rest: listOf(rest) });
}

const refs = (objects: readonly KubernetesObject[]): Message | string => listOf(objects.map(ref));

/** `deleted Deployment/web to apply it anew: <why>`. */
export function replacedMessage(object: KubernetesObject, why: string): Message {
  return message('kube.replaced', { object: ref(object), why });
}

/** `server-side applied <objects> to <namespace>`. */
export function appliedMessage(objects: readonly KubernetesObject[], namespace: string): Message {
  return message('kube.applied', { objects: refs(objects), namespace });
}

/** `canary 20%, stable 80%, header x-canary: yes (<objects>)`. */
export function trafficMessage(split: TrafficSplit, objects: readonly KubernetesObject[]): Message {
  const m = split.match;
  const match = !m
    ? ''
    : 'header' in m
      ? message('kube.matchHeader', { header: m.header, value: m.value })
      : message('kube.matchCookie', { cookie: m.cookie, value: m.value });
  const canary = split.canaryWeight;
  return message('kube.traffic', { canary, stable: 100 - canary, match, objects: refs(objects) });
}

/** `deleted <objects>: no longer rendered`. */
export function prunedMessage(objects: readonly KubernetesObject[]): Message {
  return message('kube.pruned', { objects: refs(objects) });
}

/** `3 replicas of <hash> ready`, with the canary's count when there is one. */
export function convergedMessage(count: number, hash: string, canary?: { count: number; hash: string }): Message {
  return message('kube.converged', {
    count,
    hash,
    canary: canary ? message('kube.convergedCanary', { count: canary.count, hash: canary.hash }) : '',
  });
}

/** `applied Ingress/shop, deleted Secret/shop-tls`: what a routes update did. */
export function routesMessage(
  applied: readonly KubernetesObject[],
  deleted: readonly KubernetesObject[],
): Message | undefined {
  const what = [
    ...applied.map((x) => message('kube.routeApplied', { object: ref(x) })),
    ...deleted.map((x) => message('kube.routeDeleted', { object: ref(x) })),
  ];
  const list = listOf(what);
  return typeof list === 'string' ? undefined : list;
}

/** A workload that keeps the selector an earlier Berth applied (selectors are immutable). */
export function legacySelectorMessage(object: KubernetesObject, legacy: string, current: string): Message {
  return message('kube.legacySelector', { object: ref(object), legacy, current });
}
