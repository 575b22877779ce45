/**
 * Service addresses inside values. In compose a service reaches another by its name on the
 * compose network (`redis:6379`, `postgres://db/app`); Berth tells each service where the others
 * are (`${REDIS_HOST}`, `${REDIS_PORT}`), which is right on one machine (the service proxy) and on
 * clusters (the Service's DNS name) alike. Values are rewritten to use them.
 */
import { discoveryPrefix } from '../spec/templates.js';
import { literal } from './context.js';

/** What the rewriting needs to know about a service. */
export interface AddressInfo {
  composeName: string;
  name: string;
  /** The port Berth's `<SERVICE>_PORT` points at (the first port), if the service has ports. */
  primaryPort?: number;
}

/** One service reference found in a value. */
export interface ServiceRef {
  composeName: string;
  /** The text that referred to it (`db:5432`, `db`), and where it starts in the value. */
  text: string;
  index: number;
  port?: number;
  /** How the reference was rewritten, when it was. */
  to?: string;
}

const HOST_KEY = /(HOST|HOSTNAME|SERVER|ADDR|ADDRESS|ENDPOINT)$/i;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every `service[:port]` host reference to another service in a value. */
export function findServiceRefs(
  value: string,
  key: string,
  self: string,
  services: readonly AddressInfo[],
): ServiceRef[] {
  const others = services.filter((s) => s.composeName !== self).map((s) => s.composeName);
  if (others.length === 0) return [];
  const names = others
    .sort((a, b) => b.length - a.length)
    .map(escape)
    .join('|');
  const re = new RegExp(`(?<![A-Za-z0-9_.\\-])(${names})(?::(\\d+))?(?![A-Za-z0-9_.\\-:])`, 'g');
  const refs: ServiceRef[] = [];
  for (const m of value.matchAll(re)) {
    const before = value.slice(0, m.index);
    const after = value.slice(m.index + m[0].length);
    const urlHost = /(:\/\/|@)$/.test(before) && /^([/?#]|$)/.test(after);
    const whole = m[0] === value && m[2] === undefined && HOST_KEY.test(key);
    if (m[2] === undefined && !urlHost && !whole) continue;
    refs.push({
      composeName: m[1]!,
      text: m[0],
      index: m.index,
      ...(m[2] === undefined ? {} : { port: Number(m[2]) }),
    });
  }
  return refs;
}

/**
 * The value as a berth.yaml template using discovery variables (literal parts escaped), and the
 * references found; `template` is undefined when no reference could be rewritten.
 */
export function rewriteServiceRefs(
  value: string,
  key: string,
  self: string,
  services: readonly AddressInfo[],
): { template?: string; refs: ServiceRef[] } {
  const refs = findServiceRefs(value, key, self, services);
  let out = '';
  let last = 0;
  let rewritten = false;
  for (const ref of refs) {
    const svc = services.find((s) => s.composeName === ref.composeName)!;
    const prefix = discoveryPrefix(svc.name);
    let to: string | undefined;
    if (svc.primaryPort !== undefined && (ref.port === undefined || ref.port === svc.primaryPort))
      to =
        ref.port === undefined && ref.text === value ? `\${${prefix}_HOST}` : `\${${prefix}_HOST}:\${${prefix}_PORT}`;
    out += literal(value.slice(last, ref.index));
    out += to ?? literal(ref.text);
    last = ref.index + ref.text.length;
    if (to) {
      ref.to = to;
      rewritten = true;
    }
  }
  out += literal(value.slice(last));
  return rewritten ? { template: out, refs } : { refs };
}

/**
 * The service whose port a `<PREFIX>_PORT` value gives, when the same service's `<PREFIX>_HOST`
 * (or `_HOSTNAME`, `_SERVER`, `_ADDR`) names it and the value is its first port: `DB_HOST=db` with
 * `DB_PORT=5432`, `PGHOST=db` with `PGPORT=5432`. On one machine a service's address has another
 * port, so such a value must become `${<SERVICE>_PORT}` too.
 */
export function portPartner(
  key: string,
  value: string,
  env: readonly { key: string; value: string | undefined }[],
  services: readonly AddressInfo[],
): AddressInfo | undefined {
  const m = /^(.*?)_?PORT$/i.exec(key);
  if (!m || !/^\d+$/.test(value.trim())) return undefined;
  const prefix = m[1]!;
  for (const e of env) {
    const h = /^(.*?)_?(HOST|HOSTNAME|SERVER|ADDR)$/i.exec(e.key);
    if (!h || h[1] !== prefix || e.value === undefined) continue;
    const svc = services.find((s) => s.composeName === e.value);
    if (svc?.primaryPort === Number(value)) return svc;
  }
  return undefined;
}
