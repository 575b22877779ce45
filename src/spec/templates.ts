/**
 * Which strings of berth.yaml may use `${VARIABLES}` (and so are interpolated at render time), and
 * which variable names Berth itself provides so they need no declaration.
 */
import type { ServiceAddress } from '../model/observation.js';
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
 * `env` values and `files[].content`; and the `username` and `password` of each of `registries` (as
 * `service` `registries.<host>`). Works on the raw YAML data and on a parsed `AppSpec` alike.
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
  // A registry's credentials are the app's, used by no service in particular.
  const registries = isMap(spec) && isMap(spec.registries) ? spec.registries : {};
  for (const [host, r] of Object.entries(registries)) {
    if (!isMap(r)) continue;
    for (const key of ['username', 'password'] as const) {
      const v = r[key];
      if (typeof v === 'string')
        out.push({ service: `registries.${host}`, path: ['registries', host, key], template: v });
    }
  }
  return out;
}

/** `orders-db` → `ORDERS_DB`: the prefix of a service's discovery variables. */
export function discoveryPrefix(service: string): string {
  return service.toUpperCase().replaceAll('-', '_');
}

/** `metrics-http` → `METRICS_HTTP`: a port name in `PORT_<NAME>` and `<SVC>_<NAME>_PORT`. */
export function portVariable(name: string): string {
  return name.toUpperCase().replaceAll('-', '_');
}

/** What discovery needs to know of a port: its name and whether it carries requests (http, grpc). */
export interface DiscoveryPort {
  name: string;
  /** http or grpc: the port gets a `_URL`. */
  requests: boolean;
}

/**
 * The ports of a service as discovery names them, from berth.yaml data (raw or parsed): the first port
 * (`<SVC>_PORT`, `<SVC>_URL` only when it carries requests) and the TCP ports after it.
 */
export function discoveryPorts(service: unknown): DiscoveryPort[] {
  const ports = isMap(service) && Array.isArray(service.ports) ? (service.ports as unknown[]) : [];
  const out: DiscoveryPort[] = [];
  ports.forEach((p, i) => {
    const long = isMap(p) ? p : { port: p };
    const udp = long.protocol === 'UDP';
    const app = long.appProtocol ?? (udp ? undefined : i === 0 ? 'http' : 'tcp');
    const name = typeof long.name === 'string' ? long.name : i === 0 ? 'http' : `port-${String(long.port)}`;
    if (i > 0 && udp) return;
    out.push({ name, requests: app === 'http' || app === 'grpc' });
  });
  return out;
}

/**
 * The discovery variable names of one service: `<SVC>_HOST`, `<SVC>_PORT`, `<SVC>_URL` (only when its
 * first port carries requests, or it has none), and `<SVC>_<PORTNAME>_PORT` (+ `_URL` for http/grpc)
 * of each TCP port after the first.
 */
export function discoveryNames(service: string, ports: readonly DiscoveryPort[]): string[] {
  const p = discoveryPrefix(service);
  const out = [`${p}_HOST`, `${p}_PORT`];
  if (ports[0]?.requests !== false) out.push(`${p}_URL`);
  for (const port of ports.slice(1)) {
    out.push(`${p}_${portVariable(port.name)}_PORT`);
    if (port.requests) out.push(`${p}_${portVariable(port.name)}_URL`);
  }
  return out;
}

/** The discovery variables of one service's address, into `env` (see `discoveryNames`). */
export function addressVariables(service: string, addr: ServiceAddress, env: Record<string, string>): void {
  const p = discoveryPrefix(service);
  env[`${p}_HOST`] = addr.host;
  env[`${p}_PORT`] = String(addr.port);
  if (addr.opaque === undefined) env[`${p}_URL`] = addr.url;
  for (const port of addr.ports ?? []) {
    env[`${p}_${portVariable(port.name)}_PORT`] = String(port.port);
    if (port.url !== undefined) env[`${p}_${portVariable(port.name)}_URL`] = port.url;
  }
}

/** The discovery variables `self` sees: every service's in `discovery` but its own. */
export function discoveryFor(
  self: string,
  discovery: Record<string, string>,
  ports: readonly { name: string }[] = [],
): Record<string, string> {
  const p = discoveryPrefix(self);
  const own = new Set([`${p}_HOST`, `${p}_PORT`, `${p}_URL`]);
  for (const port of ports.slice(1)) {
    own.add(`${p}_${portVariable(port.name)}_PORT`);
    own.add(`${p}_${portVariable(port.name)}_URL`);
  }
  const others: Record<string, string> = {};
  for (const [k, v] of Object.entries(discovery)) if (!own.has(k)) others[k] = v;
  return others;
}

/**
 * The discovery variables Berth gives services, which berth.yaml may use without declaring them
 * (see `discoveryNames`) → the service they point at. Built once per spec and looked up per field.
 * `services` maps each service name to its berth.yaml data (raw or parsed).
 */
export function discoveryOwners(services: Record<string, unknown>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [s, data] of Object.entries(services))
    for (const name of discoveryNames(s, discoveryPorts(data))) owners.set(name, s);
  return owners;
}

/** Whether `name` is a discovery variable that a template of `self` may use (another service's address). */
export function isDiscoveryFor(owners: Map<string, string>, name: string, self: string | undefined): boolean {
  const owner = owners.get(name);
  return owner !== undefined && owner !== self;
}

/** Variables that only exist when a replica runs: berth.yaml leaves them to the shell as `$$PORT`. */
export const RUNTIME_VARIABLES: ReadonlySet<string> = new Set(['PORT', 'BERTH_CONFIG_DIR']);
