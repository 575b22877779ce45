/**
 * Test support for the Prometheus traffic source: a real Prometheus (Debian's `prometheus`, started
 * with its own config and a temp TSDB on a free 127.0.0.1 port, scraping every second) and a scrape
 * target that serves what a traffic router would — ingress-nginx's or Istio's request counters and
 * latency histograms with their labels — from counters the test advances. Tests only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrafficRouter } from '../../../model/routing.js';
import type { Track } from '../../../model/routing.js';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** ingress-nginx's default time buckets (Prometheus' DefBuckets), seconds. */
const NGINX_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Istio's default request duration buckets, milliseconds. */
const ISTIO_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000];

interface Series {
  labels: Record<string, string>;
  requests: number;
  /** Cumulative per bucket, plus +Inf last. */
  buckets: number[];
  sum: number;
}

/** A scrape target serving router-shaped metrics. */
export interface RouterMetrics {
  /** `http://127.0.0.1:<port>/metrics`'s host:port, for a scrape config. */
  target: string;
  /**
   * Records `count` requests of one track of `service` in `namespace` through `router`, each
   * answered `status` after `durationMs`. `elsewhere` labels them as another router view would
   * (Istio's `reporter="destination"`), which the source must not count.
   */
  serve(o: {
    router: TrafficRouter;
    namespace: string;
    service: string;
    track: Track;
    status: number;
    durationMs: number;
    count?: number;
    elsewhere?: boolean;
  }): void;
  /** The bucket bounds (ms) the target uses for `router`. */
  bucketsMs(router: TrafficRouter): number[];
  close(): Promise<void>;
}

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (l: Record<string, string>): string =>
  Object.entries(l)
    .map(([k, v]) => `${k}="${escape(v)}"`)
    .join(',');

export async function startRouterMetrics(): Promise<RouterMetrics> {
  const series = new Map<string, Series & { router: TrafficRouter }>();
  const bucketsOf = (router: TrafficRouter): number[] =>
    router === 'ingressNginx' ? NGINX_BUCKETS_S : ISTIO_BUCKETS_MS;
  const exposition = (): string => {
    const out: string[] = [];
    for (const router of ['ingressNginx', 'gatewayApi'] as const) {
      const own = [...series.values()].filter((s) => s.router === router);
      const [counter, histogram] =
        router === 'ingressNginx'
          ? ['nginx_ingress_controller_requests', 'nginx_ingress_controller_request_duration_seconds']
          : ['istio_requests_total', 'istio_request_duration_milliseconds'];
      out.push(`# TYPE ${counter} counter`);
      for (const s of own) out.push(`${counter}{${labelText(s.labels)}} ${s.requests}`);
      out.push(`# TYPE ${histogram} histogram`);
      for (const s of own) {
        const bounds = bucketsOf(router);
        bounds.forEach((le, i) =>
          out.push(`${histogram}_bucket{${labelText({ ...s.labels, le: String(le) })}} ${s.buckets[i]}`),
        );
        out.push(`${histogram}_bucket{${labelText({ ...s.labels, le: '+Inf' })}} ${s.buckets.at(-1)}`);
        out.push(`${histogram}_sum{${labelText(s.labels)}} ${s.sum}`);
        out.push(`${histogram}_count{${labelText(s.labels)}} ${s.buckets.at(-1)}`);
      }
    }
    return `${out.join('\n')}\n`;
  };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    bucketsMs: (router) => (router === 'ingressNginx' ? NGINX_BUCKETS_S.map((s) => s * 1000) : ISTIO_BUCKETS_MS),
    serve(o) {
      const labels: Record<string, string> =
        o.router === 'ingressNginx'
          ? {
              controller_class: 'k8s.io/ingress-nginx',
              controller_namespace: 'ingress-nginx',
              controller_pod: 'ingress-nginx-controller-0',
              namespace: o.namespace,
              ingress: 'app-routes',
              service: `${o.service}-stable`,
              canary: o.track === 'canary' ? `${o.namespace}-${o.service}-canary-http` : '',
              method: 'GET',
              path: '/',
              status: String(o.status),
            }
          : {
              reporter: o.elsewhere ? 'destination' : 'source',
              source_workload: 'berth-gateway-istio',
              destination_service_name: `${o.service}-${o.track}`,
              destination_service_namespace: o.namespace,
              destination_service: `${o.service}-${o.track}.${o.namespace}.svc.cluster.local`,
              request_protocol: 'http',
              response_code: String(o.status),
            };
      const key = `${o.router}|${labelText(labels)}`;
      const bounds = bucketsOf(o.router);
      const s = series.get(key) ?? {
        router: o.router,
        labels,
        requests: 0,
        buckets: new Array<number>(bounds.length + 1).fill(0),
        sum: 0,
      };
      const count = o.count ?? 1;
      const value = o.router === 'ingressNginx' ? o.durationMs / 1000 : o.durationMs;
      s.requests += count;
      s.sum += value * count;
      bounds.forEach((le, i) => {
        if (value <= le) s.buckets[i]! += count;
      });
      s.buckets[bounds.length]! += count;
      series.set(key, s);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A running Prometheus. */
export interface TestPrometheus {
  url: string;
  /** What it printed (for a failed test's message). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `targets` every second; resolves once /-/ready answers (at most 30 s). */
export async function startPrometheus(targets: string[]): Promise<TestPrometheus> {
  if (!existsSync(PROMETHEUS_BINARY))
    throw new Error(`${PROMETHEUS_BINARY} is missing: apt-get install -y prometheus (see .ci/run)`);
  const dir = await mkdtemp(join(tmpdir(), 'berth-prom-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: router',
      `    static_configs: [{ targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}] }]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus did not become ready: ${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, log: () => log, stop };
}
