import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError, UnavailableError, ValidationError } from '../errors.js';
import { createClient } from './client.js';

/** What the test server saw of each request. */
const seen: { method: string; url: string; auth?: string; type?: string; body: string }[] = [];
let server: Server;
let url: string;
let home: string;
const open = new Set<ServerResponse>();

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  const h = req.headers;
  seen.push({
    method: req.method!,
    url: req.url!,
    body,
    ...(h.authorization ? { auth: h.authorization } : {}),
    ...(h['content-type'] ? { type: h['content-type'] } : {}),
  });
  const path = req.url!.split('?')[0];
  if (path === '/echo') {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        body: body ? JSON.parse(body) : null,
        text: 'ü'.repeat(70_000),
      }),
    );
  } else if (path === '/invalid') {
    res.statusCode = 400;
    res.end(
      JSON.stringify({
        code: 'VALIDATION',
        message: 'bad spec',
        problems: [{ file: 'b.yaml', line: 3, column: 5, path: 'x', message: 'no' }],
      }),
    );
  } else if (path === '/broken') {
    res.statusCode = 502;
    res.end('<html>bad gateway</html>');
  } else if (path === '/lines') {
    res.write('{"n":1}\n{"n"');
    setTimeout(() => res.end(':2}\n\n{"n":3}'), 20);
  } else if (path === '/events') {
    res.setHeader('content-type', 'text/event-stream');
    res.write('event: step\ndata: {"a":1}\n\n');
    res.write('data: {"b":');
    setTimeout(() => res.end('2}\n\n'), 20);
  } else if (path === '/forever') {
    res.write('event: tick\ndata: {}\n\n');
    open.add(res);
  } else if (path === '/healthz') res.end('ok');
  else {
    res.statusCode = 404;
    res.end(JSON.stringify({ code: 'NOT_FOUND', message: `no ${path}` }));
  }
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  home = await mkdtemp(join(tmpdir(), 'berth-client-'));
  await writeFile(join(home, 'server.json'), JSON.stringify({ pid: 1, startTime: 1, url, version: 'test' }));
  await writeFile(join(home, 'token'), 'secret-token\n');
});

afterAll(async () => {
  for (const res of open) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(home, { recursive: true, force: true });
});

describe('createClient', () => {
  it('finds the control plane and token in the data directory and sends JSON', async () => {
    const client = await createClient({ home });
    expect(client.url).toBe(url);
    const res = await client.post<{ method: string; body: unknown; text: string }>('/echo', { a: [1, 'ü'] });
    expect(res.method).toBe('POST');
    expect(res.body).toEqual({ a: [1, 'ü'] });
    // Multi-byte characters split across chunks decode whole.
    expect(res.text).toBe('ü'.repeat(70_000));
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ auth: 'Bearer secret-token', type: 'application/json' });
  });

  it('sends queries, and no body or content type on GET', async () => {
    const client = await createClient({ home, token: 'flag-token' });
    const res = await client.get<{ url: string; body: unknown }>('/echo', { app: 'a b', n: 2, skip: undefined });
    expect(res).toMatchObject({ url: '/echo?app=a+b&n=2', body: null });
    expect(seen.at(-1)).toMatchObject({ method: 'GET', auth: 'Bearer flag-token', body: '' });
    expect(seen.at(-1)!.type).toBeUndefined();
  });

  it('turns error bodies back into Berth errors, problems and all', async () => {
    const client = await createClient({ home });
    const err = await client.get('/invalid').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      { file: 'b.yaml', line: 3, column: 5, path: 'x', message: 'no' },
    ]);
    await expect(client.delete('/nothing')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no /nothing' });
    const broken = await client.patch('/broken', {}).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(BerthError);
    expect((broken as BerthError).message).toBe('PATCH /broken failed with HTTP 502: <html>bad gateway</html>');
  });

  it('says how to start the control plane when nothing listens', async () => {
    const idle = createServer();
    await new Promise<void>((r) => idle.listen(0, '127.0.0.1', r));
    const port = (idle.address() as AddressInfo).port;
    await new Promise((r) => idle.close(r));
    const client = await createClient({ home, server: `http://127.0.0.1:${port}/` });
    expect(client.url).toBe(`http://127.0.0.1:${port}`);
    const err = await client.get('/echo').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(
      /cannot reach the Berth control plane at http:\/\/127\.0\.0\.1:\d+: start it/,
    );
    expect(await client.healthy()).toBe(false);
    expect(await (await createClient({ home })).healthy()).toBe(true);
  });

  it('reads NDJSON lines and server-sent events split across chunks', async () => {
    const client = await createClient({ home });
    const lines: unknown[] = [];
    for await (const l of client.lines('/lines')) lines.push(l);
    expect(lines).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const events: unknown[] = [];
    for await (const e of client.events('/events')) events.push(e);
    expect(events).toEqual([
      { event: 'step', data: { a: 1 } },
      { event: 'message', data: { b: 2 } },
    ]);
  });

  it('stops reading a stream that never ends when its signal aborts', async () => {
    const client = await createClient({ home });
    const ac = new AbortController();
    const events: unknown[] = [];
    for await (const e of client.events('/forever', undefined, ac.signal)) {
      events.push(e);
      ac.abort();
    }
    expect(events).toEqual([{ event: 'tick', data: {} }]);
  });
});
