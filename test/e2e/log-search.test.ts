/**
 * The log center end to end: a real control plane, two services that log one trade (web as pino
 * JSON, orders as logback/logstash JSON with an error), found by one search across both — by text,
 * level and trace id, over the CLI and the API — and still found once, not twice, after the
 * control plane was killed and started again; a followed search prints each new match once. A
 * search with a range that ends before it starts is refused naming the field. An environment's
 * own log retention is set with `berth env set` and shown by `env get`.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogSearchResult } from '../../src/model/logSearch.js';
import { CLI, startBerth, waitFor, writeApp, type Berth } from './harness.js';

const APP = 'logsearch-demo';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
let berth: Berth;
let dir: string;
let edge: string;

/** The web service: logs the trade as pino does (level 30, msg) and asks orders to place it. */
const WEB = `
import { createServer } from 'node:http';
createServer(async (req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  const u = new URL(req.url, 'http://x');
  const trade = u.searchParams.get('id');
  const trace = u.searchParams.get('trace');
  console.log(JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg: 'trade ' + trade + ' received', trace_id: trace }));
  const r = await fetch(process.env.ORDERS_URL + '/place?id=' + trade + '&trace=' + trace);
  res.end(await r.text());
}).listen(Number(process.env.PORT), '127.0.0.1');
console.log('web listening');
process.on('SIGTERM', () => process.exit(0));
`;

/** The orders service: refuses the trade, logged as logback's JSON encoder would (level ERROR, message, traceId). */
const ORDERS = `
import { createServer } from 'node:http';
createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  const u = new URL(req.url, 'http://x');
  const trade = u.searchParams.get('id');
  console.log(JSON.stringify({ '@timestamp': new Date().toISOString(), level: 'ERROR', logger_name: 'orders.Place',
    message: 'trade ' + trade + ' rejected: limit exceeded', traceId: u.searchParams.get('trace') }));
  res.statusCode = 422;
  res.end('rejected');
}).listen(Number(process.env.PORT), '127.0.0.1');
console.error('orders listening');
process.on('SIGTERM', () => process.exit(0));
`;

const SPEC = [
  `name: ${APP}`,
  'services:',
  '  web:',
  '    command: node web.mjs',
  '    ports: [8080]',
  '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
  '    dependsOn: [orders]',
  '  orders:',
  '    command: node orders.mjs',
  '    ports: [8080]',
  '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
  'routes:',
  '  - { path: /, service: web }',
];

const searchPath = `/api/v1/apps/${APP}/envs/local/logs/search`;

