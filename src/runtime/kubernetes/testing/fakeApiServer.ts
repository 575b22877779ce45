/**
 * An in-test Kubernetes API server on 127.0.0.1: the subset of the API Berth calls (discovery,
 * server-side apply, get/list/watch/delete of the kinds Berth renders plus pods and events, pod
 * logs), bearer-token auth, simulated rollouts (fakeControllers.ts), and a record of every request
 * so tests can assert exactly which calls Berth makes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  canonical,
  FakeCluster,
  groupVersion,
  RESOURCE_TYPES,
  typeOfKind,
  type FakeObject,
  type ResourceType,
} from './fakeCluster.js';
import { FakeControllers, type RolloutMode } from './fakeControllers.js';
import { Faults, type Fault } from './faults.js';
import { HttpError, serverSideApply, serverSideUpdate } from './serverSideApply.js';
import { validateObject } from './schemas.js';

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  contentType?: string;
}

export interface FakeApiServerOptions {
  /** Delay before a new pod is running and ready (default 50 ms). */
  podReadyDelayMs?: number;
  /** Milliseconds per second of a Deployment's progressDeadlineSeconds (default 1000). */
  msPerDeadlineSecond?: number;
  /** Ends every watch after this long, as API servers do (clients must re-watch). Default: never. */
  watchTimeoutMs?: number;
  /** Kinds this cluster does not serve, e.g. `HTTPRoute` for a cluster without the Gateway API CRDs. */
  withoutKinds?: string[];
}

/** A running fake API server. */
export interface FakeApiServer {
  readonly url: string;
  readonly token: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  readonly cluster: FakeCluster;
  readonly controllers: FakeControllers;
  /** Writes a kubeconfig for this server (context `fake` unless named). */
  writeKubeconfig(file: string, opts?: { context?: string; namespace?: string }): Promise<void>;
  /** How pods created from now on behave. */
  setRolloutMode(mode: RolloutMode): void;
  /** Creates or replaces an object directly (not recorded as a request). */
  seed(obj: FakeObject): FakeObject;
  /** One stored object, or undefined. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): FakeObject | undefined;
  /** Stored objects of a kind (all namespaces when `namespace` is undefined). */
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): FakeObject[];
  /** Injects a fault (429, 5xx, connection reset) into the next matching requests. */
  inject(fault: Fault): void;
  /** How many faults were injected so far. */
  readonly injected: number;
  /** Forgets the watch history (etcd compaction): a watch from an older resource version gets 410 Gone. */
  compact(): void;
  /** Removes an object's finalizers, as their controller does: an object marked for deletion then goes. */
  finalize(apiVersion: string, kind: string, namespace: string, name: string): void;
  /**
   * A change by another client than Berth (an Update by `manager`: the HPA's scale, `kubectl edit`):
   * sets the dotted paths and takes their ownership.
   */
  update(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
    values: Record<string, unknown>,
    manager: string,
  ): FakeObject;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const statusBody = (code: number, reason: string, message: string, causes: HttpError['causes'] = []): unknown => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: code < 400 ? 'Success' : 'Failure',
  message,
  reason,
  ...(causes.length > 0 ? { details: { causes } } : {}),
  code,
});

/** What an apply can change: everything but server-set metadata and status. */
const content = (o: FakeObject): string => {
  const { metadata, status: _status, ...rest } = o;
  const owners = ((metadata.managedFields as { manager: string; operation: string; fieldsV1: unknown }[]) ?? []).map(
    (e) => [e.manager, e.operation, e.fieldsV1],
  );
  const { labels, annotations, ownerReferences } = metadata;
  return canonical({ rest, labels, annotations, ownerReferences, owners });
};

/** Kubernetes time with nanoseconds, as the kubelet writes log timestamps. */
const nanoTime = (iso: string): string => iso.replace(/\.(\d{3})Z$/, '.$1000000Z');

