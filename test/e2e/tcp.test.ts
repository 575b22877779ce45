/**
 * Services that do not speak HTTP, on one machine, on both data planes: Debian's redis-server is
 * reached through its discovery address by another service's replica (`redis-cli ping` → PONG),
 * every declared port gets its own address (`PORT_<NAME>` on the replica side), and a TCP echo
 * service of 3 replicas is roll-restarted under a connection load without one failed connection.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, waitFor, writeApp, type Berth } from './harness.js';

const execFileP = promisify(execFile);
const APP = 'tcp-demo';

interface PortAddress {
  name: string;
  port: number;
  appProtocol?: string;
  url?: string;
}
interface Status {
  services: {
    service: string;
    address?: { host: string; port: number; url: string; opaque?: string; ports?: PortAddress[] };
    replicas: { id: string }[];
  }[];
}

const ECHO = `
import { createServer } from 'node:net';
import { createServer as createHttp } from 'node:http';
const server = createServer((s) => {
  s.on('error', () => undefined);
  s.pipe(s);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
const admin = createHttp((req, res) => res.end(\`admin of \${process.env.BERTH_REPLICA}\`));
admin.listen(Number(process.env.PORT_ADMIN), '127.0.0.1');
process.on('SIGTERM', () => {
  // Like a preStop sleep: connections already on their way are still accepted, then no new ones.
  setTimeout(() => {
    admin.close();
    server.close(() => process.exit(0));
  }, 300);
  setTimeout(() => process.exit(0), 4000).unref();
});
`;

const SPEC = [
  `name: ${APP}`,
  'services:',
  '  redis:',
  "    command: /usr/bin/redis-server --port $$PORT --bind 127.0.0.1 --save '' --appendonly no",
  '    ports: [{ port: 6379, appProtocol: tcp }]',
  '    health: { readiness: { tcp: {} } }',
  '  pinger:',
  "    command: 'while true; do /usr/bin/redis-cli -h ${REDIS_HOST} -p ${REDIS_PORT} ping; sleep 0.5; done'",
  '    dependsOn: [redis]',
  '  echo:',
  '    command: node echo.mjs',
  '    replicas: 3',
  '    ports:',
  '      - { name: echo, port: 7000, appProtocol: tcp }',
  '      - { name: admin, port: 7001, appProtocol: http }',
  '    health: { readiness: { tcp: {}, period: 1s } }',
  '    terminationGracePeriod: 5s',
];

/** GET on a connection of its own. */
function getOnce(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** One connection: send a line, expect it back, close. Throws on anything else. */
function exchange(port: number, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timeout after ${JSON.stringify(got)}`));
    }, 5_000);
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('data', (d) => {
      got += d.toString();
      if (got === line) {
        clearTimeout(timer);
        s.end();
        resolve();
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      if (got !== line) reject(new Error(`closed after ${JSON.stringify(got)}`));
    });
    s.write(line);
  });
}

/** Connections in a bounded loop over `workers` concurrent clients until stopped. */
function connectionLoad(port: number, workers = 4): { stop(): Promise<{ ok: number; failed: string[] }> } {
  let running = true;
  const result = { ok: 0, failed: [] as string[] };
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; running && i < 100_000; i++) {
      try {
        await exchange(port, `w${w}-${i}\n`);
        result.ok++;
      } catch (err) {
        result.failed.push(String(err));
      }
    }
  };
  const all = Array.from({ length: workers }, (_, w) => worker(w));
  return {
    async stop() {
      running = false;
      await Promise.all(all);
      return result;
    },
  };
}

describe.each(['node', 'haproxy'] as const)('TCP services, %s data plane', (plane) => {
  let berth: Berth;
  let dir: string;

  beforeAll(async () => {
    dir = await writeApp(`tcp-${plane}`, { 'berth.yaml': SPEC, 'echo.mjs': ECHO });
    berth = await startBerth({ env: { BERTH_DATA_PLANE: plane } });
    const r = await berth.cli(['deploy', dir]);
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await berth?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('redis-server answers PONG to redis-cli in another service, through REDIS_HOST:REDIS_PORT', async () => {
    const st = await berth.json<Status>(['status', APP]);
    const redis = st.services.find((s) => s.service === 'redis')!;
    // An opaque address: no http:// URL.
    expect(redis.address).toMatchObject({ host: '127.0.0.1', opaque: 'tcp' });
    expect(redis.address!.url).toBe(`tcp://127.0.0.1:${redis.address!.port}`);
    const logs = await waitFor(
      'PONG in the logs of pinger',
      async () => {
        const r = await berth.cli(['logs', `${APP}/pinger`]);
        return r.stdout.includes('PONG') ? r.stdout : undefined;
      },
      15_000,
      300,
    );
    expect(logs).toContain('PONG');
    // And from here, through the same address.
    const { stdout } = await execFileP('/usr/bin/redis-cli', [
      '-h',
      '127.0.0.1',
      '-p',
      String(redis.address!.port),
      'ping',
    ]);
    expect(stdout.trim()).toBe('PONG');
  });

  it('gives every port its own address: the admin port over HTTP reaches the replicas on PORT_ADMIN', async () => {
    const st = await berth.json<Status>(['status', APP]);
    const echo = st.services.find((s) => s.service === 'echo')!;
    expect(echo.address!.opaque).toBe('tcp');
    const admin = echo.address!.ports!.find((p) => p.name === 'admin')!;
    expect(admin).toMatchObject({ appProtocol: 'http', url: `http://127.0.0.1:${admin.port}` });
    const seen = new Set<string>();
    // A connection each (L4 balances connections, not requests).
    for (let i = 0; i < 9; i++) seen.add(await getOnce(admin.url!));
    expect([...seen].sort()).toEqual(echo.replicas.map((r) => `admin of ${r.id}`).sort());
    const text = await berth.cli(['status', APP]);
    expect(text.stdout).toContain(`admin ${admin.url}`);
  });

  it('roll-restarts a 3-replica TCP echo service under connection load with 0 failed connections', async () => {
    const before = await berth.json<Status>(['status', APP]);
    const echo = before.services.find((s) => s.service === 'echo')!;
    const load = connectionLoad(echo.address!.port);
    await new Promise((r) => setTimeout(r, 300));
    const r = await berth.cli(['restart', `${APP}/echo`]);
    expect(r.code, r.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    const result = await load.stop();
    expect(result.failed).toEqual([]);
    expect(result.ok).toBeGreaterThan(50);
    const after = await berth.json<Status>(['status', APP]);
    const ids = after.services.find((s) => s.service === 'echo')!.replicas.map((x) => x.id);
    expect(ids.filter((id) => echo.replicas.some((x) => x.id === id))).toEqual([]);
  }, 60_000);

  it('refuses a UDP port at deploy to a local environment, naming file, line and field', async () => {
    const udp = await writeApp('udp', {
      'berth.yaml': [
        'name: udp-demo',
        'services:',
        '  dns:',
        '    command: node dns.js',
        '    ports:',
        '      - 8053',
        '      - { port: 5353, protocol: UDP }',
      ],
    });
    try {
      const r = await berth.cli(['deploy', udp]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `${join(udp, 'berth.yaml').replace(/[.]/g, '\\.')}:7:\\d+ services\\.dns\\.ports\\.1\\.protocol: UDP port 5353 cannot be served on one machine`,
        ),
      );
    } finally {
      await rm(udp, { recursive: true, force: true });
    }
  });
});
