/**
 * The images tests run, built once per machine (see containerEngine.ts). Each is named
 * `localhost/berth-test/<name>:<n>`; bump `<n>` when its Dockerfile changes.
 */
import { ensureBaseImage, ensureImage } from './containerEngine.js';
import { COMPOSE_APP_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE, ensureComposeImages } from './composeImages.js';

/**
 * A Node HTTP service: the host's node binary (statically linked but for glibc and libstdc++, which
 * Debian minbase has) and NODE_SERVER below. Its default command serves on $PORT.
 */
export const NODE_IMAGE = 'localhost/berth-test/node:1';

/**
 * The test service. GET /healthz → ok; /env/NAME → $NAME; /fetch?url=U → the body of U fetched from
 * inside; /alloc?mb=N → keeps N MiB allocated; /crash → a stderr line then exit 3. It writes
 * `listening on <port>` to stdout and `started` to stderr, answers each stop signal with
 * `got <SIGNAL>` and exit 0 (unless IGNORE_SIGNALS=1: then only SIGKILL ends it; PID 1 ignores
 * unhandled signals). CRASH=<message> makes it write the message to stderr and exit 3 at once.
 * SECOND_PORT=1 serves `second` on $PORT_ADMIN too.
 */
export const NODE_SERVER = String.raw`
const http = require('node:http');
if (process.env.CRASH) {
  console.error('Error: ' + process.env.CRASH);
  process.exit(3);
}
const held = [];
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/healthz') return res.end('ok');
  if (url.pathname.startsWith('/env/')) return res.end(process.env[url.pathname.slice(5)] ?? '');
  if (url.pathname === '/fetch') {
    try {
      const r = await fetch(url.searchParams.get('url'));
      return res.end(await r.text());
    } catch (err) {
      res.statusCode = 502;
      return res.end(String(err.cause ?? err));
    }
  }
  if (url.pathname === '/alloc') {
    const mb = Number(url.searchParams.get('mb'));
    for (let i = 0; i < mb; i++) held.push(Buffer.alloc(1024 * 1024, i % 251));
    return res.end('holding ' + held.length + ' MiB');
  }
  if (url.pathname === '/crash') {
    console.error('Error: asked to crash');
    res.end('bye');
    setTimeout(() => process.exit(3), 10);
    return;
  }
  res.statusCode = 404;
  res.end('not found');
});
server.listen(Number(process.env.PORT), () => {
  console.log('listening on ' + process.env.PORT);
  console.error('started');
});
if (process.env.SECOND_PORT) http.createServer((q, s) => s.end('second')).listen(Number(process.env.PORT_ADMIN));
for (const sig of ['SIGTERM', 'SIGQUIT', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH']) {
  process.on(sig, () => {
    if (process.env.IGNORE_SIGNALS) return;
    console.log('got ' + sig);
    process.exit(0);
  });
}
`;

const NODE_DOCKERFILE = `FROM localhost/debian:12
COPY node /usr/local/bin/node
COPY server.js /srv/server.js
ENV PORT=8080
EXPOSE 8080
CMD ["/usr/local/bin/node", "/srv/server.js"]
`;

/** Builds every test image that is missing. */
export async function ensureTestImages(): Promise<void> {
  await ensureBaseImage();
  await ensureImage(NODE_IMAGE, NODE_DOCKERFILE, {
    node: { copyFrom: process.execPath },
    'server.js': NODE_SERVER,
  });
  await ensureComposeImages();
}

/** The images the Docker test engine gets copied in (dockerEngine.ts): what the tests run against Docker. */
export const DOCKER_TEST_IMAGES = [NODE_IMAGE, REDIS_IMAGE, POSTGRES_IMAGE, COMPOSE_APP_IMAGE];
