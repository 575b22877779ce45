// Test fixture: a tiny HTTP service whose behaviour is switched by environment variables.
//   FIXTURE_EXIT_CODE=n        print a line and exit with code n at once
//   FIXTURE_UNHEALTHY_AFTER_MS /healthz answers 500 after this long
//   FIXTURE_READY_AFTER_MS     /healthz answers 503 until this long has passed
//   FIXTURE_HEALTH_STATUS=n    /healthz always answers n
//   FIXTURE_PRINT_LINES=n      print n numbered lines to stdout and n to stderr at start
//   FIXTURE_PRINT_EVERY_MS=n   print a `tick <i>` line every n ms
//   FIXTURE_IGNORE_SIGTERM=1   log SIGTERM and keep running
//   FIXTURE_ALLOCATE_MB=n      allocate and touch n MiB after start
//   FIXTURE_SIGTERM_LOG=path   append `<replica> <epoch ms>` to path on SIGTERM
//   FIXTURE_DEV_STDIO=1        open /dev/stdout and /dev/stderr by path and write a line to each
//   FIXTURE_SIGNAL_LOG=path    append `<replica> <signal>` to path on SIGQUIT, SIGINT or SIGHUP, then exit
// GET /env answers the environment as JSON; GET /config?file=x the file x of $BERTH_CONFIG_DIR.
import { appendFileSync, closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const env = process.env;
const startedAt = Date.now();
const name = env.BERTH_REPLICA ?? 'fixture';

if (env.FIXTURE_EXIT_CODE !== undefined) {
  console.log(`${name} exiting with ${env.FIXTURE_EXIT_CODE}`);
  process.exit(Number(env.FIXTURE_EXIT_CODE));
}

const n = Number(env.FIXTURE_PRINT_LINES ?? 0);
for (let i = 0; i < n; i++) {
  console.log(`out ${i}`);
  console.error(`err ${i}`);
}

if (env.FIXTURE_DEV_STDIO === '1') {
  // What nginx's `access_log /dev/stdout` does; throws ENXIO when stdout is a socket.
  for (const stream of ['stdout', 'stderr']) {
    const fd = openSync(`/dev/${stream}`, 'a');
    writeSync(fd, `${name} wrote to /dev/${stream}\n`);
    closeSync(fd);
  }
}

let hog;
if (env.FIXTURE_ALLOCATE_MB) {
  hog = Buffer.alloc(Number(env.FIXTURE_ALLOCATE_MB) * 1024 * 1024, 1);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/healthz') {
    const age = Date.now() - startedAt;
    let status = Number(env.FIXTURE_HEALTH_STATUS ?? 200);
    if (env.FIXTURE_UNHEALTHY_AFTER_MS && age > Number(env.FIXTURE_UNHEALTHY_AFTER_MS)) status = 500;
    if (env.FIXTURE_READY_AFTER_MS && age < Number(env.FIXTURE_READY_AFTER_MS)) status = 503;
    res.writeHead(status).end(String(status));
    return;
  }
  if (url.pathname === '/env') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(env));
    return;
  }
  if (url.pathname === '/config') {
    try {
      res
        .writeHead(200)
        .end(readFileSync(join(env.BERTH_CONFIG_DIR ?? '.', url.searchParams.get('file') ?? ''), 'utf8'));
    } catch {
      res.writeHead(404).end();
    }
    return;
  }
  res.writeHead(200).end(`hello from ${name}${hog ? ` (${hog.length} bytes held)` : ''}`);
});

server.listen(Number(env.PORT), '127.0.0.1', () => console.log(`${name} listening on ${env.PORT}`));

if (env.FIXTURE_PRINT_EVERY_MS) {
  let i = 0;
  setInterval(() => console.log(`tick ${i++}`), Number(env.FIXTURE_PRINT_EVERY_MS));
}

process.on('SIGTERM', () => {
  if (env.FIXTURE_SIGTERM_LOG) appendFileSync(env.FIXTURE_SIGTERM_LOG, `${name} ${Date.now()}\n`);
  console.log(`${name} got SIGTERM`);
  if (env.FIXTURE_IGNORE_SIGTERM === '1') return;
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 200).unref();
});

for (const signal of ['SIGQUIT', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    if (env.FIXTURE_SIGNAL_LOG) appendFileSync(env.FIXTURE_SIGNAL_LOG, `${name} ${signal}\n`);
    console.log(`${name} got ${signal}`);
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 200).unref();
  });
}
