/**
 * Server-side apply as the fake API server does it, after the real one: each field manager owns the
 * fields it set (recorded in `metadata.managedFields` as FieldsV1); an apply that changes a field
 * another manager owns is a 409 Conflict unless forced (then ownership moves); a field a manager no
 * longer applies is removed unless another manager owns it; defaults fill what nobody set; and
 * immutable fields (a Deployment's or StatefulSet's selector, a Job's pod template) refuse a change
 * with 422 Invalid. Lists are atomic here (owned whole), which the real server does for lists
 * without merge keys only: close enough for Berth, which owns its containers whole.
 */
import { canonical, type FakeObject } from './fakeCluster.js';

/** An error the server answers with a Kubernetes Status. */
export class HttpError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly causes: { reason: string; message: string; field: string }[];
  constructor(
    status: number,
    reason: string,
    message: string,
    causes: { reason: string; message: string; field: string }[] = [],
  ) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.causes = causes;
  }
}

type Json = Record<string, unknown>;
type Path = string[];

interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Json;
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const key = (p: Path): string => JSON.stringify(p);
const unkey = (k: string): Path => JSON.parse(k) as Path;
/** `.spec.replicas`, as the real server names a field in a conflict. */
export const fieldText = (p: Path): string => p.map((s) => `.${s}`).join('');

/** The metadata fields an apply sets (and owns); the others are the server's. */
const APPLIED_METADATA = ['labels', 'annotations', 'ownerReferences'];

/** The leaf fields of an object (lists are leaves), without identity and server-set metadata. */
function leaves(o: Json, prefix: Path = [], out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (prefix.length === 0 && (k === 'apiVersion' || k === 'kind' || k === 'status')) continue;
    if (prefix.length === 1 && prefix[0] === 'metadata' && !APPLIED_METADATA.includes(k)) continue;
    const p = [...prefix, k];
    if (isObject(v) && Object.keys(v).length > 0) leaves(v, p, out);
    else out.set(key(p), v);
  }
  return out;
}

function getAt(o: unknown, p: Path): unknown {
  let v = o;
  for (const s of p) v = isObject(v) ? v[s] : undefined;
  return v;
}

function setAt(o: Json, p: Path, value: unknown): void {
  let cur = o;
  for (const s of p.slice(0, -1)) {
    if (!isObject(cur[s])) cur[s] = {};
    cur = cur[s] as Json;
  }
  cur[p[p.length - 1]!] = structuredClone(value);
}

/** Removes a field and the objects it leaves empty. */
function deleteAt(o: Json, p: Path): void {
  const parents: Json[] = [o];
  let cur: unknown = o;
  for (const s of p.slice(0, -1)) {
    cur = isObject(cur) ? cur[s] : undefined;
    if (!isObject(cur)) return;
    parents.push(cur);
  }
  Reflect.deleteProperty(parents[parents.length - 1]!, p[p.length - 1]!);
  for (let i = parents.length - 1; i > 0; i--)
    if (Object.keys(parents[i]!).length === 0) Reflect.deleteProperty(parents[i - 1]!, p[i - 1]!);
}

/** FieldsV1 (`{"f:spec":{"f:replicas":{}}}`) of a set of paths, and back. */
function toFieldsV1(paths: Iterable<string>): Json {
  const root: Json = {};
  for (const k of paths) {
    let cur = root;
    for (const s of unkey(k)) cur = (cur[`f:${s}`] ??= {}) as Json;
  }
  return root;
}
function fromFieldsV1(f: Json, prefix: Path = [], out = new Set<string>()): Set<string> {
  for (const [k, v] of Object.entries(f)) {
    const p = [...prefix, k.slice(2)];
    if (isObject(v) && Object.keys(v).length > 0) fromFieldsV1(v, p, out);
    else out.add(key(p));
  }
  return out;
}

const related = (a: string, b: string): boolean => {
  const pa = unkey(a);
  const pb = unkey(b);
  const n = Math.min(pa.length, pb.length);
  return pa.slice(0, n).every((s, i) => s === pb[i]);
};

/** Who owns what in an object (manager → paths), from its managedFields. */
function ownership(o: FakeObject | undefined): Map<string, { entry: ManagedEntry; paths: Set<string> }> {
  const out = new Map<string, { entry: ManagedEntry; paths: Set<string> }>();
  for (const e of (o?.metadata.managedFields as ManagedEntry[] | undefined) ?? [])
    out.set(`${e.manager}|${e.operation}`, { entry: e, paths: fromFieldsV1(e.fieldsV1) });
  return out;
}

