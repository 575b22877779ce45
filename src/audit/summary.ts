/**
 * What the audit log keeps of a request body (docs/access.md "Audit log"): a summary of the change with
 * every secret masked. Per operation, a rule says which fields are kept (an allow list where the body
 * carries a password) and how secrets are masked (config values of secret keys, secret files, pipeline
 * variables); for every operation, a field named like a password, a secret, a token or a private key is
 * never stored (the mask stands for it), and long texts (a berth.yaml, a pipeline file) are kept as
 * their sha256 and size.
 */
import { hash } from 'node:crypto';
import { MASK } from '../model/mask.js';

/** What a summary may need to know about the target: the config keys and files that are secret. */
export interface SummaryContext {
  /** Config value keys that are secret in the app's environment (before or after the change). */
  secretKeys?: ReadonlySet<string>;
  /** Config files that are secret there. */
  secretFiles?: ReadonlySet<string>;
}

/** A field whose value is never stored, whatever the operation (a boolean flag such as `secret: true` is kept). */
export const NEVER_STORED = /pass(word|phrase)|secret|token|credential|private_?key|api_?key|authorization|cookie/i;

/** A string longer than this is kept as its sha256 and size. */
export const LONG_TEXT = 1024;

/** A text as the log keeps it when not in clear: its digest and size in bytes. */
export function digestOf(text: string): { sha256: string; size: number } {
  return { sha256: hash('sha256', text), size: Buffer.byteLength(text) };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The generic masking every summary goes through last. */
export function masked(value: unknown, depth = 0): unknown {
  if (depth > 12) return MASK;
  if (typeof value === 'string') return value.length > LONG_TEXT ? digestOf(value) : value;
  if (Array.isArray(value)) return value.map((v) => masked(v, depth + 1));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (NEVER_STORED.test(k) && typeof v !== 'boolean' && v !== null) out[k] = MASK;
    // A spec or pipeline file ({ file, text }): its text as digest, whatever its length.
    else if (k === 'text' && typeof v === 'string') out[k] = digestOf(v);
    else out[k] = masked(v, depth + 1);
  }
  return out;
}

/** The fields of `body` named in `fields`, absent ones left out. */
function pick(body: unknown, fields: readonly string[]): Record<string, unknown> {
  if (!isObject(body)) return {};
  return Object.fromEntries(fields.filter((f) => Object.hasOwn(body, f)).map((f) => [f, body[f]]));
}

function mapValues(record: unknown, fn: (key: string, value: unknown) => unknown): Record<string, unknown> | undefined {
  if (!isObject(record)) return undefined;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(k, v)]));
}

/** A config change: values of secret keys (now, or made so) and secret files' contents masked; plain files as digests. */
function configChange(body: unknown, c: SummaryContext): unknown {
  if (!isObject(body)) return undefined;
  const secretKeys = c.secretKeys;
  const secretFiles = c.secretFiles;
  const set = mapValues(body['set'], (key, v) => {
    const entry = typeof v === 'string' ? { value: v } : isObject(v) ? v : {};
    // Unknown secrecy (the lookup failed): masked. A key is secret when made so, or when it is and stays so.
    const secret =
      entry['secret'] === true || (entry['secret'] !== false && (secretKeys === undefined || secretKeys.has(key)));
    return {
      value: secret ? MASK : entry['value'],
      ...(typeof entry['secret'] === 'boolean' ? { secret: entry['secret'] } : {}),
    };
  });
  const files = mapValues(body['files'], (path, v) =>
    v === null
      ? null
      : secretFiles === undefined || secretFiles.has(path) || typeof v !== 'string'
        ? MASK
        : digestOf(v),
  );
  // Secret files: their names only (the field's own name would have the generic masking hide them).
  const confidentialFiles = isObject(body['secretFiles']) ? Object.keys(body['secretFiles']) : undefined;
  const plainFiles = mapValues(body['plainFiles'], (_p, v) => (typeof v === 'string' ? digestOf(v) : MASK));
  return {
    ...pick(body, ['baseVersion', 'unset', 'message']),
    ...(set ? { set } : {}),
    ...(files ? { files } : {}),
    ...(confidentialFiles ? { confidentialFiles } : {}),
    ...(plainFiles ? { plainFiles } : {}),
  };
}

type Rule = (body: unknown, c: SummaryContext) => unknown;

const only =
  (...fields: string[]): Rule =>
  (body) =>
    pick(body, fields);

/**
 * The operations whose body needs more than the generic masking, by operationId (Map: own keys only).
 * Sign-ins keep only who and for how long (an allow list: never the password); a config change masks by
 * the keys' secrecy; a pipeline keeps its variables' names only (they fill webhook.secret).
 */
export const SUMMARY_RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['logIn', only('user', 'expiresIn', 'name')],
  ['openSession', only('user')],
  ['changeConfig', configChange],
  // A plan may preview a config change (nothing is written; its secrets are masked all the same).
  [
    'plan',
    (body, c) =>
      isObject(body) && isObject(body['config']) ? { ...body, config: configChange(body['config'], c) } : body,
  ],
  [
    'setPipeline',
    (body) =>
      isObject(body)
        ? {
            ...pick(body, ['file', 'text']),
            ...(isObject(body['variables']) ? { variables: mapValues(body['variables'], () => MASK) } : {}),
          }
        : undefined,
  ],
  ['createUser', only('name', 'kind', 'displayName', 'groups')],
  ['createToken', only('name', 'user', 'scopes', 'expiresIn', 'description')],
]);

/** The summary the log keeps of `body` sent to operation `operationId` (undefined: no body). */
export function summarize(operationId: string, body: unknown, c: SummaryContext = {}): unknown {
  if (body === undefined || body === null) return undefined;
  const rule = SUMMARY_RULES.has(operationId) ? SUMMARY_RULES.get(operationId) : undefined;
  const kept = rule ? rule(body, c) : body;
  return masked(kept);
}
