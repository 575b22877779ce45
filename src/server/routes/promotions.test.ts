/**
 * `POST /api/v1/promotions` and `/preview` through fastify's inject() on a real SQLite file with the
 * release engine and an in-memory runtime: a promotion runs the source revision's stored spec in the
 * target with the target's config, records where it came from, refuses what cannot be promoted, and
 * a protected target (deploys and rollbacks too) needs `confirmed: true`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { FakeRuntime } from '../../release/engine/testing/fakeRuntime.js';
import { canary } from '../../release/engine/testing/specs.js';
import type { Release } from '../../release/releases.js';
import type { PromotionPreview } from '../../release/promote.js';
import { PromotionPreview as PromotionPreviewSchema } from '../promotionSchemas.js';
import { promote } from '../../release/promote.js';

const SHOP = (greeting: string) => `name: shop
variables:
  GREETING:
  DB_PASSWORD: { secret: true }
services:
  web:
    command: node web.js
    ports: [8080]
    env: { GREETING: '${greeting} \${GREETING}', PASSWORD: '\${DB_PASSWORD}' }
`;

describe('promotions', () => {
  let t: TestApi;
  const runtime = new FakeRuntime();
  const post = (url: string, body: object) => t.request({ method: 'POST', url, body });
  const settle = async (app: string, env: string, revision: number): Promise<Release> => {
    for (let i = 0; i < 200; i++) {
      const r = (
        await t.request({ method: 'GET', url: `/api/v1/apps/${app}/envs/${env}/releases/${revision}` })
      ).json<Release>();
      if (r.status === 'succeeded' || r.status === 'failed') return r;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${app}/${env} revision ${revision} did not finish`);
  };
  const config = async (env: string, set: object): Promise<void> => {
    const url = `/api/v1/apps/shop/envs/${env}/config`;
    const base = (await t.request({ method: 'GET', url })).json<{ version: number }>().version;
    const r = await t.request({ method: 'PATCH', url, body: { baseVersion: base, set } });
    expect(r.statusCode, r.body).toBe(201);
  };
  const deploy = async (env: string, text: string, extra: object = {}): Promise<Release> => {
    const r = await post('/api/v1/releases', { env, spec: { file: '/apps/shop/berth.yaml', text }, ...extra });
    expect(r.statusCode, r.body).toBe(202);
    return settle('shop', env, r.json<Release>().revision);
  };
  const rendered = async (env: string, revision: number) =>
    (await t.request({ method: 'GET', url: `/api/v1/apps/shop/envs/${env}/releases/${revision}/rendered` })).json<{
      services: Record<string, { workload: { env: Record<string, string> } }>;
    }>();

  beforeAll(async () => {
    t = await testApi({ runtimeFor: async () => runtime.view() });
    for (const name of ['test', 'staging', 'prod', 'empty'])
      expect((await post('/api/v1/environments', { name })).statusCode).toBe(201);
    await config('test', { GREETING: 'test', DB_PASSWORD: { value: 'pw-of-test', secret: true } });
    await config('staging', { GREETING: 'staging', DB_PASSWORD: { value: 'pw-of-staging', secret: true } });
    await config('prod', { GREETING: 'prod' });
    expect((await deploy('staging', SHOP('old'))).status).toBe('succeeded');
    expect((await deploy('test', SHOP('v1'))).status).toBe('succeeded');
    expect((await deploy('test', SHOP('v2'))).status).toBe('succeeded');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('previews the config difference (a secret as differing, never its value) and the plan in the target', async () => {
    const r = await post('/api/v1/promotions/preview', { app: 'shop', from: 'test', to: 'staging' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.body).not.toContain('pw-of-');
    const p = r.json<PromotionPreview>();
    // What the OpenAPI document says of it.
    expect(PromotionPreviewSchema.safeParse(p).error).toBeUndefined();
    expect(p.source.revision).toBe(2);
    expect(p.current?.revision).toBe(1);
    expect(p.protected).toBe(false);
    expect(p.config.entries).toEqual([
      { kind: 'value', key: 'DB_PASSWORD', change: 'changed', secret: true },
      { kind: 'value', key: 'GREETING', change: 'changed', secret: false, from: 'test', to: 'staging' },
    ]);
    expect(p.plan.env).toBe('staging');
    expect(p.plan.services.map((s) => [s.service, s.action])).toEqual([['web', 'update']]);
  });

  it("runs the source revision's spec with the target's config and records where it came from", async () => {
    const r = await post('/api/v1/promotions', { app: 'shop', from: 'test', to: 'staging', wait: true });
    expect(r.statusCode, r.body).toBe(202);
    const started = r.json<Release>();
    expect(started.kind).toBe('promotion');
    expect(started.options.promotedFrom).toEqual({ env: 'test', revision: 2 });
    expect(started.message).toBe('promoted from test@2');
    const done = await settle('shop', 'staging', started.revision);
    expect(done.status).toBe('succeeded');
    const source = (await t.request({ method: 'GET', url: '/api/v1/apps/shop/envs/test/releases/2' })).json<Release>();
    expect(done.specDigest).toBe(source.specDigest);
    // test's spec (v2), staging's GREETING; the secret masked in the rendered view.
    const web = (await rendered('staging', done.revision)).services['web']!.workload.env;
    expect(web['GREETING']).toBe('v2 staging');
    expect(web['PASSWORD']).not.toContain('pw-of-');
    const list = (await t.request({ method: 'GET', url: '/api/v1/apps/shop/envs/staging/releases' })).json<Release[]>();
    expect(list[0]!.messageDetail).toEqual({
      code: 'revision.promoted',
      params: { env: 'test', revision: 2 },
      text: 'promoted from test@2',
    });
  });

  it('promote(deps, req) in process: what the pipelines call, answering the revision made', async () => {
    const result = await promote(t.ctx, {
      app: 'shop',
      from: 'test',
      to: 'staging',
      author: 'pipeline:shop#12',
      confirmed: false,
    });
    expect(result).toMatchObject({ source: { env: 'test', revision: 2 }, revision: result.release.revision });
    const done = await t.ctx.engine.wait(result.releaseId);
    expect(done).toMatchObject({ status: 'succeeded', kind: 'promotion', author: 'pipeline:shop#12' });
  });

  it('refuses a promotion onto itself, of an unknown app, from where nothing succeeded, or missing a variable', async () => {
    const self = await post('/api/v1/promotions', { app: 'shop', from: 'test', to: 'test' });
    expect(self.statusCode).toBe(400);
    expect(self.json<{ message: string }>().message).toBe('cannot promote shop from test to itself');
    const ghost = await post('/api/v1/promotions', { app: 'ghost', from: 'test', to: 'staging' });
    expect(ghost.statusCode).toBe(404);
    expect(ghost.json<{ message: string }>().message).toMatch(/app ghost is unknown/);
    const empty = await post('/api/v1/promotions', { app: 'shop', from: 'empty', to: 'staging' });
    expect(empty.statusCode).toBe(404);
    expect(empty.json<{ message: string }>().message).toMatch(/shop has never been deployed to empty/);
    const noEnv = await post('/api/v1/promotions', { app: 'shop', from: 'test', to: 'nowhere' });
    expect(noEnv.statusCode).toBe(404);
    // prod has GREETING but no DB_PASSWORD: refused naming it, and no revision is made there.
    const missing = await post('/api/v1/promotions', { app: 'shop', from: 'test', to: 'prod' });
    expect(missing.statusCode, missing.body).toBe(400);
    expect(missing.json<{ message: string }>().message).toMatch(/cannot be promoted from test@2 to prod/);
    expect(missing.json<{ message: string }>().message).toContain('DB_PASSWORD');
    const prod = await t.request({ method: 'GET', url: '/api/v1/apps/shop/envs/prod/releases' });
    expect(prod.statusCode, 'no revision was made in prod').toBe(404);
  });

  it("promotes what a preview showed: refused once the source moved on; the target's config version asked for", async () => {
    const moved = await post('/api/v1/promotions', { app: 'shop', from: 'test', to: 'staging', revision: 1 });
    expect(moved.statusCode, moved.body).toBe(409);
    expect(moved.json<{ message: string }>().message).toBe(
      "shop's running revision in test is now 2, not 1: look at the promotion again",
    );
    // staging's config v1 (GREETING=staging) rendered although v2 is current.
    await config('staging', { GREETING: 'staging-v2' });
    const r = await post('/api/v1/promotions', {
      app: 'shop',
      from: 'test',
      to: 'staging',
      revision: 2,
      configVersion: 1,
    });
    expect(r.statusCode, r.body).toBe(202);
    const done = await settle('shop', 'staging', r.json<Release>().revision);
    expect(done).toMatchObject({ status: 'succeeded', configVersion: 1 });
    expect((await rendered('staging', done.revision)).services['web']!.workload.env['GREETING']).toBe('v2 staging');
  });

  it('refuses when the last release in the source failed and none succeeded', async () => {
    await config('empty', { GREETING: 'e', DB_PASSWORD: { value: 'x', secret: true } });
    runtime.fail('web', 'boom');
    try {
      expect((await deploy('empty', SHOP('bad'), { rollbackPolicy: 'none' })).status).toBe('failed');
    } finally {
      runtime.fail('web', 'boom', { when: () => false });
    }
    const r = await post('/api/v1/promotions', { app: 'shop', from: 'empty', to: 'staging' });
    expect(r.statusCode, r.body).toBe(409);
    expect(r.json<{ message: string }>().message).toBe(
      'nothing of shop succeeded in empty: there is no revision to promote',
    );
  });

  it('rolls out a progressive service by its strategy, as a deploy would (a canary, not rolling)', async () => {
    const deployTo = async (env: string, text: string): Promise<Release> => {
      const r = await post('/api/v1/releases', { env, spec: { file: '/apps/shop/berth.yaml', text } });
      expect(r.statusCode, r.body).toBe(202);
      return r.json<Release>();
    };
    for (const env of ['c1', 'c2']) expect((await post('/api/v1/environments', { name: env })).statusCode).toBe(201);
    expect((await settle('shop', 'c2', (await deployTo('c2', canary('1'))).revision)).status).toBe('succeeded');
    expect((await settle('shop', 'c1', (await deployTo('c1', canary('2'))).revision)).status).toBe('succeeded');
    const r = await post('/api/v1/promotions', { app: 'shop', from: 'c1', to: 'c2' });
    expect(r.statusCode, r.body).toBe(202);
    const url = `/api/v1/apps/shop/envs/c2/releases/${r.json<Release>().revision}`;
    let paused: Release | undefined;
    for (let i = 0; i < 200 && !paused; i++) {
      const rel = (await t.request({ method: 'GET', url })).json<Release>();
      if (rel.steps[0]?.progress || rel.status !== 'running') paused = rel;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(paused?.steps[0]?.progress).toMatchObject({ strategy: 'canary', weight: 50 });
    const done = await post('/api/v1/apps/shop/envs/c2/services/web/promote', { full: true });
    expect(done.statusCode, done.body).toBe(202);
    expect((await settle('shop', 'c2', paused!.revision)).status).toBe('succeeded');
  });

  it('a protected target needs confirmed: true for a promotion, a deploy and a rollback', async () => {
    const set = await t.request({ method: 'PATCH', url: '/api/v1/environments/staging', body: { protected: true } });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json<{ target: { protected?: boolean } }>().target.protected).toBe(true);
    const preview = await post('/api/v1/promotions/preview', { app: 'shop', from: 'test', to: 'staging' });
    expect(preview.json<PromotionPreview>().protected).toBe(true);
    // A copy of a protected environment is not protected (a preview or a debugging copy of it).
    const copy = await post('/api/v1/environments/staging-copy/copy', { from: 'staging' });
    expect(copy.statusCode, copy.body).toBe(201);
    expect(copy.json<{ environment: { target: object }; notes: string[] }>()).toMatchObject({
      environment: { target: { kind: 'local' } },
      notes: ['staging is protected, staging-copy is not: protect it with berth env set staging-copy --protected'],
    });
    expect(copy.json<{ environment: { target: object } }>().environment.target).not.toHaveProperty('protected');
    const before = (await t.request({ method: 'GET', url: '/api/v1/apps/shop/envs/staging/releases' })).json<
      Release[]
    >();

    const refused = await post('/api/v1/promotions', { app: 'shop', from: 'test', to: 'staging' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ message: string; details: object }>()).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(
        /^environment staging is protected: a promote of shop into it needs an explicit confirmation/,
      ),
      details: { env: 'staging', app: 'shop', action: 'promote', protected: true },
    });
    const deployRefused = await post('/api/v1/releases', {
      env: 'staging',
      spec: { file: '/b.yaml', text: SHOP('x') },
    });
    expect(deployRefused.statusCode).toBe(403);
    const rollbackRefused = await post('/api/v1/apps/shop/envs/staging/rollback', {});
    expect(rollbackRefused.statusCode).toBe(403);
    const after = (await t.request({ method: 'GET', url: '/api/v1/apps/shop/envs/staging/releases' })).json<
      Release[]
    >();
    expect(after.length).toBe(before.length);

    const ok = await post('/api/v1/promotions', { app: 'shop', from: 'test', to: 'staging', confirmed: true });
    expect(ok.statusCode, ok.body).toBe(202);
    expect((await settle('shop', 'staging', ok.json<Release>().revision)).status).toBe('succeeded');
    const rollback = await post('/api/v1/apps/shop/envs/staging/rollback', { toRevision: 1, confirmed: true });
    expect(rollback.statusCode, rollback.body).toBe(202);
    expect((await settle('shop', 'staging', rollback.json<Release>().revision)).status).toBe('succeeded');

    const lifted = await t.request({
      method: 'PATCH',
      url: '/api/v1/environments/staging',
      body: { protected: false },
    });
    expect(lifted.json<{ target: object }>().target).toEqual({ kind: 'local' });
    expect((await deploy('staging', SHOP('free'))).status).toBe('succeeded');
  });
});
