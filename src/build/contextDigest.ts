/**
 * The digest of a build's input: sha256 over the files of its context (each one's path, type, mode
 * and content; links by target) and the build's settings (Dockerfile, args, target; or command and
 * output). An unchanged digest means an earlier build's artifact can be reused (docs/builds.md).
 * `.git` is never part of a context; an image build honours `.dockerignore`, a command build leaves
 * out its own output folder.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJSON } from '../canonical.js';
import { TooLargeError, ValidationError } from '../errors.js';
import { readDockerignore } from './dockerignore.js';

/** One file of a context, by its '/'-separated path relative to the context. */
export type ContextEntry =
  | { path: string; type: 'file'; mode: number; sha256: string }
  | { path: string; type: 'link'; target: string }
  | { path: string; type: 'dir'; mode: number };

export interface ContextDigest {
  /** `sha256:<hex>`. */
  digest: string;
  /** What was hashed, sorted by path: the files an image build sends to the engine. */
  entries: ContextEntry[];
}

/** The most entries a context may have: a build of a whole home folder by mistake is refused, not hashed for hours. */
export const MAX_CONTEXT_ENTRIES = 100_000;

const NEVER = new Set(['.git']);

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Walks `dir`, leaving out what `skip(rel)` says (a skipped folder is not entered unless
 * `enterSkipped`, for `.dockerignore` exceptions under it). `what` names the context in errors.
 */
export async function readContext(
  dir: string,
  what: string,
  skip: (rel: string) => boolean,
  enterSkipped = false,
): Promise<ContextEntry[]> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new ValidationError(`${what}: ${dir} is not a folder`, []);
  const out: ContextEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      if (NEVER.has(name)) continue;
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = join(dir, r);
      const s = await lstat(abs);
      const skipped = skip(r);
      if (s.isDirectory()) {
        if (!skipped) out.push({ path: r, type: 'dir', mode: s.mode & 0o7777 });
        if (!skipped || enterSkipped) await walk(r);
      } else if (!skipped && s.isSymbolicLink()) out.push({ path: r, type: 'link', target: await readlink(abs) });
      else if (!skipped && s.isFile())
        out.push({ path: r, type: 'file', mode: s.mode & 0o7777, sha256: await sha256File(abs) });
      if (out.length > MAX_CONTEXT_ENTRIES)
        throw new TooLargeError(
          `${what} has more than ${MAX_CONTEXT_ENTRIES} files: narrow it (a smaller \`context\`, a .dockerignore)`,
        );
    }
  };
  await walk('');
  return out;
}

function digestOf(entries: ContextEntry[], settings: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJSON({ entries, settings })).digest('hex')}`;
}

/**
 * The digest of an image build's context: its files but `.git` and what `.dockerignore` leaves out,
 * then the Dockerfile (always: Docker sends it even when ignored), the args and the target.
 */
export async function imageContextDigest(
  context: string,
  build: { dockerfile: string; args: Record<string, string>; target?: string | undefined },
  what: string,
): Promise<ContextDigest> {
  const rules = await readDockerignore(context);
  const entries = await readContext(context, what, (rel) => rules.ignored(rel), rules.hasExceptions);
  const dockerfile = join(context, build.dockerfile);
  const dockerfileSha = await sha256File(dockerfile).catch(() => {
    throw new ValidationError(`${what}: the Dockerfile ${dockerfile} does not exist`, []);
  });
  const settings = {
    dockerfile: build.dockerfile,
    dockerfileSha,
    args: build.args,
    target: build.target ?? null,
  };
  return { digest: digestOf(entries, settings), entries };
}

/** The digest of a command build's input: the service's folder but `.git` and the output folder, the command and the output. */
export async function commandContextDigest(
  cwd: string,
  build: { command: string; output: string },
  what: string,
): Promise<ContextDigest> {
  const out = build.output.replace(/\/+$/, '');
  const entries = await readContext(cwd, what, (rel) => out === '.' || rel === out || rel.startsWith(`${out}/`));
  return { digest: digestOf(entries, { command: build.command, output: out }), entries };
}
