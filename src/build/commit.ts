/**
 * Which commit a build is of: the one given (`--commit`), else `git rev-parse HEAD` of the berth.yaml
 * folder when it is in a git work tree (with `-dirty` appended when the tree has changes git would
 * commit: the tag then says the image is not exactly that commit), else `ctx-` and the first 12 hex
 * digits of the build's first context digest.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ValidationError } from '../errors.js';

const run = promisify(execFile);

/** What an image tag may be (Docker's rule), which a commit becomes. */
export const COMMIT_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The commit given on the command line or in a request, checked: it becomes an image tag. */
export function checkedCommit(commit: string, field = 'commit'): string {
  if (!COMMIT_TAG.test(commit))
    throw new ValidationError(`invalid commit ${JSON.stringify(commit)}`, [
      {
        path: field,
        message:
          'must be usable as an image tag: letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`',
      },
    ]);
  return commit;
}

/** HEAD of the git work tree `dir` is in (`<sha>` or `<sha>-dirty`); undefined when it is in none. */
export async function gitCommitOf(dir: string): Promise<string | undefined> {
  const git = (args: string[]) => run('git', ['-C', dir, ...args], { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
  const head = await git(['rev-parse', '--verify', 'HEAD']).then(
    (r) => r.stdout.trim(),
    () => undefined,
  );
  if (!head || !/^[0-9a-f]{40,64}$/.test(head)) return undefined;
  const status = await git(['status', '--porcelain', '--untracked-files=normal']).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  return status === '' ? head : `${head}-dirty`;
}

/** The commit of a build (see the file's comment). */
export async function commitOf(given: string | undefined, dir: string, contextDigest: () => string): Promise<string> {
  if (given !== undefined) return checkedCommit(given);
  return (
    (await gitCommitOf(dir)) ??
    `ctx-${contextDigest()
      .replace(/^sha256:/, '')
      .slice(0, 12)}`
  );
}
