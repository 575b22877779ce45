// A small HTTP service for Berth's end-to-end tests and benchmarks. It listens on $PORT and
// answers `GET /` with who it is; `/healthz` is its readiness check. Knobs (environment):
//   VERSION            echoed back, so a test can see which release served a request
//   READY_AFTER_MS     /healthz answers 503 until this long after start (a slow start-up)
//   RESPONSE_DELAY_MS  every answer but /healthz waits this long (requests in flight during a stop)
//   ON_SIGTERM         `exit` (default: die at once, as a careless app does) or `drain`
//                      (stop accepting, finish in-flight requests, then exit)
import { createServer } from 'node:http';

const startedAt = Date.now();
const readyAfterMs = Number(process.env.READY_AFTER_MS ?? 0);
const delayMs = Number(process.env.RESPONSE_DELAY_MS ?? 0);
const body = (extra) =>
  JSON.stringify({
    replica: process.env.BERTH_REPLICA,
    version: process.env.VERSION ?? '',
    pid: process.pid,
    ...extra,
  });

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.statusCode = Date.now() - startedAt >= readyAfterMs ? 200 : 503;
    res.end();
    return;
  }
  const reply = () => {
    res.setHeader('content-type', 'application/json');
    res.end(body({ url: req.url }));
  };
  if (delayMs > 0) setTimeout(reply, delayMs);
  else reply();
});
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1');

process.on('SIGTERM', () => {
  if (process.env.ON_SIGTERM !== 'drain') process.exit(0);
  server.close(() => process.exit(0));
});
