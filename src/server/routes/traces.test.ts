import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceView } from '../../model/trace.js';
import { TraceStore } from '../../traces/traceStore.js';
import { testApi, type TestApi } from '../testing/apiContext.js';

let t: TestApi;
let store: TraceStore;
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

beforeAll(async () => {
  t = await testApi();
  store = new TraceStore({ file: join(t.ctx.home, 'traces.db') });
  t.ctx.traces = store;
  const now = Date.now();
  store.add([
    {
      traceId,
      spanId: 'a'.repeat(16),
      kind: 'edge',
      edge: 'shop/local',
      route: '/',
      service: 'shop/local/web',
      track: 'stable',
      method: 'GET',
      status: 200,
      error: false,
      startMs: now,
      durationMs: 12,
    },
    {
      traceId,
      spanId: 'c'.repeat(16),
      parentId: 'b'.repeat(16),
      kind: 'service',
      service: 'bank/local/ledger',
      track: 'stable',
      method: 'POST',
      status: 201,
      error: false,
      startMs: now + 3,
      durationMs: 2,
    },
    {
      traceId,
      spanId: 'b'.repeat(16),
      parentId: 'a'.repeat(16),
      kind: 'service',
      service: 'shop/local/orders',
      track: 'stable',
      method: 'GET',
      status: 200,
      error: false,
      startMs: now + 2,
      durationMs: 5,
    },
  ]);
});
afterAll(async () => {
  store?.close();
  await t?.close();
});

describe('GET /api/v1/traces/:traceId', () => {
  it("answers a trace's spans by start with the callers (an upper-case id reads the same)", async () => {
    const res = await t.request({ method: 'GET', url: `/api/v1/traces/${traceId.toUpperCase()}` });
    expect(res.statusCode).toBe(200);
    const view = res.json<TraceView>();
    expect(view.traceId).toBe(traceId);
    expect(view.spans.map((s) => [s.service, s.caller])).toEqual([
      ['shop/local/web', undefined],
      ['shop/local/orders', 'shop/local/web'],
      ['bank/local/ledger', 'shop/local/orders'],
    ]);
  });

  it('shows a caller the hops of the apps it may read, and nothing of a trace it may read no hop of', async () => {
    await t.ctx.access.users.create({ name: 'shop-dev', kind: 'user', createdBy: 'test' });
    await t.ctx.access.roles.bind({
      subjectKind: 'user',
      subject: 'shop-dev',
      role: 'viewer',
      app: 'shop',
      createdBy: 'test',
    });
    const { secret } = await t.ctx.access.tokens.issue({
      name: 't',
      kind: 'personal',
      user: 'shop-dev',
      createdBy: 'test',
    });
    const asDev = (id: string) =>
      t.request({ method: 'GET', url: `/api/v1/traces/${id}`, headers: { authorization: `Bearer ${secret}` } });
    const view = (await asDev(traceId)).json<TraceView>();
    expect(view.spans.map((s) => s.service)).toEqual(['shop/local/web', 'shop/local/orders']);
    await t.ctx.access.roles.bind({
      subjectKind: 'user',
      subject: 'shop-dev',
      role: 'viewer',
      app: 'other',
      createdBy: 'test',
    });
    await t.ctx.access.roles.unbind((await t.ctx.access.roles.bindings({ subject: 'shop-dev', app: 'shop' }))[0]!.id);
    const none = await asDev(traceId);
    expect(none.statusCode).toBe(404);
  });

  it('404 for a trace with no stored span, 400 naming traceId for a malformed id', async () => {
    const missing = await t.request({ method: 'GET', url: `/api/v1/traces/${'0'.repeat(31)}1` });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('no spans of trace');
    const bad = await t.request({ method: 'GET', url: '/api/v1/traces/not-a-trace' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('traceId');
    expect(bad.body).toContain('32 hex digits');
  });
});
