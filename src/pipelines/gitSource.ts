/**
 * A pipeline's git source on the control plane's machine: a bare mirror per app under
 * `<home>/pipelines/repos/<app>.git`, updated with `git fetch`, and the run's commit checked out
 * (`git archive` into a fresh folder) as the run's workspace. URLs and refs are checked before they
 * reach git's command line (gitNames.ts) and always follow `--`-free positions git cannot read as
 * options; a failing git command's error names the command and its stderr.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError, ValidationError } from '../errors.js';
import { COMMIT, checkGitRef, checkGitUrl } from './gitNames.js';

/** The longest a git command may take (a fetch of a large repository). */
const GIT_TIMEOUT_MS = 10 * 60_000;
/** The most a checkout may hold (its files' sizes together), unless BERTH_PIPELINE_CHECKOUT_MAX_BYTES says. */
const DEFAULT_CHECKOUT_MAX_BYTES = 2 * 1024 * 1024 * 1024;

export function checkoutMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.BERTH_PIPELINE_CHECKOUT_MAX_BYTES);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_CHECKOUT_MAX_BYTES;
}

/** The most stderr kept for an error. */
const MAX_STDERR = 4000;

export interface GitResult {
  stdout: string;
}

/** Runs `git args…`; a non-zero exit is a RuntimeError naming the command and its stderr. */
export function git(
  args: string[],
  opts: { cwd?: string; signal?: AbortSignal; pipeTo?: { command: string; args: string[]; cwd: string } } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      // No prompt for credentials: a fetch that needs them fails instead of hanging.
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' },
      timeout: GIT_TIMEOUT_MS,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    let sink: ReturnType<typeof spawn> | undefined;
    let sinkErr = '';
    const sinkDone = new Promise<number | null>((res) => {
      if (!opts.pipeTo) return res(0);
      sink = spawn(opts.pipeTo.command, opts.pipeTo.args, { cwd: opts.pipeTo.cwd, stdio: ['pipe', 'ignore', 'pipe'] });
      child.stdout.pipe(sink.stdin!);
      sink.stderr!.on('data', (d: Buffer) => (sinkErr = (sinkErr + d.toString()).slice(-MAX_STDERR)));
      sink.on('error', () => res(-1));
      sink.on('close', (code) => res(code));
    });
    if (!opts.pipeTo) child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-MAX_STDERR)));
    child.on('error', (err) =>
      reject(new RuntimeError(`git ${args[0]} could not run: ${err.message}`, { cause: err })),
    );
    child.on('close', (code, sig) => {
      void sinkDone.then((sinkCode) => {
        if (code === 0 && sinkCode === 0) return resolve({ stdout });
        const what = `git ${redactArgs(args).join(' ')}`;
        const why = code !== 0 ? stderr.trim() || `exit ${code ?? sig}` : `${opts.pipeTo?.command}: ${sinkErr.trim()}`;
        reject(new RuntimeError(`${what} failed: ${why}`, { details: { command: what, stderr: stderr.trim() } }));
      });
    });
  });
}

/** Credentials in a URL (`https://user:token@host`) are not shown in errors. */
function redactArgs(args: string[]): string[] {
  return args.map((a) => a.replace(/^([a-z]+:\/\/)[^@/]+@/i, '$1***@'));
}

export class GitSource {
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The bare mirror of `app`. */
  mirror(app: string): string {
    return join(this.root, 'repos', `${app}.git`);
  }

  /** Makes or updates `app`'s mirror of `url` (all branches, tags and pull-request heads where the host has them). */
  async fetch(app: string, url: string, signal?: AbortSignal): Promise<void> {
    const problem = checkGitUrl(url);
    if (problem)
      throw new ValidationError(`the pipeline's source URL is refused: ${problem}`, [
        { path: 'source.url', message: problem },
      ]);
    const dir = this.mirror(app);
    if (!(await exists(join(dir, 'HEAD')))) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await git(['init', '--bare', '--quiet', dir]);
    }
    // The URL is set on every fetch, so a pipeline whose source changed fetches from the new one.
    await git(['--git-dir', dir, 'config', 'remote.origin.url', url]);
    await git(
      [
        '--git-dir',
        dir,
        'fetch',
        '--quiet',
        '--prune',
        '--force',
        'origin',
        '+refs/heads/*:refs/heads/*',
        '+refs/tags/*:refs/tags/*',
        // Pull requests' heads (GitHub, Gitea) and merge requests' (GitLab): a fork's commit is there.
        '+refs/pull/*/head:refs/pull/*/head',
        '+refs/merge-requests/*/head:refs/merge-requests/*/head',
      ],
      signal ? { signal } : {},
    );
  }

  /** The commit `branch` points to in the mirror (after a fetch). */
  async branchHead(app: string, branch: string): Promise<string> {
    const problem = checkGitRef(branch);
    if (problem)
      throw new ValidationError(`branch ${branch} is refused: ${problem}`, [{ path: 'branch', message: problem }]);
    const out = await git([
      '--git-dir',
      this.mirror(app),
      'rev-parse',
      '--verify',
      '--quiet',
      `refs/heads/${branch}^{commit}`,
    ]).catch(() => undefined);
    const commit = out?.stdout.trim();
    if (!commit)
      throw new ValidationError(`the repository has no branch ${branch}`, [
        { path: 'branch', message: `no branch ${branch}` },
      ]);
    return commit;
  }

  /** The full id of `commit` (a full id or an abbreviation) in the mirror; refused when it is not there. */
  async resolveCommit(app: string, commit: string): Promise<string> {
    if (!COMMIT.test(commit))
      throw new ValidationError(`commit ${commit} is refused: a commit id is 7 to 64 hex digits`, [
        { path: 'commit', message: 'expected a commit id (hex)' },
      ]);
    const out = await git([
      '--git-dir',
      this.mirror(app),
      'rev-parse',
      '--verify',
      '--quiet',
      `${commit}^{commit}`,
    ]).catch(() => undefined);
    const full = out?.stdout.trim();
    if (!full)
      throw new ValidationError(`the repository has no commit ${commit}`, [
        { path: 'commit', message: `no commit ${commit}` },
      ]);
    return full;
  }

  /**
   * The files of `commit` in a fresh folder `dir` (removed first); `git archive` piped into `tar`.
   * Refused before anything is written when its files are larger than `maxBytes` together.
   */
  async checkout(app: string, commit: string, dir: string, maxBytes = checkoutMaxBytes()): Promise<void> {
    const tree = await git(['--git-dir', this.mirror(app), 'ls-tree', '-r', '-l', '-z', commit]);
    let bytes = 0;
    for (const entry of tree.stdout.split('\0')) {
      const size = Number(/^\S+ blob \S+ +(\d+)\t/.exec(entry)?.[1] ?? 0);
      bytes += size;
    }
    if (bytes > maxBytes)
      throw new ValidationError(
        `commit ${commit.slice(0, 12)} holds ${bytes} bytes of files, more than a checkout may (${maxBytes}, BERTH_PIPELINE_CHECKOUT_MAX_BYTES)`,
        [{ path: 'commit', message: 'the checkout is too large' }],
      );
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await git(['--git-dir', this.mirror(app), 'archive', '--format=tar', commit], {
      pipeTo: { command: 'tar', args: ['-x', '-f', '-', '--no-same-owner'], cwd: dir },
    });
  }

  /** The subject line and author of a commit, for the run's log. */
  async describe(app: string, commit: string): Promise<string> {
    const out = await git(['--git-dir', this.mirror(app), 'log', '-1', '--format=%h %s (%an)', commit]);
    return out.stdout.trim();
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
