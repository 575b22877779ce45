// Shared by the proxy benchmarks: find a program, wait until a port answers 200, write an nginx
// config whose temp paths stay inside its prefix (so no root directories are needed).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The absolute path of `cmd` (Debian's sbin folders first, then PATH), or undefined. */
export function which(cmd) {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')]) {
    if (existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/** Resolves once `http://127.0.0.1:port/path` answers 200 (10 s at most). */
export async function waitHttp(port, path = '/') {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error(`nothing answers 200 on port ${port}`);
}

/** Writes `<prefix>/nginx.conf` with `body` inside its http block; returns the file. */
export function nginxConf(prefix, body) {
  // One worker, like every other process here; temp paths inside the prefix so no root dirs are needed.
  mkdirSync(prefix, { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  keepalive_requests 1000000;
  ${body}
}
`,
  );
  return conf;
}

/**
 * The nginx reverse-proxy config of a Berth routing table (`portOf` maps a listener's port to
 * nginx's): upstream blocks with `keepalive 32` per service, one server per service port, one per
 * edge port with `location ^~ prefix/` per route — what "Berth drives nginx as its data plane" would run.
 */
export function nginxFromTable(t, portOf) {
  const name = (key) => key.replace(/[^a-zA-Z0-9]/g, '_');
  const proxied = (key, strip) => `proxy_pass http://${name(key)}${strip ? '/' : ''};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;`;
  const out = [];
  for (const s of t.services) {
    out.push(
      `upstream ${name(s.key)} { ${s.backends.map((b) => `server ${b.host}:${b.port};`).join(' ')} keepalive 32; }`,
    );
    out.push(`server { listen 127.0.0.1:${portOf(s.port)}; location / { ${proxied(s.key, false)} } }`);
  }
  for (const e of t.edges) {
    const hosts = [...new Set(e.routes.map((r) => r.host))];
    for (const host of hosts) {
      const routes = e.routes.filter((r) => r.host === host);
      const locations = routes.map((r) => {
        const prefix = r.pathPrefix.replace(/\/+$/, '');
        if (prefix === '') return `location / { ${proxied(r.target, false)} }`;
        return `location ^~ ${prefix}/ { ${proxied(r.target, r.stripPrefix)} } location = ${prefix} { ${proxied(r.target, r.stripPrefix)} }`;
      });
      if (!routes.some((r) => r.pathPrefix.replace(/\/+$/, '') === '')) locations.push('location / { return 404; }');
      const serverName =
        host === undefined
          ? 'server_name ""; listen 127.0.0.1:' + portOf(e.port) + ' default_server;'
          : `server_name ${host};`;
      out.push(
        `server { ${host === undefined ? '' : `listen 127.0.0.1:${portOf(e.port)};`} ${serverName} ${locations.join(' ')} }`,
      );
    }
  }
  return out.join('\n  ');
}

/** Adds `table`'s services and edges to `t` (a gateway's table), each moved to `ports.get(port)` when mapped. */
export function tableOnPorts(t, table, ports) {
  const copy = (x) => ({ ...JSON.parse(JSON.stringify(x)), port: ports.get(x.port) ?? x.port });
  t.services.push(...table.services.map(copy));
  t.edges.push(...table.edges.map(copy));
}
