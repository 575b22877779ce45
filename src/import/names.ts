/**
 * Names: compose allows `web_1` or `API.v2` where Berth wants DNS labels, and environment keys such
 * as `spring.datasource.url` where Berth variables are shell names. Also the "looks like a secret"
 * rule applied to variable names and values.
 */
import { splitPassword } from './connectionPassword.js';
import { APP_NAME, NAME_MAX_LENGTH, SERVICE_NAME, VARIABLE_NAME } from '../spec/schema.js';

/** A DNS-label form of `name`: lowercase, `_` and `.` become `-`, starting with a letter when `letterFirst`. */
export function dnsLabel(name: string, letterFirst: boolean, fallback: string): string {
  let out = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (letterFirst) out = out.replace(/^[^a-z]+/, '');
  out = out.slice(0, NAME_MAX_LENGTH).replace(/-+$/, '');
  return out === '' ? fallback : out;
}

/** The app name: `--app`, else compose's `name`, else the compose file's folder, made a DNS label. */
export function appName(candidate: string): string {
  const name = dnsLabel(candidate, false, 'app');
  return APP_NAME.test(name) ? name : 'app';
}

/** Berth service names for compose service names, unique, in the same order. */
export function serviceNames(composeNames: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of composeNames) {
    const base = dnsLabel(n, true, 'service');
    let name = base;
    for (let i = 2; taken.has(name) || !SERVICE_NAME.test(name); i++) {
      const suffix = `-${i}`;
      name = `${base.slice(0, NAME_MAX_LENGTH - suffix.length)}${suffix}`;
    }
    taken.add(name);
    out.set(n, name);
  }
  return out;
}

/** A variable name for an environment key: characters other than letters, digits and `_` become `_`. */
export function variableName(key: string): string {
  let out = key.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(out)) out = `_${out}`;
  return VARIABLE_NAME.test(out) ? out : 'VALUE';
}

/** `orders-db` → `ORDERS_DB`, as Berth's discovery variables and per-service variable prefixes. */
export function upperName(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}

const SECRET_WORDS = ['PASSWORD', 'PASSWD', 'SECRET', 'TOKEN', 'CREDENTIAL', 'PRIVATE'];

/** Why a variable name looks like it holds a secret, or undefined. */
export function secretName(key: string): string | undefined {
  const upper = key.toUpperCase();
  const word = SECRET_WORDS.find((w) => upper.includes(w));
  if (word) return `the name contains ${word}`;
  // KEY as a word of the name (API_KEY, APIKEY, ACCESS_KEY_ID), not inside another word (KEYCLOAK_URL).
  const parts = upper.split(/[^A-Z0-9]+/);
  if (parts.some((p) => p === 'KEY' || /^(API|ACCESS|SECRET|PRIVATE|MASTER|ENCRYPTION|SIGNING|AUTH)KEY$/.test(p)))
    return 'the name contains KEY';
  if (parts.includes('PWD') || parts.includes('PASS')) return 'the name contains a password word';
  return undefined;
}

/** Why a value looks like it holds a secret (a password inside a URL or a connection string), or undefined. */
export function secretValue(value: string): string | undefined {
  if (/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(value)) return 'the value has a password in a URL';
  return splitPassword(value)?.kind === 'connection string'
    ? 'the value has a password in a connection string'
    : undefined;
}
