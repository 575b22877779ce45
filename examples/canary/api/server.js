// api: answers with its version; ERROR_RATE of its requests get a 500 (a bad version, on purpose).
import { createServer } from 'node:http';

const version = process.env.VERSION ?? '1';
const errorRate = Number(process.env.ERROR_RATE ?? 0);

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok\n');
  }
  const failed = Math.random() < errorRate;
  res.writeHead(failed ? 500 : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ version, replica: process.env.BERTH_REPLICA, ok: !failed }));
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () =>
  process.stdout.write(`api version ${version} listening on ${process.env.PORT}\n`),
);
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
