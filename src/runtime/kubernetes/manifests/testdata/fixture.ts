/** A berth.yaml using every shape the renderer knows, rendered the way the engine does. */
import { parseSpec } from '../../../../spec/load.js';
import { kubernetesRelease } from '../../../../export/kubernetesRelease.js';
import type { ManifestOptions } from '../contract.js';
import { createHmac } from 'node:crypto';

export const FIXTURE_FILE = '/apps/shop/berth.yaml';
export const FIXTURE_TEXT = `name: shop
variables:
  LOG_LEVEL: info
  GREETING: { default: hello }
  DB_PASSWORD: { secret: true }
  TAG: "1.4.2"
services:
  db:
    image: postgres:16
    stateful: true
    replicas: 3
    ports: [{ name: pg, port: 5432 }]
    env: { POSTGRES_PASSWORD: "\${DB_PASSWORD}" }
    health:
      readiness: { exec: { command: pg_isready }, period: 5s }
    resources: { requests: { cpu: 250m, memory: 256Mi }, limits: { cpu: "1", memory: 1Gi } }
    terminationGracePeriod: 60s
  api:
    image: shop/api:\${TAG}
    replicas: 2
    dependsOn: [db]
    ports: [8080, { name: metrics, port: 9090 }]
    env:
      LOG_LEVEL: \${LOG_LEVEL}
      DSN: postgres://app:\${DB_PASSWORD}@\${DB_HOST}:\${DB_PORT}/shop
      GREETING: "\${GREETING:-hi} from \${REGION:-eu}"
    files:
      - { path: app.conf, content: "greeting=\${GREETING}\\n" }
      - { path: keys/db.pass, content: "\${DB_PASSWORD}" }
    health:
      readiness: { http: { path: /healthz }, period: 2s, timeout: 500ms }
      liveness: { tcp: {}, initialDelay: 10s }
    resources: { requests: { cpu: 100m, memory: 128M } }
    rollout: { maxSurge: 1, maxUnavailable: 0, progressDeadline: 5m }
    autoscale: { min: 2, max: 10, cpu: 70%, requestsPerSecond: 50 }
  web:
    image: shop/web:1.0
    ports: [3000]
    env: { API: "\${API_URL}/v1" }
    health:
      readiness: { http: { path: / } }
  agent:
    image: shop/agent:2
    placement: perNode
    ports: [{ port: 9100 }]
    terminationGracePeriod: 4s
  migrate:
    image: shop/api:\${TAG}
    kind: job
    env: { DB: "\${DB_HOST}" }
  report:
    image: shop/report:1
    kind: cronjob
    schedule: "0 3 * * *"
routes:
  - { path: /api, service: api, stripPrefix: true }
  - { path: /, service: web }
  - { host: admin.shop.example, service: web }
`;

/** A keyed digest like SecretBox.digest, with a fixed test key. */
export const testDigest = (s: string): string => createHmac('sha256', 'test-key').update(s).digest('hex');

/** The fixture rendered as the engine would, ready for `renderManifests`. */
export function fixtureInput(options: Partial<ManifestOptions> = {}, text = FIXTURE_TEXT) {
  const loaded = parseSpec(text, FIXTURE_FILE);
  return kubernetesRelease({
    loaded,
    environment: { name: 'prod', defaults: { REGION: 'us' } },
    config: { version: 7, values: { DB_PASSWORD: { value: 's3cr3t', secret: true } }, files: {} },
    revision: 12,
    digestSecret: testDigest,
    options: { namespace: 'shop-prod', secrets: 'real', ...options },
  });
}
