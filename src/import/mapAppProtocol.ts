/**
 * What a service's ports speak. Databases, caches and brokers speak their own TCP protocols: their
 * ports get `appProtocol: tcp`, so Berth balances connections (not HTTP requests) and gives the
 * others `<SERVICE>_HOST`/`<SERVICE>_PORT` but no `<SERVICE>_URL`. Known by the image
 * (`postgres:16`, `bitnami/redis`) or by the port number. A service others reach only by host name
 * (`DB_HOST=db`, `postgres://db/app`) and that declares no port gets its image's port, so it has an
 * address the discovery variables can point at.
 */
import { discoveryPrefix } from '../spec/templates.js';
import type { ServiceContext } from './context.js';
import type { ServiceRef } from './discovery.js';

/** A well-known server: its image names (the last part of the repository), its port and protocol name. */
interface Known {
  images: string[];
  port: number;
  what: string;
  /** Other ports of the image that speak HTTP (a management UI), which would default to `tcp`. */
  http?: number[];
  /** Where the image keeps its data, and the environment variable that tells the server so. */
  data?: { path: string; env: string };
}

const KNOWN: readonly Known[] = [
  {
    images: ['postgres', 'postgis', 'timescaledb', 'pgvector'],
    port: 5432,
    what: 'PostgreSQL',
    data: { path: '/var/lib/postgresql/data', env: 'PGDATA' },
  },
  { images: ['postgresql'], port: 5432, what: 'PostgreSQL' },
  { images: ['mysql', 'mariadb', 'percona', 'percona-server', 'mysql-server'], port: 3306, what: 'MySQL' },
  { images: ['redis', 'redis-stack-server', 'valkey', 'keydb', 'dragonfly'], port: 6379, what: 'Redis (RESP)' },
  { images: ['mongo', 'mongodb', 'mongodb-community-server'], port: 27017, what: 'MongoDB' },
  { images: ['rabbitmq'], port: 5672, what: 'AMQP', http: [15672] },
  { images: ['kafka', 'cp-kafka', 'cp-server', 'redpanda'], port: 9092, what: 'Kafka' },
  { images: ['memcached'], port: 11211, what: 'memcached' },
  { images: ['zookeeper', 'cp-zookeeper'], port: 2181, what: 'ZooKeeper' },
  { images: ['nats'], port: 4222, what: 'NATS' },
  { images: ['cassandra', 'scylla'], port: 9042, what: 'CQL' },
  { images: ['eclipse-mosquitto', 'mosquitto', 'emqx'], port: 1883, what: 'MQTT' },
  { images: ['mssql', 'mssql-server'], port: 1433, what: 'SQL Server (TDS)' },
];

/** Non-HTTP ports known by number whatever the image (the protocol each speaks). */
const NON_HTTP_PORTS = new Map<number, string>([
  ...KNOWN.map((k) => [k.port, k.what] as const),
  [5671, 'AMQP over TLS'],
  [6380, 'Redis (RESP)'],
  [26379, 'Redis Sentinel'],
  [33060, 'MySQL X'],
  [4369, 'Erlang port mapper'],
  [25672, 'Erlang distribution'],
  [9093, 'Kafka'],
  [1521, 'Oracle'],
  [11210, 'memcached'],
  [8883, 'MQTT over TLS'],
]);

/** The well-known server an image runs: `postgres:16`, `docker.io/bitnami/postgresql@sha256:…` → PostgreSQL. */
export function knownImage(image: string | undefined): Known | undefined {
  if (!image) return undefined;
  const repo = image.replace(/@.*$/, '').replace(/:[^/]*$/, '');
  const last = repo.slice(repo.lastIndexOf('/') + 1).toLowerCase();
  // `mcr.microsoft.com/mssql/server` names its product in the part before.
  const parts = repo.toLowerCase().split('/');
  const name = last === 'server' && parts.length > 1 ? `${parts[parts.length - 2]}` : last;
  return KNOWN.find((k) => k.images.includes(name));
}

/**
 * Services that declare no port and that others reach by host name alone get the port of their
 * image (`DB_HOST=db` with `postgres:16` → 5432); refs are every service reference of every value.
 */
export function addImagePorts(services: ServiceContext[], refs: readonly { ref: ServiceRef; by: string }[]): void {
  for (const target of services) {
    if (target.out.ports.length > 0) continue;
    const by = refs.filter((r) => r.ref.composeName === target.composeName).map((r) => r.by);
    if (by.length === 0) continue;
    const known = knownImage(target.svc.image ?? undefined);
    if (!known) {
      target.report.unmapped(
        target.path,
        `reached by host name from ${[...new Set(by)].join(', ')}, but no port is known (none declared, and the image is not one Berth knows): add \`ports\` to give it an address`,
      );
      continue;
    }
    target.out.ports = [{ port: known.port }];
    target.report.changed(
      target.path,
      `services.${target.name}.ports`,
      `port ${known.port} added (${known.what}, the port of the image ${target.svc.image}): reached by host name from ${[...new Set(by)].join(', ')}; compose needs no port declaration inside its network, Berth needs one to give the service an address`,
    );
  }
}

/** Marks the ports of well-known non-HTTP servers `appProtocol: tcp` (explicit compose `app_protocol` wins). */
export function markAppProtocols(ctx: ServiceContext): void {
  const known = knownImage(ctx.svc.image ?? undefined);
  ctx.out.ports.forEach((p, i) => {
    if (p.appProtocol !== undefined || p.protocol === 'UDP') return;
    if (i > 0 && known?.http?.includes(p.port)) {
      p.appProtocol = 'http';
      ctx.report.changed(
        [...ctx.path, 'image'],
        `services.${ctx.name}.ports.${i}.appProtocol`,
        `port ${p.port} of ${ctx.svc.image} serves HTTP (its management UI): \`appProtocol: http\`, where a port after the first would be \`tcp\``,
      );
      return;
    }
    const what = known?.port === p.port ? known.what : NON_HTTP_PORTS.get(p.port);
    if (what === undefined) return;
    p.appProtocol = 'tcp';
    const by = known?.port === p.port ? `the image ${ctx.svc.image} serves ${what}` : `${p.port} is the ${what} port`;
    ctx.report.changed(
      ctx.svc.image && known?.port === p.port ? [...ctx.path, 'image'] : ctx.path,
      `services.${ctx.name}.ports.${i}.appProtocol`,
      `port ${p.port} speaks ${what}, not HTTP (${by}): \`appProtocol: tcp\`, so Berth balances its connections${i === 0 ? ` and the others get ${discoveryPrefix(ctx.name)}_HOST and ${discoveryPrefix(ctx.name)}_PORT but no ${discoveryPrefix(ctx.name)}_URL` : ' (no `_URL` for it)'}`,
    );
  });
}
