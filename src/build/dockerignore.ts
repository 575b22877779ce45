/**
 * `.dockerignore` as Docker reads it: one pattern a line relative to the context root (a leading `/`
 * changes nothing), `#` comments, `*` and `?` within one path segment, `**` across any number of
 * them, `!` re-including what an earlier pattern left out; the last matching pattern wins, and a
 * pattern that matches a folder matches everything under it.
 */
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

interface Rule {
  regex: RegExp;
  include: boolean;
}

export interface IgnoreRules {
  /** Whether the context path `rel` ('/'-separated, relative to the context) is left out. */
  ignored(rel: string): boolean;
  /** Whether any pattern re-includes (`!`): then a left-out folder must still be looked into. */
  readonly hasExceptions: boolean;
}

function patternRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches no folder too; `**` at the end anything.
        const slash = pattern[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) out += `\\${pattern[++i]!}`;
    else out += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  // A folder's pattern matches what is under it.
  return new RegExp(`^${out}(?:/.*)?$`);
}

/** The rules of a `.dockerignore` text. */
export function parseDockerignore(text: string): IgnoreRules {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const include = line.startsWith('!');
    let p = (include ? line.slice(1) : line).trim();
    p = posix.normalize(p).replace(/^\/+/, '').replace(/\/+$/, '');
    if (p === '' || p === '.') continue;
    rules.push({ regex: patternRegex(p), include });
  }
  return {
    hasExceptions: rules.some((r) => r.include),
    ignored(rel) {
      let out = false;
      for (const r of rules) if (r.regex.test(rel)) out = !r.include;
      return out;
    },
  };
}

/** The rules of `<context>/.dockerignore`; none when it does not exist. */
export async function readDockerignore(context: string): Promise<IgnoreRules> {
  const text = await readFile(join(context, '.dockerignore'), 'utf8').catch(() => '');
  return parseDockerignore(text);
}
