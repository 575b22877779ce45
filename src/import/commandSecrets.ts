/**
 * Passwords inside the words of `command` and `entrypoint`: the value of a password flag
 * (`--requirepass secret`, `--password=secret`, also inside a `sh -c` string) and the password of a
 * URL (`postgres://u:pw@db/x`). The import moves each into a secret variable, as it does for env
 * values, so berth.yaml never holds it in plain text.
 */
import { secretName } from './names.js';

/** A password found in a word: `word.slice(start, end)`. */
export interface CommandSecret {
  start: number;
  end: number;
  password: string;
  /** The flag it follows (`--requirepass`), or undefined for a URL's password. */
  flag?: string;
}

const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:([^/\s@]+)@/gi;
/** `--flag=value` or `--flag value` inside one word (a `sh -c` string). */
const FLAG_VALUE = /(?:^|\s)(--?[A-Za-z][A-Za-z0-9_-]*)(?:=|\s+)([^\s-][^\s]*)/g;
const FLAG_ONLY = /^--?[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * Whether a flag takes a password: its name has a secret word (`--password`, `--auth-token`,
 * `--api-key`), ends in PASS (`--requirepass`) or is redis' `--masterauth`; not a file or a path
 * that holds one (`--password-file`, `--tls-key-file`).
 */
export function isPasswordFlag(flag: string): boolean {
  const name = flag.replace(/^-+/, '').toUpperCase().replaceAll('-', '_');
  if (/(?:^|_)(?:FILE|PATH|DIR)$/.test(name)) return false;
  return secretName(name) !== undefined || /PASS$/.test(name) || name === 'MASTERAUTH';
}

/** The passwords in `word`, in order; `previous` is the word before it (a password flag on its own). */
export function commandSecrets(word: string, previous: string | undefined): CommandSecret[] {
  if (previous !== undefined && FLAG_ONLY.test(previous) && isPasswordFlag(previous) && !word.startsWith('-'))
    return word === '' || word.startsWith('${') ? [] : [{ start: 0, end: word.length, password: word, flag: previous }];
  const found: CommandSecret[] = [];
  for (const m of word.matchAll(URL_PASSWORD)) {
    const start = m.index + m[0].length - 1 - m[1]!.length;
    found.push({ start, end: start + m[1]!.length, password: m[1]! });
  }
  for (const m of word.matchAll(FLAG_VALUE)) {
    if (!isPasswordFlag(m[1]!) || m[2]!.startsWith('$')) continue;
    const end = m.index + m[0].length;
    const start = end - m[2]!.length;
    if (!found.some((f) => f.start < end && start < f.end)) found.push({ start, end, password: m[2]!, flag: m[1]! });
  }
  return found.sort((a, b) => a.start - b.start);
}
