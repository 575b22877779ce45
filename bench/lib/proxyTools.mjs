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