/** What a client may set: the object without server-set metadata and status. */
function content(o: FakeObject | undefined): Json {
  if (!o) return {};
  const { status: _s, metadata, ...rest } = structuredClone(o);
  return {
    ...rest,
    metadata: {
      ...(metadata.labels ? { labels: metadata.labels } : {}),
      ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
      ...(metadata.ownerReferences ? { ownerReferences: metadata.ownerReferences } : {}),
    },
  };
}

const POD_DEFAULTS: [Path, unknown][] = [
  [['dnsPolicy'], 'ClusterFirst'],
  [['schedulerName'], 'default-scheduler'],
  [['securityContext'], {}],
];

function podTemplateDefaults(o: Json, at: Path, restartPolicy: string | undefined): void {
  const spec = getAt(o, [...at, 'spec']);
  if (!isObject(spec)) return;
  for (const [p, v] of POD_DEFAULTS) if (getAt(spec, p) === undefined) setAt(spec, p, v);
  if (restartPolicy && spec.restartPolicy === undefined) spec.restartPolicy = restartPolicy;
  spec.terminationGracePeriodSeconds ??= 30;
  for (const c of (spec.containers as Json[] | undefined) ?? []) {
    const image = typeof c.image === 'string' ? c.image : '';
    c.imagePullPolicy ??= image.endsWith(':latest') || !/:[^/]+$/.test(image) ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
  }
}

/** The API server's defaults of the kinds Berth applies (a subset: what shows in a read-back). */
export function applyDefaults(kind: string, o: Json): void {
  const spec = isObject(o.spec) ? o.spec : undefined;
  switch (kind) {
    case 'Deployment':
      if (!spec) return;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      podTemplateDefaults(o, ['spec', 'template'], 'Always');
      return;
    case 'StatefulSet':
      if (!spec) return;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.podManagementPolicy ??= 'OrderedReady';
      podTemplateDefaults(o, ['spec', 'template'], 'Always');
      return;
    case 'DaemonSet':
      if (!spec) return;
      spec.revisionHistoryLimit ??= 10;
      podTemplateDefaults(o, ['spec', 'template'], 'Always');
      return;
    case 'Job':
      if (!spec) return;
      spec.completions ??= 1;
      spec.parallelism ??= 1;
      spec.backoffLimit ??= 6;
      podTemplateDefaults(o, ['spec', 'template'], undefined);
      return;
    case 'Service':
      if (!spec) return;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      for (const p of (spec.ports as Json[] | undefined) ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      return;
  }
}

/** Fields that cannot change once the object exists, per kind. */
const IMMUTABLE: Record<string, Path[]> = {
  Deployment: [['spec', 'selector']],
  StatefulSet: [['spec', 'selector']],
  DaemonSet: [['spec', 'selector']],
  Job: [['spec', 'template']],
};

function checkImmutable(kind: string, name: string, group: string, before: Json, after: Json): void {
  for (const p of Object.hasOwn(IMMUTABLE, kind) ? IMMUTABLE[kind]! : []) {
    if (canonical(getAt(before, p)) === canonical(getAt(after, p))) continue;
    const field = p.join('.');
    const message = `${kind}.${group} "${name}" is invalid: ${field}: Invalid value: ${JSON.stringify(getAt(after, p))}: field is immutable`;
    throw new HttpError(422, 'Invalid', message, [{ reason: 'FieldValueInvalid', message, field }]);
  }
}

const SELECTING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

/** A workload whose selector does not match its own pod template's labels is invalid (422), as on a real server. */
function checkSelectorMatchesTemplate(kind: string, name: string, group: string, o: Json): void {
  if (!SELECTING.has(kind)) return;
  const matchLabels = getAt(o, ['spec', 'selector', 'matchLabels']) as Record<string, string> | undefined;
  const labels = (getAt(o, ['spec', 'template', 'metadata', 'labels']) ?? {}) as Record<string, string>;
  if (!matchLabels || Object.entries(matchLabels).every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v))
    return;
  const field = 'spec.template.metadata.labels';
  const message = `${kind}.${group} "${name}" is invalid: ${field}: Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``;
  throw new HttpError(422, 'Invalid', message, [{ reason: 'FieldValueInvalid', message, field }]);
}

const group = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** The object after `manager` applies `applied` over `old` (see the file comment); throws HttpError. */
export function serverSideApply(
  old: FakeObject | undefined,
  applied: FakeObject,
  o: { manager: string; force: boolean; time: string },
): FakeObject {
  const owners = ownership(old);
  const current = content(old);
  const mine = `${o.manager}|Apply`;
  const fields = leaves(content(applied));
  const conflicts: { manager: string; path: string }[] = [];
  for (const [p, v] of fields)
    for (const [id, e] of owners) {
      if (id === mine) continue;
      for (const q of e.paths)
        if (related(p, q) && canonical(getAt(current, unkey(p))) !== canonical(v))
          conflicts.push({ manager: e.entry.manager, path: q });
    }
  if (conflicts.length > 0 && !o.force) {
    const causes = conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}": ${fieldText(unkey(c.path))}`,
      field: fieldText(unkey(c.path)),
    }));
    throw new HttpError(
      409,
      'Conflict',
      `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${causes.map((c) => c.message).join('; ')}`,
      causes,
    );
  }
  for (const c of conflicts) for (const e of owners.values()) if (e.entry.manager === c.manager) e.paths.delete(c.path);
  const result = structuredClone(current);
  const others = [...owners].filter(([id]) => id !== mine).flatMap(([, e]) => [...e.paths]);
  for (const q of owners.get(mine)?.paths ?? [])
    if (!fields.has(q) && !others.some((x) => related(x, q))) deleteAt(result, unkey(q));
  for (const [p, v] of fields) setAt(result, unkey(p), v);
  applyDefaults(applied.kind, result);
  checkSelectorMatchesTemplate(applied.kind, applied.metadata.name, group(applied.apiVersion), result);
  if (old) {
    const before = content(old);
    applyDefaults(applied.kind, before);
    checkImmutable(applied.kind, applied.metadata.name, group(applied.apiVersion), before, result);
  }
  owners.set(mine, {
    entry: {
      manager: o.manager,
      operation: 'Apply',
      apiVersion: applied.apiVersion,
      time: o.time,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
    },
    paths: new Set(fields.keys()),
  });
  return withOwners(old, applied, result, owners);
}

