/**
 * `ports` and `expose`. A Berth port is a port the service listens on (the container port); a
 * compose host port (`8080:80`) publishes it on the host, which Berth does through `routes`
 * instead, so the host side is reported. Ranges are expanded port by port.
 */
import { APP_PROTOCOLS } from '../model/ports.js';
import type { AppProtocol } from '../model/ports.js';
import type { ServiceContext, ServiceOut } from './context.js';
import { problemAt } from './context.js';
import { DNS_LABEL as PORT_NAME } from '../model/names.js';

const MAX_RANGE = 100;

interface ParsedPort {
  ports: number[];
  protocol: string;
  hostIp?: string;
  published?: string;
  name?: string;
}

function range(text: string): number[] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from || to - from >= MAX_RANGE) return undefined;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** `[[ip:]host[-range]:]container[-range][/protocol]`; an IPv6 host ip may be in brackets. */
export function parseShortPort(text: string): ParsedPort | undefined {
  const slash = text.lastIndexOf('/');
  const protocol = slash < 0 ? 'tcp' : text.slice(slash + 1).toLowerCase();
  const body = slash < 0 ? text : text.slice(0, slash);
  const parts = body.split(':');
  const container = range(parts.pop() ?? '');
  if (!container) return undefined;
  const published = parts.pop();
  const hostIp = parts.length > 0 ? parts.join(':').replace(/^\[|\]$/g, '') : undefined;
  return {
    ports: container,
    protocol,
    ...(published ? { published } : {}),
    ...(hostIp ? { hostIp } : {}),
  };
}

/** Maps ports and expose; returns nothing, fills `ctx.out.ports`. */
export function mapPorts(ctx: ServiceContext): void {
  const { svc, report } = ctx;
  const to = `services.${ctx.name}.ports`;
  const entries: { port: number; protocol: 'TCP' | 'UDP'; name?: string }[] = [];
  /** Compose `app_protocol` of TCP ports, by port number. */
  const appProtocols = new Map<number, AppProtocol>();
  const add = (path: (string | number)[], p: ParsedPort, shown: string) => {
    const protocol = p.protocol.toUpperCase();
    if (protocol !== 'TCP' && protocol !== 'UDP') {
      report.unmapped(path, `protocol \`${p.protocol}\`: Berth ports are TCP or UDP`);
      return;
    }
    const notes: string[] = [];
    if (p.ports.length > 1) notes.push(`the range became ${p.ports.length} ports`);
    const host = p.published ? `host port ${p.published}${p.hostIp ? ` of ${p.hostIp}` : ''}` : '';
    if (p.published && protocol !== 'TCP')
      notes.push(`published on ${host} in compose: Berth publishes services through \`routes\`, which are HTTP`);
    const dupes: number[] = [];
    for (const port of p.ports) {
      if (entries.some((e) => e.port === port && e.protocol === protocol)) dupes.push(port);
      else entries.push({ port, protocol: protocol as 'TCP' | 'UDP', ...(p.name ? { name: p.name } : {}) });
    }
    if (dupes.length) notes.push(`${dupes.join(', ')} already listed: kept once`);
    const what = `listens on ${p.ports.length > 1 ? `ports ${p.ports[0]}-${p.ports[p.ports.length - 1]}` : `port ${p.ports[0]}`}${protocol === 'UDP' ? '/udp' : ''} (\`${shown}\`)`;
    // Published TCP ports are reported with the route they become (mapRoutes.ts).
    if (p.published && protocol === 'TCP') ctx.published.push({ path, ports: p.ports, host, what, notes });
    else if (notes.length) report.changed(path, to, `${what}; ${notes.join('; ')}`);
    else report.mapped(path, to, what);
  };

  (svc.ports ?? []).forEach((entry, i) => {
    const path = [...ctx.path, 'ports', i];
    if (typeof entry === 'number' || typeof entry === 'string') {
      const p = parseShortPort(String(entry));
      if (!p)
        return problemAt(
          ctx,
          path,
          `\`${entry}\` is not a port mapping ([ip:]host:container[/protocol], ranges of at most ${MAX_RANGE} ports)`,
        );
      return add(path, p, String(entry));
    }
    if (entry.target < 1 || entry.target > 65535)
      return problemAt(ctx, [...path, 'target'], 'must be between 1 and 65535');
    const name = entry.name?.toLowerCase();
    const validName = name !== undefined && name.length <= 15 && PORT_NAME.test(name) ? name : undefined;
    if (entry.name !== undefined && !validName)
      report.changed(
        [...path, 'name'],
        to,
        `\`${entry.name}\` is not a Berth port name (lowercase letters, digits, \`-\`, at most 15): default name used`,
      );
    if (entry.mode === 'host')
      report.unmapped([...path, 'mode'], 'host mode publishing: Berth publishes through `routes`');
    if (entry.app_protocol) {
      const app = entry.app_protocol.toLowerCase();
      if ((APP_PROTOCOLS as readonly string[]).includes(app) && (entry.protocol ?? 'tcp').toLowerCase() === 'tcp') {
        appProtocols.set(entry.target, app as AppProtocol);
        report.mapped([...path, 'app_protocol'], `${to}.appProtocol`);
      } else
        report.unmapped(
          [...path, 'app_protocol'],
          `\`${entry.app_protocol}\`: a Berth TCP port speaks \`http\`, \`grpc\` or \`tcp\` (opaque connections)`,
        );
    }
    add(
      path,
      {
        ports: [entry.target],
        protocol: entry.protocol ?? 'tcp',
        ...(entry.published === undefined ? {} : { published: String(entry.published) }),
        ...(entry.host_ip ? { hostIp: entry.host_ip } : {}),
        ...(validName ? { name: validName } : {}),
      },
      `target: ${entry.target}`,
    );
  });

  (svc.expose ?? []).forEach((entry, i) => {
    const path = [...ctx.path, 'expose', i];
    const p = parseShortPort(String(entry));
    if (!p || p.published) return problemAt(ctx, path, `\`${entry}\` is not a port (port[-range][/protocol])`);
    add(path, p, String(entry));
  });

  ctx.out.ports = named(entries);
  for (const p of ctx.out.ports) {
    const app = p.protocol === 'UDP' ? undefined : appProtocols.get(p.port);
    if (app) p.appProtocol = app;
  }
}

/** Port names as the schema would default them, explicit names kept when they are unique. */
function named(entries: { port: number; protocol: 'TCP' | 'UDP'; name?: string }[]): ServiceOut['ports'] {
  const sharedNumber = new Set(entries.map((e) => e.port)).size < entries.length;
  if (!entries.some((e) => e.name) && !sharedNumber)
    return entries.map((e) => (e.protocol === 'TCP' ? { port: e.port } : { port: e.port, protocol: e.protocol }));
  const used = new Set<string>();
  const explicit = entries.map((e) => {
    if (!e.name || used.has(e.name)) return undefined;
    used.add(e.name);
    return e.name;
  });
  return entries.map((e, i) => {
    let name = explicit[i] ?? (i === 0 && !used.has('http') ? 'http' : `port-${e.port}`);
    if (explicit[i] === undefined && used.has(name)) name = `port-${e.port}-${e.protocol.toLowerCase()}`;
    used.add(name);
    return { name, port: e.port, protocol: e.protocol };
  });
}
