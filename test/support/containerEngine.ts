/**
 * A Podman engine for tests: `podman system service` on a socket of its own, configured by a
 * containers.conf written for it (never the user's): runc with cgroupfs, no default ulimits, the
 * settings this sandbox needs. Images are built once per machine from a Debian base made with
 * debootstrap (no registry is reachable here) and kept in Podman's storage between runs.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const run = promisify(execFile);

/** The base every test image starts from. */
export const BASE_IMAGE = 'localhost/debian:12';

export const TEST_CONTAINERS_CONF = `[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

/** Where the test engine's containers.conf lives (the same file for every test of this machine). */
export const TEST_CONF_DIR = join(tmpdir(), 'berth-test-podman');
export const TEST_CONF = join(TEST_CONF_DIR, 'containers.conf');

/** The environment podman commands of the tests run with. */
export function podmanEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: TEST_CONF };
}

async function writeConf(): Promise<void> {
  await mkdir(TEST_CONF_DIR, { recursive: true });
  await writeFile(TEST_CONF, TEST_CONTAINERS_CONF);
}

/** Runs `podman args...` with the test configuration; rejects with its stderr. */
export async function podman(args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  await writeConf();
  const { stdout } = await run('podman', args, {
    env: podmanEnv(),
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

async function imageExists(name: string): Promise<boolean> {
  return podman(['image', 'exists', name]).then(
    () => true,
    () => false,
  );
}

/** Builds localhost/debian:12 with debootstrap (about 45 s) unless Podman has it already. */
export async function ensureBaseImage(): Promise<void> {
  if (await imageExists(BASE_IMAGE)) return;
  const root = await mkdtemp(join(tmpdir(), 'berth-debootstrap-'));
  try {
    await run('debootstrap', ['--variant=minbase', 'bookworm', root, 'http://deb.debian.org/debian'], {
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    await run('sh', ['-c', `tar -C '${root}' -c . | podman import - ${BASE_IMAGE}`], {
      env: podmanEnv(),
      timeout: 600_000,
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** A file of an image's build context: its content, or a file of this machine copied in (a binary). */
export type ContextFile = string | { copyFrom: string };

/** Builds image `name` from `dockerfile` and the files beside it unless Podman has it already. */
export async function ensureImage(
  name: string,
  dockerfile: string,
  files: Record<string, ContextFile> = {},
): Promise<void> {
  if (await imageExists(name)) return;
  const dir = await mkdtemp(join(tmpdir(), 'berth-image-'));
  try {
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    for (const [f, content] of Object.entries(files)) {
      if (typeof content === 'string') await writeFile(join(dir, f), content);
      else await copyFile(content.copyFrom, join(dir, f));
    }
    await podman(['build', '--network', 'host', '-t', name, dir], { timeoutMs: 900_000 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface TestEngine {
  socketPath: string;
  docker: Docker;
  stop(): Promise<void>;
}

/** Starts `podman system service` on a fresh socket and waits until it answers. */
export async function startTestEngine(): Promise<TestEngine> {
  await writeConf();
  const dir = await mkdtemp(join(tmpdir(), 'berth-engine-'));
  const socketPath = join(dir, 'podman.sock');
  // Its own directory as cwd: conmon drops an `oom` file in the cwd it inherits when a container hits its memory limit.
  const child: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socketPath}`], {
    env: podmanEnv(),
    cwd: dir,
    stdio: 'ignore',
  });
  const docker = new Docker({ socketPath });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (
      existsSync(socketPath) &&
      (await docker.ping().then(
        () => true,
        () => false,
      ))
    )
      break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`podman system service did not answer on ${socketPath}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    socketPath,
    docker,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3_000).unref())]);
        if (child.exitCode === null) child.kill('SIGKILL');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 2_000).unref())]);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
