/**
 * What a pipeline accepts as a git URL and a ref (branch or commit) before any of them reaches the
 * `git` command line: nothing that starts with `-` (git would read it as an option), no control
 * characters, and refs in git's own rules (git-check-ref-format).
 */

/** Why `url` is refused, or undefined when it is a URL or path git may fetch from. */
export function checkGitUrl(url: string): string | undefined {
  if (url.length === 0) return 'the git URL is empty';
  if (url.length > 2048) return 'the git URL is longer than 2048 characters';
  if (url.startsWith('-')) return 'a git URL cannot start with - (git would read it as an option)';
  if (hasControl(url) || /\s/.test(url)) return 'a git URL has no spaces or control characters';
  if (/^(https?|git|ssh|file):\/\/[^/]/.test(url) || url.startsWith('file:///')) return undefined;
  if (url.startsWith('/')) return undefined;
  if (/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/]/.test(url)) return undefined; // scp-like: git@host:owner/repo.git
  if (/^[a-z][a-z0-9+.-]*::/i.test(url) || /^ext::/i.test(url))
    return 'git remote helpers (`transport::address`) are not allowed';
  return 'expected an https://, http://, git://, ssh:// or file:// URL, git@host:path, or an absolute path';
}

/** Why `ref` is refused as a branch name, or undefined when git accepts it. */
export function checkGitRef(ref: string): string | undefined {
  if (ref.length === 0) return 'the branch is empty';
  if (ref.length > 255) return 'a branch name is at most 255 characters';
  if (ref.startsWith('-')) return 'a branch cannot start with - (git would read it as an option)';
  if (hasControl(ref) || /[ ~^:?*[\\]/.test(ref) || ref.includes('..') || ref.includes('@{'))
    return 'not a valid branch name (no spaces, ~ ^ : ? * [ \\, `..` or `@{`)';
  if (ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock') || ref.includes('//'))
    return 'not a valid branch name';
  if (ref.split('/').some((part) => part.startsWith('.'))) return 'a branch name has no part starting with .';
  return undefined;
}

/** A full commit id (40 hex, or 64 with SHA-256 repositories) or an abbreviation of at least 7. */
export const COMMIT = /^[0-9a-f]{7,64}$/;

/** Any character below space, or DEL. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
