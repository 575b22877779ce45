/**
 * The images the compose tests run (test/e2e/containers-compose.test.ts): Redis and Postgres from
 * Debian's packages, behaving as the official images do where a compose file relies on it, and a
 * small Node app that plays web or api. Built once per machine from localhost/debian:12.
 */
import { ensureImage } from './containerEngine.js';

export const REDIS_IMAGE = 'localhost/berth-test/redis:1';
export const POSTGRES_IMAGE = 'localhost/berth-test/postgres:1';
export const COMPOSE_APP_IMAGE = 'localhost/berth-test/compose-app:3';

const APT = 'apt-get update && apt-get install -y --no-install-recommends';
const CLEAN = 'rm -rf /var/lib/apt/lists/*';

// Protected mode off and bound to every container interface: the engine publishes 6379 on 127.0.0.1 only.
const REDIS_DOCKERFILE = `FROM localhost/debian:12
RUN ${APT} redis-server && ${CLEAN} && mkdir -p /data
WORKDIR /data
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--port", "6379", "--dir", "/data"]
`;

// No cluster made by the package: the entrypoint makes $PGDATA's on first start, as the official image does.
const POSTGRES_DOCKERFILE = `FROM localhost/debian:12
RUN mkdir -p /etc/postgresql-common/createcluster.d \\
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/berth.conf \\
 && ${APT} postgresql-15 && ${CLEAN} \\
 && mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV PGDATA=/var/lib/postgresql/data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
`;

/**
 * The official image's contract, in short: as root, own $PGDATA and drop to postgres; on an empty
 * $PGDATA run initdb with POSTGRES_USER (default postgres) and POSTGRES_PASSWORD (required),
 * password auth from other hosts, and create POSTGRES_DB (default the user); then exec postgres
 * listening on every interface, so it is PID 1 and SIGINT / SIGTERM stop it cleanly.
 */
const POSTGRES_ENTRYPOINT = `#!/bin/sh
set -e
if [ "\${1#-}" != "$1" ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi
shift
: "\${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ]; then
    echo "error: database is uninitialized and POSTGRES_PASSWORD is not set" >&2
    exit 1
  fi
  user="\${POSTGRES_USER:-postgres}"
  db="\${POSTGRES_DB:-$user}"
  pwfile="$(mktemp)"
  printf '%s\\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -v db="$db" <<'SQL'
CREATE DATABASE :"db";
SQL
    pg_ctl -D "$PGDATA" -m fast -w stop
  fi
  echo "database initialised in $PGDATA"
fi
exec postgres -c listen_addresses='*' "$@"
`;

/**
 * ROLE=web answers / (with its config file /etc/notes/web.json) and forwards /api/* to $API_URL;
 * ROLE=api keeps notes in Postgres ($DATABASE_URL, through psql), counts hits in Redis ($REDIS_URL,
 * through redis-cli) and tells the size of its secret file /run/secrets/api_token.
 * Both listen on $PORT, answer /healthz, and stop on SIGTERM.
 */
const COMPOSE_APP = `const http = require('node:http');
const { execFile } = require('node:child_process');
const role = process.env.ROLE || 'web';
const port = Number(process.env.PORT || 8080);
function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 10000 }, (err, stdout, stderr) =>
      err ? reject(new Error(String(stderr || err.message).trim())) : resolve(stdout.trim()));
    if (input !== undefined) child.stdin.end(input);
  });
}
const psql = (sql, vars = {}) => run('psql', [process.env.DATABASE_URL, '-v', 'ON_ERROR_STOP=1', '-qAt',
  ...Object.entries(vars).flatMap(([k, v]) => ['-v', k + '=' + v]), '-f', '-'], sql);
function readJson(file) {
  try { return JSON.parse(require('node:fs').readFileSync(file, 'utf8')); } catch (err) { return { error: err.code }; }
}
async function api(req, url) {
  if (url.pathname === '/api/token') {
    const token = require('node:fs').readFileSync('/run/secrets/api_token', 'utf8');
    return { tokenBytes: token.length };
  }
  if (url.pathname === '/api/hits') return { hits: Number(await run('redis-cli', ['-u', process.env.REDIS_URL, 'INCR', 'hits'])) };
  if (url.pathname === '/api/notes' && req.method === 'POST') {
    await psql("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, text text);\\nINSERT INTO notes (text) VALUES (:'text');", { text: url.searchParams.get('text') || '' });
    return { ok: true };
  }
  if (url.pathname === '/api/notes') {
    const out = await psql("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, text text);\\nSELECT text FROM notes ORDER BY id;");
    return { notes: out ? out.split('\\n') : [] };
  }
  return undefined;
}
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const send = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
  try {
    if (url.pathname === '/healthz') return send(200, { role });
    if (role === 'api') {
      const body = await api(req, url);
      return body ? send(200, { from: 'api', ...body }) : send(404, { error: 'not found' });
    }
    if (url.pathname.startsWith('/api/')) {
      const r = await fetch(process.env.API_URL + url.pathname + url.search, { method: req.method });
      return send(r.status, { from: 'web', api: await r.json() });
    }
    return send(200, { from: 'web', greeting: process.env.GREETING || '', config: readJson('/etc/notes/web.json') });
  } catch (err) {
    console.error(role + ': ' + err.message);
    send(502, { error: err.message });
  }
});
server.listen(port, () => console.log(role + ' listening on ' + port));
process.on('SIGTERM', () => { console.log(role + ' stopping'); server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); });
`;

const COMPOSE_APP_DOCKERFILE = `FROM localhost/debian:12
RUN ${APT} nodejs postgresql-client-15 redis-tools && ${CLEAN}
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY app.js /app/app.js
WORKDIR /app
CMD ["node", "/app/app.js"]
`;

/** Builds the compose tests' images that are missing (minutes the first time on a machine). */
export async function ensureComposeImages(): Promise<void> {
  await ensureImage(REDIS_IMAGE, REDIS_DOCKERFILE);
  await ensureImage(POSTGRES_IMAGE, POSTGRES_DOCKERFILE, { 'docker-entrypoint.sh': POSTGRES_ENTRYPOINT });
  await ensureImage(COMPOSE_APP_IMAGE, COMPOSE_APP_DOCKERFILE, { 'app.js': COMPOSE_APP });
}
