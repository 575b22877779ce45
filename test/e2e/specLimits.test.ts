/**
 * berth.yaml edge cases through the real control plane and CLI: very deep dependency graphs are
 * validated (not a stack overflow and a 500), a spec above the documented 1 MiB is refused with 413
 * naming the limit, and a large spec with problems is checked off the event loop, so the control
 * plane keeps answering while it is.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, type Berth } from './harness.js';

/** POSTs only the head of a request announcing `length` bytes and returns the answer's status and body. */
function rawPost(url: string, path: string, token: string, length: number): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{`,
      ),
    );
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      resolve({ status, body: answer.slice(answer.indexOf('\r\n\r\n') + 4) });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

/** `n` services, each depending on the one before it (the first on the last when `cycle`). */
function chainSpec(n: number, cycle = false): string {
  const lines = ['name: deep', 'services:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  s${i}:`, '    image: nginx');
    if (i > 0 || cycle) lines.push(`    dependsOn: [s${i > 0 ? i - 1 : n - 1}]`);
  }
  return lines.join('\n') + '\n';
}

/** Services with probes, resources and env, until the text is about `bytes` long; the last one has a bad replica count. */
function largeSpec(bytes: number): string {
  const lines = ['name: big', 'variables:', '  LOG_LEVEL: { default: info }', 'services:'];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const block = [
      `  svc-${i}:`,
      '    image: ghcr.io/berth-examples/shop-orders:1.0',
      '    replicas: 2',
      '    ports: [{ name: http, port: 8080 }]',
      '    env: { LOG_LEVEL: "${LOG_LEVEL}" }',
      '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
      '    resources: { requests: { cpu: 50m, memory: 32Mi }, limits: { memory: 256Mi } }',
    ];
    size += block.join('\n').length + 1;
    lines.push(...block);
  }
  lines.push('  broken:', '    image: x', '    replicas: many');
  return lines.join('\n') + '\n';
}

interface Validated {
  ok: boolean;
  services?: string[];
  problems: { file: string; line: number; column: number; path: string; message: string }[];
}

let berth: Berth;
let dir: string;

beforeAll(async () => {
  berth = await startBerth();
  dir = await mkdtemp(join(tmpdir(), 'berth-spec-limits-'));
});

afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('spec limits', () => {
  it('validates a 5,000-deep dependsOn chain and reports a 10,000-service cycle at its line, by API and CLI', async () => {
    const file = join(dir, 'berth.yaml');
    const chain = await berth.api<Validated>('POST', '/api/v1/validate', { file, text: chainSpec(5_000) });
    expect(chain.status).toBe(200);
    expect(chain.body.ok).toBe(true);
    expect(chain.body.services).toHaveLength(5_000);

    const cycle = await berth.api<Validated>('POST', '/api/v1/validate', { file, text: chainSpec(10_000, true) });
    expect(cycle.status).toBe(200);
    expect(cycle.body.ok).toBe(false);
    expect(cycle.body.problems).toHaveLength(1);
    expect(cycle.body.problems[0]).toMatchObject({ file, line: 5, column: 17, path: 'services.s0.dependsOn.0' });
    expect(cycle.body.problems[0]!.message).toMatch(/^dependency cycle: s0 → s9999 → s9998 → .* → s1 → s0$/);

    await writeFile(file, chainSpec(10_000, true));
    const cli = await berth.cli(['validate', file]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`${file}:5:17 services.s0.dependsOn.0: dependency cycle: s0 → s9999 → s9998`);
    expect(cli.stderr).not.toMatch(/call stack/);
  });

  it('refuses a spec above 1 MiB with 413 naming the limit, by API and CLI', async () => {
    const file = join(dir, 'big.yaml');
    const text = largeSpec(1024 * 1024 + 100);
    const res = await berth.api<{ code: string; message: string }>('POST', '/api/v1/validate', { file, text });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('TOO_LARGE');
    expect(res.body.message).toMatch(/more than a berth\.yaml may have \(1 MiB, 1048576 bytes\)/);

    const plan = await berth.api<{ code: string }>('POST', '/api/v1/plans', { env: 'local', spec: { file, text } });
    expect(plan.status).toBe(413);

    // A body over 5 MiB is refused on its Content-Length, before it is read (and the connection is
    // closed, as the client may still be sending): a raw request that sends only its head shows the
    // answer without racing the client's writes against that close.
    const huge = await rawPost(berth.url, '/api/v1/validate', berth.token, 6 * 1024 * 1024);
    expect(huge.status).toBe(413);
    expect(huge.body).toMatch(/5 MiB/);

    await writeFile(file, text);
    const cli = await berth.cli(['validate', file]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/more than a berth\.yaml may have \(1 MiB/);
  });

  it('keeps answering health checks promptly while a large spec with problems is validated', async () => {
    const file = join(dir, 'large.yaml');
    const text = largeSpec(1000 * 1024);
    let done = false;
    const started = Date.now();
    const validated = berth.api<Validated>('POST', '/api/v1/validate', { file, text }).finally(() => (done = true));
    const latencies: number[] = [];
    // Health checks sent while the validation is under way (each waits for its answer).
    await new Promise((r) => setTimeout(r, 100));
    while (!done) {
      const t = Date.now();
      const res = await fetch(`${berth.url}/healthz`);
      expect(res.status).toBe(200);
      if (!done) latencies.push(Date.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
    const result = await validated;
    const took = Date.now() - started;
    expect(result.status).toBe(200);
    expect(result.body.ok).toBe(false);
    expect(result.body.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'services.broken.replicas: expected a number, got the string "many"',
    ]);
    // Parsing it on the event loop answered no health check until it was done.
    expect(latencies.length, `validation took ${took} ms`).toBeGreaterThanOrEqual(3);
    expect(Math.max(...latencies), `latencies ${latencies.join(', ')} during ${took} ms`).toBeLessThan(1_000);
  });

  it('reports a value the Kubernetes schemas refuse at its berth.yaml line, by the render API, render (--offline too) and the Helm export', async () => {
    const app = join(dir, 'kapp');
    await mkdir(app, { recursive: true });
    const file = join(app, 'berth.yaml');
    const text = 'name: kapp\nservices:\n  web:\n    image: nginx\n    ports: [8080]\n    replicas: 3000000000\n';
    await writeFile(file, text);
    const where = `${file}:6:15 services.web.replicas: Kubernetes Deployment/web spec.replicas: must match format "int32"`;
    for (const args of [
      ['render', app],
      ['render', '--offline', app],
      ['export', join(dir, 'chart'), '--file', app],
    ]) {
      const r = await berth.cli(args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(where);
    }
    const res = await berth.api<{ problems: { file: string; line: number; column: number; path: string }[] }>(
      'POST',
      '/api/v1/render',
      { env: 'local', spec: { file, text } },
    );
    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual([
      expect.objectContaining({ file, line: 6, column: 15, path: 'services.web.replicas' }),
    ]);
  });
});
