/**
 * A Docker engine for tests: Debian's dockerd on a socket, data root and exec root of its own under
 * /tmp (never the system's /var/lib/docker or /run/docker.sock, and an empty daemon.json of its own).
 * Only one dockerd of a machine can own the default bridge (docker0), so every vitest run of the
 * machine shares one: the first run starts it, each run holds a lease (a file named by its pid and a random id), and
 * the run that gives back the last lease stops it. A lock directory serialises start, image loads
 * and stop, so two runs that start or end together do not race. dockerd is started detached: it
 * outlives the run that started it while other runs hold leases.
 *
 * Images are not built for Docker: the Podman-built test images are copied in (`podman save | docker
 * load`), only those whose image id Docker does not have yet (the data root is kept between runs).
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { podmanEnv } from './containerEngine.js';

const run = promisify(execFile);

/** Everything of the shared test dockerd lives here. */
export const DOCKER_DIR = join(tmpdir(), 'berth-test-docker');
export const DOCKER_SOCKET = join(DOCKER_DIR, 'docker.sock');
const PIDFILE = join(DOCKER_DIR, 'dockerd.pid');
const LOCK = join(DOCKER_DIR, 'lock');
const LEASES = join(DOCKER_DIR, 'leases');
const START_TIMEOUT_MS = 30_000;

/** Whether `pid` runs (a zombie, exited but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPid(file: string): Promise<number | undefined> {
  const n = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Runs `work` holding the machine's lock (a directory naming its owner; a dead owner's lock is taken over). */
async function withLock<T>(work: () => Promise<T>): Promise<T> {
  await mkdir(DOCKER_DIR, { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'owner'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await readPid(join(LOCK, 'owner'));
      // No owner file yet: its maker is between mkdir and writeFile, unless it died there (rare: wait it out).
      if (owner !== undefined && !alive(owner)) await rm(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the test dockerd's lock ${LOCK} is held by ${owner ?? '?'}`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

async function answers(docker: Docker): Promise<boolean> {
  return (
    existsSync(DOCKER_SOCKET) &&
    docker.ping().then(
      () => true,
      () => false,
    )
  );
}

/** Starts the shared dockerd unless it answers already (called under the lock). */
async function ensureDockerd(docker: Docker): Promise<void> {
  if (await answers(docker)) return;
  const pid = await readPid(PIDFILE);
  if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL'); // hung: replaced
  await writeFile(join(DOCKER_DIR, 'daemon.json'), '{}\n');
  const log = openSync(join(DOCKER_DIR, 'dockerd.log'), 'a');
  const child = spawn(
    'dockerd',
    [
      '--config-file',
      join(DOCKER_DIR, 'daemon.json'),
      '--data-root',
      join(DOCKER_DIR, 'root'),
      '--exec-root',
      join(DOCKER_DIR, 'exec'),
      '--pidfile',
      PIDFILE,
      '-H',
      `unix://${DOCKER_SOCKET}`,
    ],
    { detached: true, stdio: ['ignore', log, log], cwd: DOCKER_DIR },
  );
  closeSync(log);
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(docker))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`dockerd did not answer on ${DOCKER_SOCKET} (see ${join(DOCKER_DIR, 'dockerd.log')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The id of `image` in Podman's storage (the test engine's) and in Docker's; undefined where absent. */
async function podmanImageId(image: string): Promise<string> {
  const { stdout } = await run('podman', ['image', 'inspect', '--format', '{{.Id}}', image], { env: podmanEnv() });
  return stdout.trim().replace(/^sha256:/, '');
}

async function dockerImageId(docker: Docker, image: string): Promise<string | undefined> {
  return docker
    .getImage(image)
    .inspect()
    .then(
      (i) => i.Id.replace(/^sha256:/, ''),
      () => undefined,
    );
}

/** Copies the Podman-built `images` into the shared dockerd: one `podman save -m | docker load` of the missing. */
async function loadImages(docker: Docker, images: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const image of images)
    if ((await dockerImageId(docker, image)) !== (await podmanImageId(image))) missing.push(image);
  if (missing.length === 0) return missing;
  await run(
    'sh',
    ['-c', `podman save -m --format docker-archive ${missing.join(' ')} | docker -H unix://${DOCKER_SOCKET} load`],
    { env: podmanEnv(), timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return missing;
}

export interface DockerTestEngine {
  socketPath: string;
  docker: Docker;
  /** The images copied in by this start (empty when Docker had them all). */
  loaded: string[];
  /** Gives this run's lease back; the last lease stops dockerd. */
  stop(): Promise<void>;
}

/** Takes a lease on the shared test dockerd (starting it if none runs) and copies `images` in. */
export async function startDockerEngine(images: readonly string[]): Promise<DockerTestEngine> {
  const docker = new Docker({ socketPath: DOCKER_SOCKET });
  // One per setup, not per process: the unit and e2e projects of one vitest process each take one.
  const lease = join(LEASES, `${process.pid}-${randomUUID()}`);
  const loaded = await withLock(async () => {
    await mkdir(LEASES, { recursive: true });
    await writeFile(lease, '');
    await ensureDockerd(docker);
    return loadImages(docker, images);
  });
  return {
    socketPath: DOCKER_SOCKET,
    docker,
    loaded,
    stop: () =>
      withLock(async () => {
        await rm(lease, { force: true });
        const leases = await readdir(LEASES).catch(() => []);
        // A run that died without its teardown leaves its lease: not counted, and removed.
        const holder = (l: string): number => Number(l.split('-')[0]);
        for (const p of leases.filter((l) => !alive(holder(l)))) await rm(join(LEASES, p), { force: true });
        if (leases.some((l) => alive(holder(l)))) return;
        await stopDockerd();
      }),
  };
}

/** Stops the shared dockerd (SIGTERM; SIGKILL after 15 s) and waits until it is gone. */
async function stopDockerd(): Promise<void> {
  const pid = await readPid(PIDFILE);
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (alive(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}
