/**
 * The object store of the fake API server: typed resources, global resource versions, label and
 * field selectors, and a change history that watches replay from a resource version.
 */
import { randomUUID } from 'node:crypto';
import type { KubernetesObject } from '../manifests/contract.js';

/** A stored object; `spec`/`status` are left loose because the fake serves many kinds. */
export type FakeObject = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** One resource type the fake serves, as discovery describes it. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Every kind the fake serves: the kinds Berth renders (HTTPRoute included), plus Pod and Event. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, verbs: RW },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, verbs: RW },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, verbs: RW },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, verbs: RW },
  {
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    namespaced: true,
    verbs: RW,
  },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, verbs: RW },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, verbs: RW },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, verbs: RW },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, verbs: RW },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, verbs: RW },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, verbs: RW },
  { group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true, verbs: RW },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', namespaced: true, verbs: RW },
  {
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
    verbs: RW,
  },
  {
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    namespaced: true,
    verbs: RW,
  },
  // The Gateway API's CRD, served like the built-in kinds (a real cluster has it once the CRDs are installed).
  {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    kind: 'HTTPRoute',
    plural: 'httproutes',
    namespaced: true,
    verbs: RW,
  },
];

/** `v1` or `group/version`. */
export function groupVersion(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** The resource type of an apiVersion + kind, if the fake serves it. */
export function typeOfKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => groupVersion(t) === apiVersion && t.kind === kind);
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: FakeObject;
}

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

type Requirement = { key: string; op: 'exists' | '!exists' } | { key: string; op: 'in' | 'notin'; values: string[] };

/** Parses a label selector (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`). */
export function parseLabelSelector(selector: string): Requirement[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const out: Requirement[] = [];
  for (const raw of parts.map((p) => p.trim()).filter((p) => p !== '')) {
    const set = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(raw);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim());
      out.push({ key: set[1]!, op: set[2] as 'in' | 'notin', values });
      continue;
    }
    const ne = /^([^!=]+)!=(.*)$/.exec(raw);
    if (ne) {
      out.push({ key: ne[1]!.trim(), op: 'notin', values: [ne[2]!.trim()] });
      continue;
    }
    const eq = /^([^!=]+)==?(.*)$/.exec(raw);
    if (eq) {
      out.push({ key: eq[1]!.trim(), op: 'in', values: [eq[2]!.trim()] });
      continue;
    }
    if (raw.startsWith('!')) out.push({ key: raw.slice(1).trim(), op: '!exists' });
    else out.push({ key: raw, op: 'exists' });
  }
  return out;
}

/** Whether labels satisfy a label selector. */
export function matchesLabels(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  return parseLabelSelector(selector).every((r) => {
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        return v !== undefined;
      case '!exists':
        return v === undefined;
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
    }
  });
}

/** Whether an object satisfies a field selector (`a.b=c`, `a!=c`, comma-separated). */
export function matchesFields(obj: unknown, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = /^([^!=]+)(!=|==?)(.*)$/.exec(term.trim());
    if (!m) return false;
    let v: unknown = obj;
    for (const k of m[1]!.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    const value = v === undefined || v === null ? '' : String(v as string);
    return m[2] === '!=' ? value !== m[3] : value === m[3];
  });
}

/** Stable JSON (sorted keys) for change detection. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

type Listener = (t: ResourceType, e: WatchEvent) => void;

/** In-memory objects with Kubernetes' resource-version and watch semantics. */
export class FakeCluster {
  private rv = 1;
  private readonly objects = new Map<string, FakeObject>();
  private readonly history: { rv: number; type: ResourceType; event: WatchEvent }[] = [];
  private readonly listeners = new Set<Listener>();
  /** Watches from before this resource version are refused (410 Gone), as after etcd compaction. */
  private compactedRv = 0;

  /** The current (latest) resource version. */
  resourceVersion(): string {
    return String(this.rv);
  }

  private key(t: ResourceType, ns: string | undefined, name: string): string {
    return `${groupVersion(t)}/${t.plural}|${t.namespaced ? (ns ?? '') : ''}|${name}`;
  }

  get(t: ResourceType, ns: string | undefined, name: string): FakeObject | undefined {
    const o = this.objects.get(this.key(t, ns, name));
    return o ? structuredClone(o) : undefined;
  }

  list(t: ResourceType, ns: string | undefined, sel: Selectors = {}): FakeObject[] {
    const out: FakeObject[] = [];
    for (const o of this.objects.values()) {
      if (o.kind !== t.kind || o.apiVersion !== groupVersion(t)) continue;
      if (t.namespaced && ns !== undefined && o.metadata.namespace !== ns) continue;
      if (!matchesLabels(o.metadata.labels, sel.labelSelector) || !matchesFields(o, sel.fieldSelector)) continue;
      out.push(structuredClone(o));
    }
    return out.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  /** Creates or replaces an object, stamping uid/creationTimestamp/resourceVersion; emits a watch event. */
  put(t: ResourceType, obj: FakeObject): FakeObject {
    const key = this.key(t, obj.metadata.namespace, obj.metadata.name);
    const old = this.objects.get(key);
    const stored: FakeObject = structuredClone({ ...obj, apiVersion: groupVersion(t), kind: t.kind });
    if (!t.namespaced) delete stored.metadata.namespace;
    stored.metadata.uid = old?.metadata.uid ?? randomUUID();
    stored.metadata.creationTimestamp = old?.metadata.creationTimestamp ?? new Date().toISOString();
    stored.metadata.resourceVersion = String(++this.rv);
    this.objects.set(key, stored);
    this.emit(t, { type: old ? 'MODIFIED' : 'ADDED', object: stored });
    return structuredClone(stored);
  }

  delete(t: ResourceType, ns: string | undefined, name: string): FakeObject | undefined {
    const key = this.key(t, ns, name);
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.objects.delete(key);
    const gone = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.emit(t, { type: 'DELETED', object: gone });
    return structuredClone(gone);
  }

  private emit(t: ResourceType, event: WatchEvent): void {
    this.history.push({ rv: this.rv, type: t, event });
    for (const l of this.listeners) l(t, event);
  }

  /** Forgets the change history, as etcd compaction does: watches from an older version get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  /** Whether a watch from `fromRv` can no longer be served (its history is compacted). */
  expired(fromRv: string | undefined): boolean {
    return fromRv !== undefined && fromRv !== '' && fromRv !== '0' && Number(fromRv) < this.compactedRv;
  }

  /** Subscribes to changes of one type (and namespace, selectors); replays history after `fromRv`. */
  watch(
    t: ResourceType,
    ns: string | undefined,
    sel: Selectors,
    fromRv: string | undefined,
    send: (e: WatchEvent) => void,
  ): () => void {
    const matches = (o: FakeObject): boolean =>
      o.kind === t.kind &&
      (!t.namespaced || ns === undefined || o.metadata.namespace === ns) &&
      matchesLabels(o.metadata.labels, sel.labelSelector) &&
      matchesFields(o, sel.fieldSelector);
    if (fromRv === undefined || fromRv === '' || fromRv === '0') {
      for (const o of this.list(t, ns, sel)) send({ type: 'ADDED', object: o });
    } else {
      const from = Number(fromRv);
      for (const h of this.history)
        if (h.rv > from && h.type === t && matches(h.event.object)) send(structuredClone(h.event));
    }
    const l: Listener = (type, e) => {
      if (type === t && matches(e.object)) send(structuredClone(e));
    };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Subscribes to every change (the fake controllers react to these). */
  onChange(l: Listener): void {
    this.listeners.add(l);
  }
}
