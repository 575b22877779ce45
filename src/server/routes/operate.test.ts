/**
 * The operate routes: a scale's answer status (pure), then what scale, restart and cancel refuse
 * through fastify's inject() on a real store, before any runtime is asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Release } from '../../release/releases.js';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { scaleStatus } from './operate.js';

const release = (status: Release['status']) => ({ status }) as Release;

describe('a scale’s answer', () => {
  it('is 200 with the running release when nothing changes, 202 for a new revision', () => {
    expect(scaleStatus(release('succeeded'))).toBe(200);
    expect(scaleStatus(release('failed'))).toBe(200);
    expect(scaleStatus(release('pending'))).toBe(202);
    expect(scaleStatus(release('running'))).toBe(202);
  });
});

describe('the operate routes refuse what cannot be done', () => {
  let t: TestApi;
  const app = '/api/v1/apps/shop/envs/local';
  beforeAll(async () => {
    t = await testApi();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('scales and restarts nothing that does not run: 404 naming the app', async () => {
    const scale = await t.request({ method: 'POST', url: `${app}/services/web/scale`, body: { replicas: 2 } });
    expect(scale.statusCode).toBe(404);
    expect(scale.json<{ message: string }>().message).toBe('shop is not running in local; nothing to scale');
    const restart = await t.request({ method: 'POST', url: `${app}/restart`, body: {} });
    expect(restart.statusCode).toBe(404);
  });

  it('refuses a replica count beyond 1000, naming the body field', async () => {
    const r = await t.request({ method: 'POST', url: `${app}/services/web/scale`, body: { replicas: 1001 } });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ problems: { path: string }[] }>().problems.map((p) => p.path)).toEqual(['replicas']);
  });

  it('cancels nothing when no release runs: 409', async () => {
    const r = await t.request({ method: 'POST', url: `${app}/cancel`, body: {} });
    expect(r.statusCode).toBe(409);
  });
});
