/**
 * The control plane's render path, run once at start on a small built-in app, off the request path:
 * the first render a user asks for otherwise pays for compiling the parser, the release render, the
 * manifest builders, the YAML printer and the Kubernetes schema checks (V8 compiles a function the
 * first time it runs; zod builds its fast parsers on first use): ~0.5 s for 200 services, against
 * ~0.1 s once warm (docs/benchmarks.md, render). Nothing it makes is kept: its parser and memos are
 * its own, so it changes no render's answer, only how soon the first one comes.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SpecParser } from '../spec/specParser.js';
import { ServiceRenderMemo } from '../release/serviceMemo.js';
import { kubernetesRelease } from '../export/kubernetesRelease.js';
import { ManifestMemo } from '../runtime/kubernetes/manifests/manifestMemo.js';
import { withSpecPositions } from '../runtime/kubernetes/specPositions.js';

/** A small app with every kind of service and the fields a render reads most. */
export const WARM_UP_SPEC = `name: berth-warm-up
variables:
  LOG_LEVEL: info
  TAG: "1.0.0"
  DB_PASSWORD: { secret: true, default: warm-up-only }
services:
  store:
    image: registry.example/store:\${TAG}
    stateful: true
    ports: [{ name: data, port: 7000 }]
    replicas: 3
    health: { readiness: { exec: { command: [store, ping] }, period: 5s } }
    env: { STORE_KEY: "\${DB_PASSWORD}" }
    resources: { limits: { memory: 1Gi }, requests: { memory: 256Mi, cpu: 250m } }
  api:
    image: registry.example/api:\${TAG}
    dependsOn: [store]
    ports: [8080, { name: metrics, port: 9090 }]
    replicas: 2
    env:
      UPSTREAM: "\${WEB_URL:-none}/api"
      STORE: store://\${DB_PASSWORD}@\${STORE_HOST}:\${STORE_PORT}
      LOG_LEVEL: \${LOG_LEVEL}
    files:
      - { path: app.conf, content: "level=\${LOG_LEVEL}\\n" }
    health:
      readiness: { http: { path: /healthz }, period: 2s }
      liveness: { tcp: {} }
    resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 512Mi } }
    autoscale: { min: 2, max: 8, cpu: 70% }
  web:
    image: registry.example/web:\${TAG}
    ports: [3000]
    env: { API: "\${API_URL}/v1" }
    health:
      readiness: { http: { path: / } }
  agent:
    image: registry.example/agent:2
    placement: perNode
    ports: [9100]
  migrate:
    image: registry.example/api:\${TAG}
    kind: job
    env: { STORE: "\${STORE_HOST}" }
  report:
    image: registry.example/report:1
    kind: cronjob
    schedule: "0 3 * * *"
routes:
  - { path: /api, service: api, stripPrefix: true }
  - { path: /, service: web }
`;

/**
 * How many times the warm-up renders its app: once compiles the code; V8 optimizes a function after it
 * has run a while, so a few more renders (a few ms each) make the first real one run optimized code.
 */
export const WARM_UP_RENDERS = 12;

/**
 * Renders WARM_UP_SPEC WARM_UP_RENDERS times, one render per turn of the event loop, so a request that
 * comes meanwhile waits for one small render at most.
 */
export async function warmUpRenders(digestSecret: (s: string) => string): Promise<void> {
  for (let i = 0; i < WARM_UP_RENDERS; i++) {
    warmUpRender(digestSecret);
    await nextTurn();
  }
}

/** Renders WARM_UP_SPEC the way the render service does (YAML, secrets masked); returns its documents. */
export function warmUpRender(digestSecret: (s: string) => string): string[] {
  const loaded = new SpecParser().parse(WARM_UP_SPEC, '/berth-warm-up/berth.yaml');
  const { manifest } = kubernetesRelease({
    loaded,
    environment: { name: 'local', defaults: {} },
    config: { version: 0, values: {}, files: {} },
    revision: 0,
    digestSecret,
    memo: new ServiceRenderMemo(),
    options: { namespace: 'berth-warm-up', secrets: 'masked' },
  });
  return withSpecPositions(loaded, () => new ManifestMemo().render(manifest)).documents;
}