/**
 * A change by another client (an Update: a controller scaling, `kubectl edit`): it sets `values`
 * (dotted paths) and takes their ownership from every other manager, as the real server does.
 */
export function serverSideUpdate(
  old: FakeObject,
  values: Record<string, unknown>,
  o: { manager: string; time: string },
): FakeObject {
  const owners = ownership(old);
  const result = content(old);
  const id = `${o.manager}|Update`;
  const taken = Object.keys(values).map((d) => key(d.split('.')));
  for (const [k, v] of Object.entries(values)) setAt(result, k.split('.'), v);
  for (const e of owners.values()) for (const t of taken) e.paths.delete(t);
  const mineBefore = owners.get(id)?.paths ?? new Set<string>();
  owners.set(id, {
    entry: {
      manager: o.manager,
      operation: 'Update',
      apiVersion: old.apiVersion,
      time: o.time,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
    },
    paths: new Set([...mineBefore, ...taken]),
  });
  return withOwners(old, old, result, owners);
}

function withOwners(
  old: FakeObject | undefined,
  id: FakeObject,
  result: Json,
  owners: Map<string, { entry: ManagedEntry; paths: Set<string> }>,
): FakeObject {
  const meta = (result.metadata ?? {}) as Json;
  const managedFields = [...owners.values()]
    .filter((e) => e.paths.size > 0)
    .map((e) => ({ ...e.entry, fieldsV1: toFieldsV1(e.paths) }));
  const next = {
    ...result,
    apiVersion: id.apiVersion,
    kind: id.kind,
    metadata: {
      name: id.metadata.name,
      ...(id.metadata.namespace ? { namespace: id.metadata.namespace } : {}),
      ...(meta.labels ? { labels: meta.labels } : {}),
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
      ...(meta.ownerReferences ? { ownerReferences: meta.ownerReferences } : {}),
      managedFields,
    },
  } as FakeObject;
  if ('spec' in next) {
    const prevGen = (old?.metadata.generation as number | undefined) ?? 0;
    next.metadata.generation = old && canonical(old.spec) === canonical(next.spec) ? prevGen : prevGen + 1;
  }
  if (old?.status) next.status = old.status;
  return next;
}
