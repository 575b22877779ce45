/**
 * The exact set of API calls Berth makes, recorded by the fake API server over a full life cycle,
 * checked against the table in docs/kubernetes.md and against the rules of deploy/rbac.yaml.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { LogLine, RuntimeEvent } from '../../model/observation.js';
import type { ServiceShape } from './manifests/contract.js';
import { callsTable, distinctCalls, type ApiCall } from './testing/apiCalls.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';
import { buildRequest } from './build/testing.js';

const root = new URL('../../../', import.meta.url);
const app = 'shop';
const env = 'prod';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

describe('API calls and RBAC', () => {
  let h: KubeHarness;
  let calls: ApiCall[];
  let secretWhere: { configMap: string; secret: string };
  beforeAll(async () => {
    // Watches end every 150 ms and pods take 400 ms: the rollout watch must re-read and re-watch.
    h = await startHarness({ podReadyDelayMs: 400, watchTimeoutMs: 150 });
    // Every shape Berth renders, and a secret value, so every kind is applied, watched and deleted.
    const shapes: Record<string, ServiceShape> = {
      web: {
        kind: 'service',
        stateful: false,
        placement: 'replicated',
        autoscale: { min: 2, max: 3, cpuPercent: 80 },
        progressive: {},
      },
      db: { kind: 'service', stateful: true, placement: 'replicated' },
      agent: { kind: 'service', stateful: false, placement: 'perNode' },
      migrate: { kind: 'job', stateful: false, placement: 'replicated' },
      report: { kind: 'cronjob', schedule: '0 3 * * *', stateful: false, placement: 'replicated' },
    };
    const rt = h.open({
      describeService: async (s) => ({
        ...(shapes[s.service] ? { shape: shapes[s.service] } : {}),
        ...(s.service === 'api' ? { secretDigests: { 'env.TOKEN': 'digest-of-token' } } : {}),
      }),
    });
    const o = { signal: AbortSignal.timeout(20_000), onEvent: (_e: RuntimeEvent) => undefined };
    await rt.addresses(app, env, [{ name: 'web' }, { name: 'api' }]);
    const web = testState({ app, env, service: 'web', replicas: 2, hash: 'a1' });
    web.workload.resources = { cpuRequestMillis: 100 };
    await rt.converge(web, o);
    const api = testState({ app, env, service: 'api', replicas: 1, hash: 'a1' });
    api.workload.env.TOKEN = 's3cret';
    api.workload.volumes = [{ volume: 'uploads', path: '/srv/uploads', readOnly: false }];
    await rt.converge(api, o);
    secretWhere = {
      configMap: JSON.stringify(h.server.get('v1', 'ConfigMap', 'berth-test', 'api-config') ?? {}),
      secret: JSON.stringify(h.server.get('v1', 'Secret', 'berth-test', 'api-secret') ?? {}),
    };
    for (const service of ['db', 'agent', 'migrate', 'report'])
      await rt.converge(testState({ app, env, service, replicas: 1, hash: 'a1' }), o);
    // A canary of web beside its stable track, its traffic split by an HTTPRoute.
    await rt.applyRoutes({ app, env, routes: [{ pathPrefix: '/', service: 'web', stripPrefix: false }] }, o);
    await rt.converge(
      {
        ...web,
        canary: {
          revision: 2,
          configVersion: 1,
          hash: 'c3',
          replicas: 1,
          workload: { ...web.workload, image: 'registry.example/web:c3' },
        },
        traffic: { canaryWeight: 20 },
      },
      o,
    );
    await rt.converge(
      {
        ...testState({ app, env, service: 'web', replicas: 1, hash: 'b2', revision: 2 }),
        workload: { ...web.workload, image: 'registry.example/web:b2' },
      },
      o,
    );
    await rt.applyRoutes(
      {
        app,
        env,
        routes: [
          { pathPrefix: '/', service: 'web', stripPrefix: false },
          { pathPrefix: '/api', service: 'api', stripPrefix: false },
        ],
      },
      o,
    );
    await rt.observe(app, env);
    const lines: LogLine[] = [];
    for await (const l of rt.logs({ app, env }, { follow: false, tail: 10 })) lines.push(l);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    for await (const l of rt.logs({ app, env, service: 'web' }, { follow: true, signal: ac.signal })) lines.push(l);
    // An image built in the cluster: the Kaniko Job, its registry Secret, its pod's log (build/).
    h.server.controllers.jobs.scriptFor = (j) =>
      j.metadata.labels?.['berth.dev/build'] ? { lines: ['built'], message: `sha256:${'0'.repeat(64)}` } : undefined;
    await rt.buildImage!(buildRequest({ app, env }), { onLog: () => undefined });
    await h.open().applyRoutes({ app, env, routes: [] }, o);
    await rt.remove(app, env, 'api');
    await rt.remove(app, env);
    calls = distinctCalls(h.server.requests);
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  it('applied every kind, with secret values in the Secret only', () => {
    const kinds = new Set(h.server.requests.filter((r) => r.method === 'PATCH').map((r) => r.path.split('/').at(-2)));
    expect([...kinds].sort()).toEqual([
      'configmaps',
      'cronjobs',
      'daemonsets',
      'deployments',
      'horizontalpodautoscalers',
      'httproutes',
      'ingresses',
      'jobs',
      'persistentvolumeclaims',
      'poddisruptionbudgets',
      'secrets',
      'services',
      'statefulsets',
    ]);
    expect(secretWhere.configMap).not.toContain('s3cret');
    expect(secretWhere.configMap).not.toContain(Buffer.from('s3cret').toString('base64'));
    expect(secretWhere.secret).toMatch(new RegExp(`s3cret|${Buffer.from('s3cret').toString('base64')}`));
  });

  it('only applies with server-side apply as field manager berth, never forced, and deletes only by name after a labelled list', () => {
    const patches = h.server.requests.filter((r) => r.method === 'PATCH');
    expect(patches.length).toBeGreaterThan(0);
    expect(
      patches.every(
        (r) =>
          r.contentType === 'application/apply-patch+yaml' &&
          r.query.fieldManager === 'berth' &&
          r.query.force !== 'true',
      ),
    ).toBe(true);
    const lists = h.server.requests.filter(
      (r) => r.method === 'GET' && r.query.labelSelector && r.query.watch !== 'true',
    );
    // By the app's labels, or (the inventory and the ownership check) every object Berth manages.
    expect(lists.every((r) => /app\.kubernetes\.io\/(part-of|name|managed-by)=/.test(r.query.labelSelector!))).toBe(
      true,
    );
    expect(calls.map((c) => c.verb)).not.toContain('deletecollection');
    expect(calls.map((c) => c.verb)).not.toContain('update');
  });

  it('matches the table of API calls in docs/kubernetes.md', async () => {
    const doc = await readFile(new URL('docs/kubernetes.md', root), 'utf8');
    const section = /<!-- api-calls:start -->\n([\s\S]*?)\n<!-- api-calls:end -->/.exec(doc)?.[1];
    expect(section, 'docs/kubernetes.md needs an api-calls section').toBeDefined();
    // Compared cell by cell: a Markdown formatter may pad the columns.
    const cells = (t: string): string[][] =>
      t
        .trim()
        .split('\n')
        .map((line) => line.split('|').map((c) => c.trim().replace(/^-+$/, '---')));
    expect(cells(section!)).toEqual(cells(callsTable(calls)));
  });

  it('needs only permissions that deploy/rbac.yaml grants', async () => {
    const docs = parseAllDocuments(await readFile(new URL('deploy/rbac.yaml', root), 'utf8')).map(
      (d) => d.toJSON() as { kind: string; rules?: Rule[] },
    );
    const rules = docs.filter((d) => d.kind === 'Role' || d.kind === 'ClusterRole').flatMap((d) => d.rules ?? []);
    const granted = (c: ApiCall): boolean =>
      rules.some((r) =>
        c.group === undefined
          ? (r.nonResourceURLs ?? []).some(
              (u) => u === c.path || (u.endsWith('*') && c.path.startsWith(u.slice(0, -1))),
            ) && r.verbs.includes('get')
          : (r.apiGroups ?? []).includes(c.group) &&
            (r.resources ?? []).includes(c.resource) &&
            r.verbs.includes(c.verb),
      );
    const missing = calls.filter((c) => !granted(c)).map((c) => `${c.verb} ${c.group ?? ''}/${c.resource}`);
    expect(missing).toEqual([]);
    // And nothing beyond what is used: every granted verb × resource is a recorded call.
    const used = new Set(calls.filter((c) => c.group !== undefined).map((c) => `${c.group}|${c.resource}|${c.verb}`));
    const extra = rules
      .filter((r) => !r.nonResourceURLs)
      .flatMap((r) =>
        (r.apiGroups ?? []).flatMap((g) =>
          (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}|${res}|${v}`)),
        ),
      )
      .filter((k) => !used.has(k));
    expect(extra).toEqual([]);
  });
});
