/**
 * Declared variables named like a discovery variable. Berth gives every service the addresses of the
 * others as `<SERVICE>_HOST`, `_PORT`, `_URL` and, per named port, `<SERVICE>_<PORT>_PORT` and
 * `<SERVICE>_<PORT>_URL`; a variable declared under that name would win over the address wherever it
 * is used (config values come before discovery), so a service would be sent to a fixed host or port
 * instead of where the other service runs. Such a declaration is refused at its key.
 */
import type { Finding } from './problems.js';
import { discoveryPrefix } from './templates.js';

/** What follows `<SERVICE>_` in a discovery variable: HOST, PORT, URL, or `<PORT NAME>_PORT|_URL`. */
const DISCOVERY_SUFFIX = /^(?:HOST|PORT|URL|[A-Za-z0-9_]+_(?:PORT|URL))$/;

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The service whose discovery variable `name` is, by the rule above, or undefined. With services
 * `db` and `db-admin`, `DB_ADMIN_PORT` is db-admin's (the longest matching prefix).
 */
export function discoveryServiceOf(name: string, byPrefix: Map<string, string>): string | undefined {
  for (let i = name.lastIndexOf('_'); i > 0; i = name.lastIndexOf('_', i - 1)) {
    const service = byPrefix.get(name.slice(0, i));
    if (service !== undefined && DISCOVERY_SUFFIX.test(name.slice(i + 1))) return service;
  }
  return undefined;
}

/** One finding per declared variable that has the name of a service's discovery variable. */
export function shadowingFindings(data: Record<string, unknown>, services: string[]): Finding[] {
  if (!isMap(data.variables)) return [];
  const byPrefix = new Map(services.map((s) => [discoveryPrefix(s), s]));
  const out: Finding[] = [];
  for (const name of Object.keys(data.variables)) {
    const service = discoveryServiceOf(name, byPrefix);
    if (service === undefined) continue;
    const p = discoveryPrefix(service);
    out.push({
      path: ['variables', name],
      at: 'key',
      message:
        `variable \`${name}\` has the name of a discovery variable of service \`${service}\` ` +
        `(${p}_HOST, ${p}_PORT, ${p}_URL, ${p}_<PORT>_PORT, ${p}_<PORT>_URL): Berth sets it to where \`${service}\` runs, ` +
        `and a declared variable would replace that address; use \`\${${name}}\` without declaring it, or rename the variable`,
    });
  }
  return out;
}

/** Whether a name is a discovery variable of one of `services` (a name no variable may have). */
export function reservedNames(services: Iterable<string>): (name: string) => boolean {
  const byPrefix = new Map([...services].map((s) => [discoveryPrefix(s), s]));
  return (name) => discoveryServiceOf(name, byPrefix) !== undefined;
}
