/**
 * Passwords inside connection values: the `user:password@` of a URL (`postgres://u:p@db/x`) and the
 * `Password=` / `Pwd=` pair of an ADO.NET-style connection string
 * (`Server=db;User Id=sa;Password=S3cret;`). The import moves the password to a secret variable and
 * keeps the rest of the value in berth.yaml.
 */

/** A value cut around its password: `head + password + tail` is the value. */
export interface PasswordSplit {
  head: string;
  password: string;
  tail: string;
  /** `URL` or `connection string`, for the report. */
  kind: 'URL' | 'connection string';
}

const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)([^/\s@]+)(@.*)$/i;

// `Password=` at the start or after `;`, its value quoted ('…' or "…", the quote doubled inside) or
// up to the next `;`. Keys are case-insensitive and may have spaces around `=`, as in ADO.NET.
const CONNECTION_PASSWORD = /(?:^|;)\s*(?:password|pwd)\s*=\s*("(?:[^"]|"")*"|'(?:[^']|'')*'|[^;]*)/i;

/** The password of `value` and what surrounds it, or undefined when it holds none (or an empty one). */
export function splitPassword(value: string): PasswordSplit | undefined {
  const url = URL_PASSWORD.exec(value);
  if (url) return { head: url[1]!, password: url[2]!, tail: url[3]!, kind: 'URL' };
  const conn = CONNECTION_PASSWORD.exec(value);
  if (!conn || !value.includes(';')) return undefined;
  let token = conn[1]!.trimEnd();
  let start = conn.index + conn[0].length - conn[1]!.length;
  const quoted = /^["']/.test(token) && token.length >= 2 && token.endsWith(token[0]!);
  if (quoted) {
    start += 1;
    token = token.slice(1, -1);
  }
  if (token === '') return undefined;
  return {
    head: value.slice(0, start),
    password: token,
    tail: value.slice(start + token.length),
    kind: 'connection string',
  };
}
