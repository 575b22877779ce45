// web: the shop's front page. Shows the greeting (config), the stock and the orders it gets from the other services.
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';

const greeting = process.env.GREETING ?? 'Welcome';
const secret = process.env.SESSION_SECRET ?? '';
const log = (level, msg) => process.stdout.write(`${level} ${msg}\n`);
const escape = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

// Calls to the other services carry the request's traceparent on, so the gateway's spans of this
// request and of the calls it makes are one trace (`berth trace ID`).
const traced = (req) => (typeof req.headers.traceparent === 'string' ? { traceparent: req.headers.traceparent } : {});

async function getJSON(url, req) {
  const r = await fetch(url, { headers: traced(req) });
  return r.json();
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{"ok":true}');
  }
  if (url.pathname === '/api/greeting') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ greeting }));
  }
  try {
    if (url.pathname === '/buy' && req.method === 'POST') {
      // Buys one item through orders (which reserves it at inventory): web → orders → inventory.
      // An optional trade id (?trade=T-1) is logged here and by orders: `berth logs shop --grep T-1` finds both.
      const item = url.searchParams.get('item') ?? '';
      const trade = url.searchParams.get('trade');
      const r = await fetch(`${process.env.ORDERS_URL}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...traced(req) },
        body: JSON.stringify(trade ? { item, trade } : { item }),
      });
      log(
        'info',
        `buy ${item}: ${r.status} trace ${req.headers['x-berth-trace-id'] ?? '-'}${trade ? ` trade ${trade}` : ''}`,
      );
      res.writeHead(r.status, { 'content-type': 'application/json' });
      return res.end(await r.text());
    }
    const [inventory, orders] = await Promise.all([
      getJSON(`${process.env.INVENTORY_URL}/api/inventory`, req),
      getJSON(`${process.env.ORDERS_URL}/api/orders`, req),
    ]);
    const session = createHmac('sha256', secret).update('visitor').digest('hex').slice(0, 16);
    const rows = Object.entries(inventory.items)
      .map(([item, n]) => `<tr><td>${escape(item)}</td><td>${n}</td></tr>`)
      .join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': `session=${session}; HttpOnly` });
    res.end(`<!doctype html><title>shop</title><h1>${escape(greeting)}</h1>
<table><tr><th>item</th><th>stock</th></tr>${rows}</table>
<p>${orders.orders.length} orders so far, priced in ${escape(orders.currency)}.</p>`);
  } catch (err) {
    log('error', String(err));
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`upstream error: ${err}`);
  }
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => log('info', `web listening on ${process.env.PORT}`));
process.on('SIGTERM', () => {
  log('info', 'web stopping');
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
