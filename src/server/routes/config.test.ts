/**
 * The config routes: the store write of a PATCH body and how a value or file is shown (pure), then
 * the routes through fastify's inject() on a real store — a write, a stale write refused with 409,
 * a secret masked until revealed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { ConfigChange, configWriteOf, shownFile, shownValue } from './config.js';

describe('a config change body', () => {
  it('becomes the store write of only the parts sent, values as { value }', () => {
    expect(configWriteOf(ConfigChange.parse({ baseVersion: 0 }), 'ada')).toEqual({ baseVersion: 0, author: 'ada' });
    expect(
      configWriteOf(
        ConfigChange.parse({
          baseVersion: 2,
          set: { A: '1', B: { value: '2', secret: true } },
          unset: ['C'],
          files: { 'a.conf': 'x', 'old.conf': null },
          secretFiles: { 'key.pem': 'k' },
          message: 'why',
        }),
        'ada',
      ),
    ).toEqual({
      baseVersion: 2,
      author: 'ada',
      set: { A: { value: '1' }, B: { value: '2', secret: true } },
      unset: ['C'],
      files: { 'a.conf': 'x', 'old.conf': null },
      secretFiles: { 'key.pem': 'k' },
      message: 'why',
    });
  });

  it('needs the version it is based on', () => {
    expect(ConfigChange.safeParse({ set: { A: '1' } }).error?.issues.map((i) => i.path.join('.'))).toEqual([
      'baseVersion',
    ]);
  });
});

describe('a value or file as shown', () => {
  it('masks a secret unless revealed, and says when one is', () => {
    expect(shownValue('A', 3, { value: 'x', secret: false }, false)).toEqual({
      key: 'A',
      version: 3,
      secret: false,
      value: 'x',
      revealed: false,
    });
    expect(shownValue('S', 3, { value: 'pw', secret: true }, false)).toEqual({
      key: 'S',
      version: 3,
      secret: true,
      value: '******',
      revealed: false,
    });
    expect(shownValue('S', 3, { value: 'pw', secret: true }, true)).toMatchObject({ value: 'pw', revealed: true });
  });

  it('gives a file’s size in bytes, masked or not', () => {
    expect(shownFile('k.pem', 1, { content: 'ü', secret: true }, false)).toEqual({
      path: 'k.pem',
      version: 1,
      secret: true,
      size: 2,
      content: '******',
      revealed: false,
    });
    expect(shownFile('a.conf', 1, { content: 'abc', secret: false }, true)).toMatchObject({
      size: 3,
      content: 'abc',
      revealed: false,
    });
  });
});

describe('the config routes', () => {
  let t: TestApi;
  const base = '/api/v1/apps/shop/envs/local/config';
  beforeAll(async () => {
    t = await testApi();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes a version, refuses a stale write with 409, and masks a secret until it is revealed', async () => {
    const first = await t.request({
      method: 'PATCH',
      url: base,
      body: { baseVersion: 0, set: { GREETING: 'hi', TOKEN: { value: 's3cr3t', secret: true } } },
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ version: 1 });

    const stale = await t.request({ method: 'PATCH', url: base, body: { baseVersion: 0, set: { GREETING: 'yo' } } });
    expect(stale.statusCode).toBe(409);

    const masked = await t.request({ method: 'GET', url: `${base}/values/TOKEN` });
    expect(masked.json()).toEqual({ key: 'TOKEN', version: 1, secret: true, value: '******' });
    const revealed = await t.request({ method: 'GET', url: `${base}/values/TOKEN?reveal=true` });
    expect(revealed.json()).toEqual({ key: 'TOKEN', version: 1, secret: true, value: 's3cr3t' });
    const missing = await t.request({ method: 'GET', url: `${base}/values/__proto__` });
    expect(missing.statusCode).toBe(404);
  });

  it('refuses a body without its base version, naming the field', async () => {
    const r = await t.request({ method: 'PATCH', url: base, body: { set: { A: '1' } } });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ problems: { path: string }[] }>().problems.map((p) => p.path)).toContain('baseVersion');
  });
});
