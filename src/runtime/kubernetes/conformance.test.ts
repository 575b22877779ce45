/**
 * The kit against the Kubernetes runtime over the in-test API server. Its pods run nothing, so what is
 * served is read from the objects (ServingView `objects`): the Ingress's routes, the HTTPRoute's
 * weights, the ready pods a Service selects; a volume is its claim.
 */
import type { Route } from '../../model/routing.js';
import { runtimeConformance } from '../conformance/kit.js';
import { ANNOTATION, LABEL, type ServiceShape } from './manifests/contract.js';
import { STRIP_PREFIX_ANNOTATION } from './manifests/ingress.js';
import type { FakeObject } from './testing/fakeCluster.js';
import { startHarness, testState } from './testing/harness.js';

const NS = 'berth-test';
const GW = 'gateway.networking.k8s.io/v1';
const progressiveShape: ServiceShape = { kind: 'service', stateful: false, placement: 'replicated', progressive: {} };

const isReady = (p: FakeObject): boolean =>
  ((p.status?.conditions ?? []) as { type: string; status: string }[]).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );
const hashOf = (p: FakeObject): string => p.metadata.annotations?.[ANNOTATION.hash] ?? '';

// The kit asks for addresses by name only (no declared port), so before a Service exists the
// runtime assumes port 80 (DEFAULT_SERVICE_PORT); the states here listen on 80 so the address is the
// same before and after the first deploy. The engine passes each service's declared port.
runtimeConformance('kubernetes', async () => {
  const h = await startHarness();
  // Services the kit releases progressively: the server describes them so from berth.yaml's strategy.
  const progressive = new Set<string>();
  const open = () =>
    h.open({ describeService: async (s) => (progressive.has(s.service) ? { shape: progressiveShape } : {}) });
  const first = open();
  let last = first;
  const pods = (app: string, env: string): FakeObject[] =>
    h.server.list('v1', 'Pod', NS, `${LABEL.partOf}=${app},${LABEL.env}=${env}`);
  return {
    runtime: first,
    makeState: (o) => {
      if (o.progressive) progressive.add(o.service);
      const s = testState(o);
      // Its pods run but never pass their readiness probe.
      if (o.ready === false) h.server.controllers.imageModes.set(s.workload.image!, 'unready');
      if (!o.volume) return s;
      return { ...s, workload: { ...s.workload, volumes: [{ volume: o.volume, path: '/data', readOnly: false }] } };
    },
    newInstance: async () => (last = open()),
    running: async (app, env) => pods(app, env).map(hashOf).sort(),
    serving: {
      kind: 'objects',
      routes: async (app) => {
        const ingress = h.server.get('networking.k8s.io/v1', 'Ingress', NS, app);
        if (!ingress) return [];
        const strip = (ingress.metadata.annotations?.[STRIP_PREFIX_ANNOTATION] ?? '').split(',');
        type Rule = { host?: string; http: { paths: { path: string; backend: { service: { name: string } } }[] } };
        return ((ingress.spec as { rules: Rule[] }).rules ?? []).flatMap((r) =>
          r.http.paths.map((p): Route => ({
            ...(r.host ? { host: r.host } : {}),
            pathPrefix: p.path,
            service: p.backend.service.name,
            stripPrefix: strip.includes(`${r.host ?? ''}${p.path}`),
          })),
        );
      },
      weights: async (_app, _env, service) => {
        const rules = (h.server.get(GW, 'HTTPRoute', NS, service)?.spec as {
          rules: { backendRefs: { name: string; weight?: number }[] }[];
        }) ?? { rules: [] };
        const refs = rules.rules.at(-1)?.backendRefs ?? [];
        const weight = (name: string) => refs.find((b) => b.name === name)?.weight ?? 0;
        return { stable: weight(`${service}-stable`), canary: weight(`${service}-canary`) };
      },
      endpoints: async (app, env, service) => {
        const selector = (h.server.get('v1', 'Service', NS, service)?.spec as { selector?: Record<string, string> })
          ?.selector;
        if (!selector) return [];
        return pods(app, env)
          .filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v) && isReady(p))
          .map(hashOf)
          .sort();
      },
    },
    volume: async (app, _env, service, volume) => {
      const claim = h.server.get('v1', 'PersistentVolumeClaim', NS, `${app}-${volume}`);
      if (!claim) return undefined;
      const template = (h.server.get('apps/v1', 'Deployment', NS, service)?.spec as {
        template: { spec: { volumes?: { persistentVolumeClaim?: { claimName: string } }[] } };
      }) ?? { template: { spec: {} } };
      const mounted = (template.template.spec.volumes ?? []).some(
        (v) => v.persistentVolumeClaim?.claimName === claim.metadata.name,
      );
      return { kind: 'claim', id: claim.metadata.uid as string, mounted };
    },
    teardown: async () => {
      await last.remove('conform', 'test').catch(() => undefined);
      await h.close();
    },
  };
});
