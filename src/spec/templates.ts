/**
 * Which strings of berth.yaml may use `${VARIABLES}` (and so are interpolated at render time), and
 * which variable names Berth itself provides so they need no declaration.
 */
import type { DocPath } from './problems.js';

/** A string that may hold variable references, with its place in the document. */
export interface TemplateField {
  service: string;
  /** Path from the document root, e.g. `['services', 'web', 'env', 'GREETING']`. */
  path: DocPath;
  template: string;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Every interpolated string of every service: `command` and `entrypoint` (string or each argv item), `cwd`, `image`,
 * `env` values and `files[].content`. Works on the raw YAML data and on a parsed `AppSpec` alike.
 */
export function templateFields(spec: unknown): TemplateField[] {
  const out: TemplateField[] = [];
  const services = isMap(spec) && isMap(spec.services) ? spec.services : {};
  for (const [service, s] of Object.entries(services)) {
    if (!isMap(s)) continue;
    const add = (path: DocPath, v: unknown) => {
      if (typeof v === 'string') out.push({ service, path: ['services', service, ...path], template: v });
    };
    for (const key of ['command', 'entrypoint'] as const) {
      const value = s[key];
      if (Array.isArray(value)) value.forEach((arg, i) => add([key, i], arg));
      else add([key], value);
    }
    add(['cwd'], s.cwd);
    add(['image'], s.image);
    if (isMap(s.env)) for (const [k, v] of Object.entries(s.env)) add(['env', k], v);
    if (Array.isArray(s.files)) s.files.forEach((f, i) => isMap(f) && add(['files', i, 'content'], f.content));
  }
  return out;
}

/** `orders-db` → `ORDERS_DB`: the prefix of a service's discovery variables. */
export function discoveryPrefix(service: string): string {
  return service.toUpperCase().replaceAll('-', '_');
}

/** The discovery variables `self` sees: every service's in `discovery` but its own. */
export function discoveryFor(self: string, discovery: Record<string, string>): Record<string, string> {
  const p = discoveryPrefix(self);
  const { [`${p}_HOST`]: _host, [`${p}_PORT`]: _port, [`${p}_URL`]: _url, ...others } = discovery;
  return others;
}

/**
 * The discovery variables Berth gives services, which berth.yaml may use without declaring them:
 * `<SERVICE>_HOST`, `<SERVICE>_PORT` and `<SERVICE>_URL` → the service they point at. Built once per
 * spec and looked up per field (an app of n services has 3n of them).
 */
export function discoveryOwners(services: Iterable<string>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const s of services)
    for (const suffix of ['HOST', 'PORT', 'URL']) owners.set(`${discoveryPrefix(s)}_${suffix}`, s);
  return owners;
}

/** Whether `name` is a discovery variable that a template of `self` may use (another service's address). */
export function isDiscoveryFor(owners: Map<string, string>, name: string, self: string | undefined): boolean {
  const owner = owners.get(name);
  return owner !== undefined && owner !== self;
}

/** Variables that only exist when a replica runs: berth.yaml leaves them to the shell as `$$PORT`. */
export const RUNTIME_VARIABLES: ReadonlySet<string> = new Set(['PORT', 'BERTH_CONFIG_DIR']);
