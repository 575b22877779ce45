// orders: takes orders and reserves stock from inventory (found through $INVENTORY_URL).
import { createServer } from 'node:http';

const inventoryUrl = process.env.INVENTORY_URL;
const currency = process.env.CURRENCY ?? 'EUR';
const prices = { apple: 0.5, pear: 0.8, plum: 1.2 };
const orders = [];
const log = (level, msg) => process.stdout.write(`${level} ${msg}\n`);

async function readBody(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  return data ? JSON.parse(data) : {};
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  try {
    if (url.pathname === '/healthz') return send(200, { ok: true });
    if (url.pathname === '/api/orders' && req.method === 'GET') {
      return send(200, { orders, currency, replica: process.env.BERTH_REPLICA });
    }
    if (url.pathname === '/api/orders' && req.method === 'POST') {
      const { item, trade } = await readBody(req);
      // traceparent passed on: the reservation is part of the caller's trace.
      const tp = req.headers.traceparent;
      const r = await fetch(`${inventoryUrl}/api/inventory/${encodeURIComponent(item)}/reserve`, {
        method: 'POST',
        headers: typeof tp === 'string' ? { traceparent: tp } : {},
      });
      const body = await r.json();
      if (!r.ok) return send(r.status, body);
      const order = { id: orders.length + 1, item, price: prices[item] ?? 1, currency };
      orders.push(order);
      const traceId = req.headers['x-berth-trace-id'];
      log('info', `order ${order.id}: ${item}${trade ? ` trade ${trade} trace ${traceId ?? '-'}` : ''}`);
      return send(201, order);
    }
    send(404, { error: 'not found' });
  } catch (err) {
    log('error', String(err));
    send(502, { error: String(err) });
  }
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () =>
  log('info', `orders listening on ${process.env.PORT}, inventory at ${inventoryUrl}`),
);
process.on('SIGTERM', () => {
  log('info', 'orders stopping');
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
