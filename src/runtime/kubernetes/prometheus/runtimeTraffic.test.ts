/**
 * The Kubernetes runtime's traffic() with and without a Prometheus: absent without one (releases
 * then say analysis cannot run); with one it queries each track of a service that runs tracks
 * (a progressive one), and answers nothing — without a query — for a service known to run without
 * tracks, whose requests the router does not tell apart (no zero counters in /metrics for it).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceShape } from '../manifests/contract.js';
import { startHarness, testState, type KubeHarness } from '../testing/harness.js';

const canaryShape: ServiceShape = { kind: 'service', stateful: false, placement: 'replicated', progressive: {} };
const plainShape: ServiceShape = { kind: 'service', stateful: false, placement: 'replicated' };
const opts = () => ({ signal: AbortSignal.timeout(20_000), onEvent: () => {} });

describe('the Kubernetes runtime reads traffic from Prometheus', () => {
  let prom: Server;
  let url: string;
  const queries: string[] = [];
  let h: KubeHarness;

  beforeAll(async () => {
    // A Prometheus API that answers every instant query with one sample: 7.
    prom = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        queries.push(new URLSearchParams(body).get('query') ?? '');
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'success',
            data: {
              resultType: 'vector',
              result: [{ metric: { status: '200', response_code: '200' }, value: [0, '7'] }],
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => prom.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(prom.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => prom.close(resolve));
  });
  beforeEach(async () => {
    h = await startHarness();
    queries.length = 0;
  });
  afterEach(async () => {
    await h.close();
  });

  it('has no traffic() without a Prometheus', () => {
    expect(h.open().traffic).toBeUndefined();
  });

  it("queries both tracks of a progressive service in the environment's namespace, for its router", async () => {
    const rt = h.open({
      prometheus: { url },
      trafficRouter: 'ingressNginx',
      describeService: async () => ({ shape: canaryShape }),
    });
    await rt.converge(testState({ app: 'shop', env: 'prod', service: 'web', replicas: 1, hash: 'a1' }), opts());
    const tracks = await rt.traffic!('shop', 'prod', 'web');
    expect(tracks.map((t) => [t.track, t.requests])).toEqual([
      ['stable', 7],
      ['canary', 7],
    ]);
    expect(queries).toContain(
      'sum by (status) (nginx_ingress_controller_requests{namespace="berth-test",service="web-stable",canary!=""})',
    );
  });

  it('answers no tracks, asking nothing, for a service that runs without tracks', async () => {
    const rt = h.open({ prometheus: { url }, describeService: async () => ({ shape: plainShape }) });
    await rt.converge(testState({ app: 'shop', env: 'prod', service: 'db', replicas: 1, hash: 'a1' }), opts());
    expect(await rt.traffic!('shop', 'prod', 'db')).toEqual([]);
    expect(queries).toEqual([]);
  });
});
