/**
 * A real git server for tests: Debian git's `git daemon` on 127.0.0.1 (a free port) serving the bare
 * repositories of a temporary folder over git://, and a working clone per repository the test commits
 * to and pushes from, as a developer would. `stop()` kills the daemon and removes the folder.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestRepo {
  /** `git://127.0.0.1:PORT/<name>.git`. */
  url: string;
  /** The working clone's folder. */
  work: string;
  /** Writes `files` (path → content), commits them on `branch` and pushes; resolves with the commit id. */
  commit(files: Record<string, string>, message: string, branch?: string): Promise<string>;
}

export interface GitServer {
  port: number;
  /** Makes a bare repository `<name>.git` served by the daemon, with a working clone. */
  repo(name: string): Promise<TestRepo>;
  stop(): Promise<void>;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

async function git(args: string[], cwd?: string): Promise<string> {
  const { stdout } = await run('git', args, { ...(cwd ? { cwd } : {}), env: { ...process.env, ...GIT_ENV } });
  return stdout.trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startGitServer(): Promise<GitServer> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-git-'));
  const served = join(dir, 'served');
  await mkdir(served);
  const port = await freePort();
  const daemon = spawn(
    'git',
    ['daemon', '--reuseaddr', '--export-all', `--base-path=${served}`, '--listen=127.0.0.1', `--port=${port}`, served],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: false },
  );
  let stderr = '';
  daemon.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (daemon.exitCode !== null) throw new Error(`git daemon exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`git daemon did not listen on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    async repo(name) {
      const bare = join(served, `${name}.git`);
      await git(['init', '--bare', '--quiet', '--initial-branch=main', bare]);
      const work = join(dir, 'work', name);
      await git(['init', '--quiet', '--initial-branch=main', work]);
      await git(['remote', 'add', 'origin', bare], work);
      return {
        url: `git://127.0.0.1:${port}/${name}.git`,
        work,
        async commit(files, message, branch = 'main') {
          const current = await git(['rev-parse', '--abbrev-ref', 'HEAD'], work).catch(() => 'main');
          if (current !== branch) await git(['checkout', '--quiet', '-B', branch], work);
          for (const [path, content] of Object.entries(files)) {
            await mkdir(dirname(join(work, path)), { recursive: true });
            await writeFile(join(work, path), content);
          }
          await git(['add', '-A'], work);
          await git(['commit', '--quiet', '-m', message], work);
          await git(['push', '--quiet', '--force', 'origin', `${branch}:${branch}`], work);
          return git(['rev-parse', 'HEAD'], work);
        },
      };
    },
    async stop() {
      if (daemon.exitCode === null) {
        const exited = new Promise((r) => daemon.once('exit', r));
        daemon.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