async function search(query: string): Promise<LogSearchResult> {
  const r = await berth.api<LogSearchResult>('GET', `${searchPath}?${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

async function searchUntil(query: string, count: number): Promise<LogSearchResult> {
  return waitFor(`${count} lines for ${query}`, async () => {
    const r = await search(query);
    return r.lines.length >= count ? r : undefined;
  });
}

beforeAll(async () => {
  dir = await writeApp('logsearch', { 'web.mjs': WEB, 'orders.mjs': ORDERS, 'berth.yaml': SPEC });
  berth = await startBerth();
  const r = await berth.cli(['deploy', dir]);
  expect(r.code, r.stderr).toBe(0);
  edge = (await berth.json<{ edge: { url: string } }>(['status', APP])).edge.url;
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('searching the logs of an app', () => {
  it('finds a trade logged by two services with one search, over the API and the CLI', async () => {
    const res = await fetch(`${edge}/trade?id=T-4711&trace=${TRACE}`);
    expect(await res.text()).toBe('rejected');
    const found = await searchUntil('q=T-4711', 2);
    expect(found.lines.map((l) => [l.service, l.level, l.message, l.traceId])).toEqual([
      ['web', 'info', 'trade T-4711 received', TRACE],
      ['orders', 'error', 'trade T-4711 rejected: limit exceeded', TRACE],
    ]);
    expect(found.truncated).toBe(false);

    const json = await berth.json<LogSearchResult>(['logs', APP, '--grep', 't-4711', '--since', '1h', '-o', 'json']);
    expect(json.lines.map((l) => l.service)).toEqual(['web', 'orders']);

    const errors = await berth.cli(['logs', APP, '--grep', 'T-4711', '--level', 'error']);
    expect(errors.code, errors.stderr).toBe(0);
    const shown = errors.stdout.trim().split('\n');
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(/^\S+Z orders-\S+ +ERROR .*"message":"trade T-4711 rejected: limit exceeded"/);

    const byTrace = await berth.json<LogSearchResult>(['logs', `${APP}/orders`, '--trace', TRACE, '-o', 'json']);
    expect(byTrace.lines.map((l) => l.message)).toEqual(['trade T-4711 rejected: limit exceeded']);

    // stderr lines are indexed too, and a stream narrows to them.
    const stderr = await searchUntil('stream=stderr', 1);
    expect(stderr.lines.map((l) => l.line)).toEqual(['orders listening']);
  });

  it('refuses a range that ends before it starts, and an unknown level, naming the field', async () => {
    const r = await berth.api<{ problems: { path: string; message: string }[] }>(
      'GET',
      `${searchPath}?since=10m&until=1h`,
    );
    expect(r.status).toBe(400);
    expect(r.body.problems).toEqual([{ file: 'request query', path: 'until', message: '1h is not after since (10m)' }]);
    const cli = await berth.cli(['logs', APP, '--level', 'loud']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/level/);
    const follow = await berth.cli(['logs', APP, '--grep', 'x', '-f', '--until', '1m']);
    expect(follow.code).not.toBe(0);
    expect(follow.stderr).toContain('until: a follow has no end');
  });

  it('follows a search: prints each new matching line once, as it is indexed, until Ctrl-C', async () => {
    const proc = spawn(process.execPath, [CLI, 'logs', APP, '--grep', 'T-4713', '-f', '-o', 'json'], {
      env: { ...process.env, BERTH_HOME: berth.home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    try {
      await new Promise((r) => setTimeout(r, 1000)); // the first search has answered (nothing yet)
      expect(await (await fetch(`${edge}/trade?id=T-4713&trace=${TRACE}`)).text()).toBe('rejected');
      const lines = await waitFor('two followed lines', async () => {
        const got = out.split('\n').filter(Boolean);
        return got.length >= 2 ? got : undefined;
      });
      await new Promise((r) => setTimeout(r, 1200)); // two more polls: nothing is printed twice
      expect(out.split('\n').filter(Boolean)).toEqual(lines);
      // In the order they were indexed: one look reads the services' files one after the other.
      expect(lines.map((l) => (JSON.parse(l) as { service: string }).service).sort()).toEqual(['orders', 'web']);
    } finally {
      proc.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('indexes each line once across a control-plane kill and restart, and what was printed meanwhile', async () => {
    await berth.kill('SIGKILL');
    // The replicas keep serving while the control plane is down; their lines wait in the files.
    expect(await (await fetch(`${edge}/trade?id=T-4712&trace=${TRACE}`)).text()).toBe('rejected');
    await berth.restart();
    await searchUntil('q=T-4712', 2);
    expect((await search('q=T-4711')).lines).toHaveLength(2);
    expect((await search(`trace=${TRACE}`)).lines).toHaveLength(6);
  });

  it('keeps an environment’s own retention, set with berth env set and shown by env get; a bad value names its field', async () => {
    const set = await berth.cli(['env', 'set', 'local', '--log-max-age', '72h', '--log-max-size', '5Gi']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('log index keeps 72h and 5Gi of lines');
    const got = await berth.cli(['env', 'get', 'local']);
    expect(got.stdout).toMatch(/logs: +log index keeps 72h and 5Gi of lines/);
    const back = await berth.json<{ target: Record<string, unknown> }>(['env', 'set', 'local', '--log-max-age', '']);
    expect(back.target.logRetention).toEqual({ maxSize: '5Gi' });
    const bad = await berth.api<{ problems: { path: string; message: string }[] }>(
      'PATCH',
      '/api/v1/environments/local',
      {
        logRetention: { maxAge: 'a week' },
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.problems.map((p) => p.path)).toEqual(['logRetention.maxAge']);
    const cli = await berth.cli(['env', 'set', 'local', '--log-max-size', 'lots']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('logRetention.maxSize');
  });
});
