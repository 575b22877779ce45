/**
 * Debian's nginx as a Berth service, as a user would run it: 3 replicas, each listening on its own
 * port from its own config directory (`{{ replica.port }}` in `files:`), `access_log /dev/stdout`
 * (a replica's stdout is a pipe it can open by path), requests through the service address, the
 * access lines in `berth logs`, and `stopSignal: SIGQUIT` for nginx's graceful stop. Beside it, a
 * shell that writes to /dev/stdout and /dev/stderr by path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { startBerth, writeApp, type Berth } from './harness.js';

const APP = 'nginx-demo';
const NGINX = '/usr/sbin/nginx';
let berth: Berth;
let dir: string;

const CONF = [
  'pid {{ replica.configDir }}/nginx.pid;',
  'error_log stderr notice;',
  'worker_processes 1;',
  'events { worker_connections 64; }',
  'http {',
  '  access_log /dev/stdout;',
  '  client_body_temp_path {{ replica.configDir }}/client_body;',
  '  proxy_temp_path {{ replica.configDir }}/proxy;',
  '  fastcgi_temp_path {{ replica.configDir }}/fastcgi;',
  '  uwsgi_temp_path {{ replica.configDir }}/uwsgi;',
  '  scgi_temp_path {{ replica.configDir }}/scgi;',
  '  server {',
  '    listen 127.0.0.1:{{ replica.port }};',
  '    location = /healthz { access_log off; return 200 "ok\\n"; }',
  '    location / { return 200 "replica {{ replica.index }} port {{ replica.port }}\\n"; }',
  '  }',
  '}',
];

interface Line {
  replica: string;
  service: string;
  stream: string;
  line: string;
}

async function logs(args: string[] = []): Promise<Line[]> {
  const r = await berth.cli(['logs', ...args, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      const v = JSON.parse(l) as Line | Line[];
      return Array.isArray(v) ? v : [v];
    });
}

beforeAll(async () => {
  dir = await writeApp('nginx', {
    'berth.yaml': [
      `name: ${APP}`,
      'services:',
      '  web:',
      `    command: exec ${NGINX} -e stderr -p "$$BERTH_CONFIG_DIR/" -c nginx.conf -g 'daemon off;'`,
      '    replicas: 3',
      '    ports: [8080]',
      '    stopSignal: SIGQUIT',
      '    terminationGracePeriod: 10s',
      '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
      '    files:',
      '      - path: nginx.conf',
      '        content: |',
      ...CONF.map((l) => `          ${l}`),
      '  writer:',
      '    command: echo to-stdout > /dev/stdout && echo to-stderr > /dev/stderr && exec sleep 600',
    ],
  });
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('nginx on Berth', () => {
  it('runs 3 replicas, each on its own port from its own config, logging access lines to /dev/stdout', async () => {
    const deploy = await berth.cli(['deploy', dir]);
    expect(deploy.code, deploy.stderr).toBe(0);
    const st = await berth.json<{
      services: { service: string; address?: { url: string }; replicas: { id: string; port?: number }[] }[];
    }>(['status', APP]);
    const web = st.services.find((s) => s.service === 'web')!;
    expect(web.replicas).toHaveLength(3);
    const ports = new Map(web.replicas.map((r) => [r.port!, r.id]));

    // Through the service address: every replica answers with its own index and port.
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 3; i++) {
      const res = await fetch(`${web.address!.url}/hello-${i}`);
      expect(res.status).toBe(200);
      seen.add(await res.text());
    }
    const answers = [...seen].sort();
    expect(answers.map((a) => a.replace(/port \d+/, 'port N'))).toEqual([
      'replica 0 port N\n',
      'replica 1 port N\n',
      'replica 2 port N\n',
    ]);
    for (const a of answers) expect(ports.has(Number(/port (\d+)/.exec(a)![1]))).toBe(true);

    // The access lines are in berth logs, on stdout, from the replica that served them.
    const lines = await logs([`${APP}/web`]);
    const access = lines.filter((l) => /"GET \/hello-\d+ HTTP\/1\.1" 200 /.test(l.line));
    expect(access.length).toBeGreaterThanOrEqual(3);
    expect(access.every((l) => l.stream === 'stdout')).toBe(true);
    expect(new Set(access.map((l) => l.replica)).size).toBe(3);
    expect(lines.some((l) => l.line.includes('/dev/stdout') && l.line.includes('failed'))).toBe(false);

    const writer = await logs([`${APP}/writer`]);
    expect(writer.map((l) => [l.stream, l.line])).toEqual(
      expect.arrayContaining([
        ['stdout', 'to-stdout'],
        ['stderr', 'to-stderr'],
      ]),
    );
  });

  it('keeps serving and logging while the control plane is SIGKILLed, and the lines are in berth logs after', async () => {
    const st = await berth.json<{ services: { service: string; address?: { url: string } }[] }>(['status', APP]);
    const url = st.services.find((s) => s.service === 'web')!.address!.url;
    await berth.kill('SIGKILL');
    for (let i = 0; i < 6; i++) expect((await fetch(`${url}/while-down-${i}`)).status).toBe(200);
    await berth.restart();
    const lines = await logs([`${APP}/web`]);
    const down = lines.filter((l) => /"GET \/while-down-\d HTTP\/1\.1" 200 /.test(l.line));
    expect(down.map((l) => /while-down-(\d)/.exec(l.line)![1]).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    const restarts = await berth.json<{ services: { service: string; replicas: { restarts: number }[] }[] }>([
      'status',
      APP,
    ]);
    expect(restarts.services.find((s) => s.service === 'web')!.replicas.map((r) => r.restarts)).toEqual([0, 0, 0]);
  });

  it('stops nginx with SIGQUIT, its graceful quit', async () => {
    const down = await berth.cli(['down', APP]);
    expect(down.code, down.stderr).toBe(0);
    const previous = await logs([`${APP}/web`, '--previous']);
    const byReplica = new Map<string, string[]>();
    for (const l of previous.filter((x) => x.stream === 'stderr'))
      byReplica.set(l.replica, [...(byReplica.get(l.replica) ?? []), l.line]);
    expect(byReplica.size).toBe(3);
    for (const stderr of byReplica.values()) {
      expect(stderr.some((l) => /signal 3 \(SIGQUIT\) received/.test(l))).toBe(true);
      expect(stderr.some((l) => l.includes('gracefully shutting down'))).toBe(true);
      expect(stderr.some((l) => /\[notice\] \d+#\d+: exit$/.test(l))).toBe(true);
      expect(stderr.some((l) => /SIGTERM|SIGKILL/.test(l))).toBe(false);
    }
  });
});
