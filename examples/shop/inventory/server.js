// inventory: how many of each item are in stock. Reads its catalog from $BERTH_CONFIG_DIR/inventory.json.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const configDir = process.env.BERTH_CONFIG_DIR ?? '.';
const catalog = JSON.parse(readFileSync(join(configDir, 'inventory.json'), 'utf8'));
const stock = { ...catalog.items };
const log = (level, msg) => process.stdout.write(`${level} ${msg}\n`);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/healthz') return send(200, { ok: true });
  if (url.pathname === '/api/inventory' || url.pathname === '/api/inventory/') {
    const low = Object.entries(stock)
      .filter(([, n]) => n < catalog.restockLevel)
      .map(([k]) => k);
    return send(200, { items: stock, restockLevel: catalog.restockLevel, low, replica: process.env.BERTH_REPLICA });
  }
  const reserve = url.pathname.match(/^\/api\/inventory\/([a-z]+)\/reserve$/);
  if (reserve && req.method === 'POST') {
    const item = reserve[1];
    if (!(item in stock)) return send(404, { error: `unknown item ${item}` });
    if (stock[item] <= 0) return send(409, { error: `${item} is out of stock` });
    stock[item] -= 1;
    if (process.env.LOG_LEVEL === 'debug') log('debug', `reserved ${item}, ${stock[item]} left`);
    return send(200, { item, left: stock[item] });
  }
  send(404, { error: 'not found' });
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () =>
  log('info', `inventory listening on ${process.env.PORT}`),
);
process.on('SIGTERM', () => {
  log('info', 'inventory stopping');
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
