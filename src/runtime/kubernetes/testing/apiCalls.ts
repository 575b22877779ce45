/**
 * Recorded API requests → the Kubernetes API calls and RBAC permissions they need: the source of the
 * table in docs/kubernetes.md and of the check that deploy/rbac.yaml grants every one.
 */
import type { RecordedRequest } from './fakeApiServer.js';

/** One kind of API call, as RBAC sees it. */
export interface ApiCall {
  method: string;
  /** Path with `{namespace}` and `{name}` placeholders. */
  path: string;
  /** Query parameters that matter (watch, apply parameters), for the docs. */
  notes: string;
  /** RBAC verb, or `get` on a non-resource URL for discovery. */
  verb: string;
  /** API group ('' for core); undefined for non-resource URLs. */
  group?: string;
  /** `deployments`, `pods/log`, ...; the URL itself for non-resource URLs. */
  resource: string;
}

/** Classifies one request. */
export function apiCallOf(r: RecordedRequest): ApiCall {
  const seg = r.path.split('/').filter((s) => s !== '');
  const gvLength = seg[0] === 'api' ? 2 : 3;
  if (seg.length <= gvLength)
    return { method: r.method, path: r.path, notes: 'discovery', verb: 'get', resource: r.path };
  const group = seg[0] === 'api' ? '' : seg[1]!;
  const gvPath = `/${seg.slice(0, gvLength).join('/')}`;
  let rest = seg.slice(gvLength);
  let prefix = gvPath;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    prefix += '/namespaces/{namespace}';
    rest = rest.slice(2);
  }
  const [plural, name, sub] = rest as [string, string | undefined, string | undefined];
  const path = `${prefix}/${plural}${name === undefined ? '' : '/{name}'}${sub ? `/${sub}` : ''}`;
  const watch = r.query.watch === 'true';
  const verb =
    r.method === 'GET'
      ? watch
        ? 'watch'
        : name === undefined
          ? 'list'
          : 'get'
      : r.method === 'PATCH'
        ? 'patch'
        : r.method === 'POST'
          ? 'create'
          : r.method === 'DELETE'
            ? 'delete'
            : r.method.toLowerCase();
  const notes = [
    watch ? 'watch=true' : '',
    r.method === 'PATCH'
      ? `${r.contentType ?? ''}, fieldManager=${r.query.fieldManager ?? ''}, force=${r.query.force ?? ''}`
      : '',
    sub === 'log' ? `follow, timestamps=true, tailLines, sinceTime` : '',
    r.query.labelSelector && !watch ? 'labelSelector' : '',
    r.query.fieldSelector ? `fieldSelector=${r.query.fieldSelector.split('=')[0]}` : '',
    r.query.limit ? `limit=${r.query.limit}` : '',
  ]
    .filter((x) => x !== '')
    .join('; ');
  return { method: r.method, path, notes, verb, group, resource: sub ? `${plural}/${sub}` : plural };
}

/** The distinct calls of a request log, sorted by path then method. */
export function distinctCalls(requests: RecordedRequest[]): ApiCall[] {
  const byKey = new Map<string, ApiCall>();
  for (const r of requests) {
    const c = apiCallOf(r);
    const key = `${c.method} ${c.path} ${c.verb}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, c);
    else if (c.notes.length > seen.notes.length) byKey.set(key, c);
  }
  return [...byKey.values()].sort((a, b) => a.path.localeCompare(b.path) || a.verb.localeCompare(b.verb));
}

/** The markdown table of docs/kubernetes.md. */
export function callsTable(calls: ApiCall[]): string {
  const rows = calls.map(
    (c) =>
      `| \`${c.method}\` | \`${c.path}\` | ${c.notes} | ${c.group === undefined ? 'non-resource URL' : `\`${c.verb}\` ${c.group === '' ? '' : `${c.group}/`}${c.resource}`} |`,
  );
  return ['| method | path | parameters | RBAC |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
