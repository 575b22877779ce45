/**
 * resolveImages against Docker's side of the Engine API, which this machine cannot run: a unix-socket
 * HTTP server answering as dockerd does (inspect 404 for a missing image, a pull stream that ends
 * with `Digest: sha256:…`, RepoDigests without a `docker.io/library/` prefix). It records what the
 * engine is sent: the registry password only in the X-Registry-Auth header, never in the URL.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from './engine.js';
import { resolveImages } from './images.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;
const ID = `sha256:${'ef'.repeat(32)}`;

let server: Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

/** A dockerd-like engine on a socket of its own; `seen` gets each request's URL and auth header. */
async function dockerd(seen: { url: string; auth?: string }[]): Promise<Engine> {
  dir = await mkdtemp(join(tmpdir(), 'berth-dockerd-'));
  const socketPath = join(dir, 'docker.sock');
  let pulled = false;
  server = createServer((req: IncomingMessage, res): void => {
    seen.push({ url: decodeURIComponent(req.url ?? ''), auth: req.headers['x-registry-auth'] as string | undefined });
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url?.startsWith('/images/redis:7/json')) {
      if (!pulled) {
        res.statusCode = 404;
        res.end(JSON.stringify({ message: 'No such image: redis:7' }));
        return;
      }
      // Docker lists the official image without docker.io/library/, and the repo digest of another repository too.
      res.end(JSON.stringify({ Id: ID, RepoDigests: [`mirror.example/redis@${OTHER}`, `redis@${DIGEST}`] }));
      return;
    }
    if (req.method === 'POST' && req.url?.startsWith('/images/create')) {
      pulled = true;
      res.write(JSON.stringify({ status: 'Pulling from library/redis', id: '7' }) + '\n');
      res.write(JSON.stringify({ status: 'Downloading', id: 'a1', progressDetail: { current: 10, total: 20 } }) + '\n');
      res.write(JSON.stringify({ status: 'Pull complete', id: 'a1' }) + '\n');
      res.write(JSON.stringify({ status: `Digest: ${DIGEST}` }) + '\n');
      res.end(JSON.stringify({ status: 'Status: Downloaded newer image for redis:7' }) + '\n');
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ message: `unexpected ${req.method} ${req.url}` }));
  });
  await new Promise<void>((r) => server!.listen(socketPath, r));
  return { docker: new Docker({ socketPath }), kind: 'docker', version: '27.0.0', socketPath };
}

describe('resolveImages on Docker', () => {
  it('pulls with the credentials in X-Registry-Auth only and records the digest the pull announced', async () => {
    const seen: { url: string; auth?: string }[] = [];
    const engine = await dockerd(seen);
    const got = await resolveImages(
      engine,
      [
        {
          service: 'cache',
          image: 'redis:7',
          pullPolicy: 'IfNotPresent',
          auth: { server: 'docker.io', username: 'me', password: 'pw-Zq81!' },
        },
      ],
      { pull: true },
    );
    expect(got).toEqual([{ service: 'cache', image: 'redis:7', digest: DIGEST, pulled: true }]);
    const create = seen.find((s) => s.url.startsWith('/images/create'))!;
    expect(create.url).toBe('/images/create?fromImage=redis&tag=7');
    expect(JSON.parse(Buffer.from(create.auth!, 'base64').toString())).toEqual({
      username: 'me',
      password: 'pw-Zq81!',
      serveraddress: 'docker.io',
    });
    expect(seen.map((s) => s.url).join('\n')).not.toContain('pw-Zq81');
    // Present now: inspected, the repository digest of redis (docker.io/library/redis), not the mirror's listed first.
    const again = await resolveImages(engine, [{ service: 'cache', image: 'redis:7', pullPolicy: 'IfNotPresent' }], {
      pull: true,
    });
    expect(again).toEqual([{ service: 'cache', image: 'redis:7', digest: DIGEST, pulled: false }]);
  });
});
