/**
 * A real gateway serving a tiny traced shop for tests: an edge route /orders to orders, whose replica
 * (a relay) calls inventory's address forwarding `traceparent`, as a service that traces does.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { freePort, startTestGateway, type TestGateway } from '../../src/gateway/testing.js';

export interface TracedShop {
  t: TestGateway;
  edgePort: number;
  close(): Promise<void>;
}

/** `env` names the environment of the keys (`shop/<env>/orders`); `upstream` the inventory replica's name. */
export async function startTracedShop(env: string, upstream: string): Promise<TracedShop> {
  const t = await startTestGateway({ drainTimeoutMs: 1_000 });
  const inventory = await t.upstream(upstream);
  const [ordersPort, inventoryPort, edgePort] = [await freePort(), await freePort(), await freePort()];
  const relay = createServer((req, res) => {
    const tp = req.headers.traceparent;
    request(`http://127.0.0.1:${inventoryPort}/stock`, { headers: typeof tp === 'string' ? { traceparent: tp } : {} })
      .then((r) => r.body.text())
      .then(
        (text) => res.end(text),
        (err: Error) => res.end(err.message),
      );
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  await t.apply({
    services: [
      {
        key: `shop/${env}/orders`,
        port: ordersPort,
        backends: [{ id: 'o', host: '127.0.0.1', port: (relay.address() as AddressInfo).port }],
      },
      {
        key: `shop/${env}/inventory`,
        port: inventoryPort,
        backends: [{ id: 'i', host: '127.0.0.1', port: inventory.port }],
      },
    ],
    edges: [
      {
        key: `shop/${env}`,
        port: edgePort,
        routes: [{ pathPrefix: '/orders', target: `shop/${env}/orders`, stripPrefix: false }],
      },
    ],
  });
  return {
    t,
    edgePort,
    async close() {
      relay.closeAllConnections();
      relay.close();
      await t.close();
    },
  };
}
