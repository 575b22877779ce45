/**
 * A real private registry for tests: Debian's `docker-registry` (the CNCF distribution registry)
 * on 127.0.0.1 with htpasswd (bcrypt) auth and a storage directory of its own. It speaks plain
 * HTTP; the test engine lists its address as insecure (containersSetup.ts, registries.conf).
 * Images are pushed to it with the podman CLI (`--tls-verify=false`), as a CI job would.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { podman } from './containerEngine.js';

const run = promisify(execFile);

/** Debian's registry binary and apache2-utils' htpasswd (installed by .ci/run). */
export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const HTPASSWD_BIN = '/usr/bin/htpasswd';

/**
 * A free port on 127.0.0.1 below the kernel's ephemeral range (32768-60999), so no outgoing
 * connection takes it between this choice (before the engine starts) and the registry's start.
 */
export async function registryPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 10_000 + Math.floor(Math.random() * 10_000); // below control planes' pool (20000-32000)
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port for the test registry');
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, the registry part of image references. */
  address: string;
  /** The digest the registry serves for `repository:tag` (its Docker-Content-Digest). */
  manifestDigest(repository: string, tag: string): Promise<string>;
  /** Pushes the local image `local` as `<address>/<repository>:<tag>`. */
  push(local: string, repository: string, tag: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a registry on `address` whose only user is `user` with `password`. */
export async function startTestRegistry(address: string, user: string, password: string): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-'));
  // bcrypt, the only hash the registry's htpasswd auth accepts.
  const { stdout } = await run(HTPASSWD_BIN, ['-Bbn', user, password]);
  await writeFile(join(dir, 'htpasswd'), stdout.trim() + '\n', { mode: 0o600 });
  await writeFile(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      `  addr: ${address}`,
      'auth:',
      '  htpasswd:',
      '    realm: berth-test',
      `    path: ${join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await fetch(`http://${address}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 401) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on ${address} (status ${status})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    async manifestDigest(repository, tag) {
      const res = await fetch(`http://${address}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: {
          authorization: basic,
          accept: [
            'application/vnd.oci.image.manifest.v1+json',
            'application/vnd.docker.distribution.manifest.v2+json',
            'application/vnd.oci.image.index.v1+json',
            'application/vnd.docker.distribution.manifest.list.v2+json',
          ].join(', '),
        },
      });
      const digest = res.headers.get('docker-content-digest');
      if (!res.ok || !digest) throw new Error(`no manifest ${repository}:${tag} in the test registry (${res.status})`);
      return digest;
    },
    async push(local, repository, tag) {
      await podman([
        'push',
        '--tls-verify=false',
        '--creds',
        `${user}:${password}`,
        local,
        `docker://${address}/${repository}:${tag}`,
      ]);
    },
    stop,
  };
}

/**
 * Builds a tiny image (`FROM scratch` and one file holding `content`) under a name no other test
 * uses, and returns that name; pushing it under a tag gives that tag new bytes when `content` differs.
 */
export async function buildTinyImage(content: string): Promise<string> {
  const name = `localhost/berth-registry-test/tiny-${randomBytes(4).toString('hex')}:1`;
  const dir = await mkdtemp(join(tmpdir(), 'berth-tiny-'));
  try {
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY content.txt /content.txt\n');
    await writeFile(join(dir, 'content.txt'), content);
    await podman(['build', '-q', '-t', name, dir]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return name;
}

/** Removes images by name, ignoring the ones already gone. */
export async function removeImages(...names: string[]): Promise<void> {
  for (const n of names) await podman(['rmi', '--force', n]).catch(() => undefined);
}

/**
 * Removes every image whose repository starts with `prefix` (`127.0.0.1:PORT/some-test/`): the tags
 * a test's builds made, and the untagged copies the engine pulled by digest to run them.
 */
export async function removeImagesUnder(prefix: string): Promise<void> {
  const listed = await podman(['images', '--format', '{{.Repository}} {{.ID}}']).catch(() => '');
  const ids = new Set<string>();
  for (const line of listed.split('\n')) {
    const [repository, id] = line.split(' ');
    if (repository?.startsWith(prefix) && id) ids.add(id);
  }
  await removeImages(...ids);
}