/** Starts a fake API server on an ephemeral 127.0.0.1 port. */
export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const token = randomBytes(16).toString('hex');
  const cluster = new FakeCluster();
  const controllers = new FakeControllers(cluster, {
    podReadyDelayMs: opts.podReadyDelayMs ?? 50,
    msPerDeadlineSecond: opts.msPerDeadlineSecond ?? 1000,
  });
  const requests: RecordedRequest[] = [];
  const faults = new Faults();
  const streams = new Set<ServerResponse>();
  const nsType = typeOfKind('v1', 'Namespace')!;
  const served = RESOURCE_TYPES.filter((t) => !(opts.withoutKinds ?? []).includes(t.kind));

  const send = (res: ServerResponse, code: number, body: unknown): void => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const discovery = (segments: string[]): unknown => {
    if (segments.length === 1 && segments[0] === 'api') return { kind: 'APIVersions', versions: ['v1'] };
    if (segments.length === 1) {
      const groups = [...new Set(served.filter((t) => t.group !== '').map((t) => groupVersion(t)))];
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map((gv) => {
          const [name, version] = gv.split('/') as [string, string];
          const v = { groupVersion: gv, version };
          return { name, versions: [v], preferredVersion: v };
        }),
      };
    }
    const gv = segments[0] === 'api' ? segments[1]! : `${segments[1]}/${segments[2]}`;
    const types = served.filter((t) => groupVersion(t) === gv);
    if (types.length === 0) throw new HttpError(404, 'NotFound', `the server could not find the requested resource`);
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv,
      resources: [
        ...types.map((t) => ({
          name: t.plural,
          singularName: t.kind.toLowerCase(),
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: t.verbs,
        })),
        ...(gv === 'v1' ? [{ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] }] : []),
      ],
    };
  };

  const requireNamespace = (ns: string | undefined): void => {
    if (ns !== undefined && !cluster.get(nsType, undefined, ns))
      throw new HttpError(404, 'NotFound', `namespaces "${ns}" not found`);
  };

  const apply = (
    t: ResourceType,
    ns: string | undefined,
    name: string,
    body: string,
    q: Record<string, string>,
  ): FakeObject => {
    if (!q.fieldManager) throw new HttpError(400, 'BadRequest', 'fieldManager is required for apply requests');
    const applied = parseYaml(body) as FakeObject;
    if (applied.kind !== t.kind || applied.apiVersion !== groupVersion(t))
      throw new HttpError(
        400,
        'BadRequest',
        `apply of ${applied.apiVersion}/${applied.kind} to the ${t.plural} endpoint`,
      );
    if (applied.metadata.name !== name)
      throw new HttpError(400, 'BadRequest', 'the name of the object does not match the URL');
    requireNamespace(ns);
    const old = cluster.get(t, ns, name);
    const next = serverSideApply(
      old,
      { ...applied, metadata: { ...applied.metadata, ...(ns ? { namespace: ns } : {}) } },
      { manager: q.fieldManager, force: q.force === 'true', time: new Date().toISOString() },
    );
    validateObject(next);
    // A no-op apply leaves the object alone (no new resourceVersion, no watch event).
    if (old && content(old) === content(next)) return old;
    return cluster.put(t, next);
  };

  const streamLog = (
    req: IncomingMessage,
    res: ServerResponse,
    ns: string,
    pod: string,
    q: Record<string, string>,
  ): void => {
    const podType = typeOfKind('v1', 'Pod')!;
    const p = cluster.get(podType, ns, pod);
    if (!p) throw new HttpError(404, 'NotFound', `pods "${pod}" not found`);
    const containers = ((p.spec?.containers ?? []) as { name: string }[]).map((c) => c.name);
    if (q.container ? !containers.includes(q.container) : containers.length !== 1)
      throw new HttpError(
        400,
        'BadRequest',
        `a container name must be specified for pod ${pod}, choose one of: [${containers.join(' ')}]`,
      );
    // As the kubelet: no log before the container first started; a follow ends when the container did.
    const statuses = (p.status?.containerStatuses ?? []) as { name: string; state?: Json; lastState?: Json }[];
    const status = statuses.find((c) => c.name === (q.container ?? containers[0]));
    if (status?.state?.waiting && !status.lastState?.terminated)
      throw new HttpError(400, 'BadRequest', `container "${status.name}" in pod "${pod}" is waiting to start`);
    const since = q.sinceTime
      ? Date.parse(q.sinceTime)
      : q.sinceSeconds
        ? Date.now() - Number(q.sinceSeconds) * 1000
        : 0;
    const fmt = (l: { time: string; line: string }): string =>
      `${q.timestamps === 'true' ? `${nanoTime(l.time)} ` : ''}${l.line}\n`;
    let lines = controllers.logOf(ns, pod).filter((l) => Date.parse(l.time) >= since);
    if (q.tailLines) lines = lines.slice(-Number(q.tailLines));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    for (const l of lines) res.write(fmt(l));
    if (q.follow !== 'true' || status?.state?.terminated) {
      res.end();
      return;
    }
    streams.add(res);
    const stop = controllers.follow(ns, pod, (l) => {
      if (l) res.write(fmt(l));
      else res.end();
    });
    const done = (): void => {
      stop();
      streams.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = Object.fromEntries(url.searchParams.entries());
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'];
    requests.push({ method, path: url.pathname, query: q, ...(contentType ? { contentType } : {}) });
    if (req.headers.authorization !== `Bearer ${token}`) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
    const fault = faults.take({ method, path: url.pathname, watch: q.watch === 'true' || q.watch === '1' });
    if (fault?.status === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault) {
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        ...(fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) }),
      });
      res.end(
        JSON.stringify(
          statusBody(fault.status, fault.status === 429 ? 'TooManyRequests' : 'InternalError', 'injected fault'),
        ),
      );
      return;
    }
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    const root = segments[0];
    if (root !== 'api' && root !== 'apis')
      throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    const gvLength = root === 'api' ? 2 : 3;
    if (segments.length <= gvLength && method === 'GET') return send(res, 200, discovery(segments));
    const gv = root === 'api' ? segments[1]! : `${segments[1]}/${segments[2]}`;
    let rest = segments.slice(gvLength);
    let ns: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      ns = rest[1];
      rest = rest.slice(2);
    }
    const t = served.find((x) => groupVersion(x) === gv && x.plural === rest[0]);
    if (!t || (t.namespaced && ns === undefined && rest.length > 1) || rest.length > 3)
      throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    const name = rest[1];
    if (rest[2] === 'log' && t.kind === 'Pod' && method === 'GET') return streamLog(req, res, ns!, name!, q);
    if (rest.length === 3) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    const sel = {
      ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}),
      ...(q.fieldSelector ? { fieldSelector: q.fieldSelector } : {}),
    };

    if (name === undefined) {
      if (method === 'GET' && (q.watch === 'true' || q.watch === '1')) {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders(); // a real API server answers a watch at once, before any event
        streams.add(res);
        if (cluster.expired(q.resourceVersion)) {
          // As the real server: the watch opens, says 410 Expired in an ERROR event, and ends.
          const gone = statusBody(410, 'Expired', `too old resource version: ${q.resourceVersion}`);
          res.end(`${JSON.stringify({ type: 'ERROR', object: gone })}\n`);
          streams.delete(res);
          return;
        }
        const stop = cluster.watch(t, ns, sel, q.resourceVersion, (e) => res.write(`${JSON.stringify(e)}\n`));
        const limitMs = q.timeoutSeconds ? Number(q.timeoutSeconds) * 1000 : opts.watchTimeoutMs;
        const timer = limitMs === undefined ? undefined : setTimeout(() => res.end(), limitMs);
        res.on('close', () => {
          stop();
          clearTimeout(timer);
          streams.delete(res);
        });
        return;
      }
      if (method === 'GET') {
        const items = cluster.list(t, ns, sel).map(({ apiVersion: _a, kind: _k, ...item }) => item);
        const limited = q.limit ? items.slice(0, Number(q.limit)) : items;
        return send(res, 200, {
          apiVersion: groupVersion(t),
          kind: `${t.kind}List`,
          metadata: { resourceVersion: cluster.resourceVersion() },
          items: limited,
        });
      }
      if (method === 'POST') {
        const obj = JSON.parse(await readBody(req)) as FakeObject;
        if (t.namespaced) requireNamespace(ns);
        if (cluster.get(t, ns, obj.metadata.name))
          throw new HttpError(409, 'AlreadyExists', `${t.plural} "${obj.metadata.name}" already exists`);
        const metadata = { ...obj.metadata, ...(ns ? { namespace: ns } : {}) };
        const object = { ...obj, apiVersion: groupVersion(t), kind: t.kind, metadata };
        validateObject(object);
        const created = cluster.put(t, object);
        return send(res, 201, created);
      }
      throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported on ${t.plural}`);
    }

    if (method === 'GET') {
      const o = cluster.get(t, ns, name);
      if (!o) throw new HttpError(404, 'NotFound', `${t.plural} "${name}" not found`);
      return send(res, 200, o);
    }
    if (method === 'PATCH') {
      if (contentType !== 'application/apply-patch+yaml')
        throw new HttpError(
          415,
          'UnsupportedMediaType',
          `the fake server only serves server-side apply, not ${contentType ?? 'no content type'}`,
        );
      const applied = apply(t, ns, name, await readBody(req), q);
      return send(res, 200, applied);
    }
    if (method === 'DELETE') {
      const live = cluster.get(t, ns, name);
      if (!live) throw new HttpError(404, 'NotFound', `${t.plural} "${name}" not found`);
      // An object with finalizers is only marked: it goes once they are removed (`finalize`).
      if (((live.metadata.finalizers as string[] | undefined) ?? []).length > 0) {
        const marked = { ...live, metadata: { ...live.metadata, deletionTimestamp: new Date().toISOString() } };
        return send(res, 202, live.metadata.deletionTimestamp ? live : cluster.put(t, marked));
      }
      return send(res, 200, cluster.delete(t, ns, name));
    }
    throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported on ${t.plural}/${name}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e = err instanceof HttpError ? err : new HttpError(500, 'InternalError', String(err));
      send(res, e.status, statusBody(e.status, e.reason, e.message, e.causes));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    requests,
    cluster,
    controllers,
    async writeKubeconfig(file, o = {}) {
      const context = o.context ?? 'fake';
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: `${context}-cluster`, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: `${context}-user`, user: { token } }],
        contexts: [
          {
            name: context,
            context: {
              cluster: `${context}-cluster`,
              user: `${context}-user`,
              ...(o.namespace ? { namespace: o.namespace } : {}),
            },
          },
        ],
        'current-context': context,
      };
      await writeFile(file, stringifyYaml(config), { mode: 0o600 });
    },
    setRolloutMode(mode) {
      controllers.mode = mode;
    },
    seed(obj) {
      const t = typeOfKind(obj.apiVersion, obj.kind);
      if (!t) throw new Error(`the fake server does not serve ${obj.apiVersion}/${obj.kind}`);
      return cluster.put(t, obj);
    },
    get(apiVersion, kind, namespace, name) {
      const t = typeOfKind(apiVersion, kind);
      return t ? cluster.get(t, namespace, name) : undefined;
    },
    list(apiVersion, kind, namespace, labelSelector) {
      const t = typeOfKind(apiVersion, kind);
      return t ? cluster.list(t, namespace, labelSelector ? { labelSelector } : {}) : [];
    },
    inject(fault) {
      faults.add(fault);
    },
    get injected() {
      return faults.injected;
    },
    compact() {
      cluster.compact();
    },
    finalize(apiVersion, kind, namespace, name) {
      const t = typeOfKind(apiVersion, kind);
      const o = t ? cluster.get(t, namespace, name) : undefined;
      if (!t || !o) throw new Error(`no ${kind} ${namespace}/${name}`);
      if (o.metadata.deletionTimestamp) cluster.delete(t, namespace, name);
      else cluster.put(t, { ...o, metadata: { ...o.metadata, finalizers: [] } });
    },
    update(apiVersion, kind, namespace, name, values, manager) {
      const t = typeOfKind(apiVersion, kind);
      const old = t ? cluster.get(t, namespace, name) : undefined;
      if (!t || !old) throw new Error(`no ${kind} ${namespace}/${name}`);
      return cluster.put(t, serverSideUpdate(old, values, { manager, time: new Date().toISOString() }));
    },
    async close() {
      controllers.close();
      for (const s of streams) s.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
