/**
 * The release routes' parsing: which spec a plan or deploy uses, and the engine requests their bodies
 * map to (pure); then the refusals through fastify's inject(), each naming its body field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.js';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { DeployBody, deployOptionsOf, PlanBody, planOptionsOf, sentSpec } from './releases.js';

const SPEC = { file: '/apps/shop/berth.yaml', text: 'name: shop\nservices:\n  web: { command: node web.js }\n' };

const problemsOf = (fn: () => unknown): unknown[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  throw new Error('no ValidationError');
};

describe('which spec a plan or deploy uses', () => {
  it('parses the berth.yaml sent, of the app named when one is', () => {
    expect(sentSpec({ spec: SPEC })!.spec.name).toBe('shop');
    expect(sentSpec({ spec: SPEC, app: 'shop' })!.file).toBe('/apps/shop/berth.yaml');
    expect(problemsOf(() => sentSpec({ spec: SPEC, app: 'blog' }))).toEqual([
      { path: 'app', message: 'the spec sent is app shop, not blog' },
    ]);
  });

  it('leaves the latest spec of the app named to the engine, and refuses a body with neither', () => {
    expect(sentSpec({ app: 'shop' })).toBeUndefined();
    expect(problemsOf(() => sentSpec({}))).toEqual([
      { path: 'spec', message: 'send the berth.yaml as spec, or name the app whose latest spec to use' },
    ]);
  });
});

describe('the engine requests of plan and deploy bodies', () => {
  it('plans a config version, or a config change against the current one, never both', () => {
    expect(planOptionsOf(PlanBody.parse({ app: 'shop' }))).toEqual({ env: 'local' });
    expect(planOptionsOf(PlanBody.parse({ app: 'shop', env: 'prod', configVersion: 3 }))).toEqual({
      env: 'prod',
      configVersion: 3,
    });
    expect(
      planOptionsOf(PlanBody.parse({ app: 'shop', config: { set: { A: '1', B: { value: '2', secret: true } } } })),
    ).toEqual({ env: 'local', configChange: { set: { A: { value: '1' }, B: { value: '2', secret: true } } } });
    expect(problemsOf(() => planOptionsOf(PlanBody.parse({ app: 'shop', configVersion: 3, config: {} })))).toEqual([
      { path: 'config', message: 'a config change applies to the current config: leave out configVersion' },
    ]);
  });

  it('deploys with the defaults of the body, the author, and the timeout in milliseconds', () => {
    expect(deployOptionsOf(DeployBody.parse({ app: 'shop' }), 'ada')).toEqual({
      env: 'local',
      author: 'ada',
      rollbackPolicy: 'auto',
    });
    expect(
      deployOptionsOf(
        DeployBody.parse({
          app: 'shop',
          message: 'hotfix',
          rollbackPolicy: 'none',
          configVersion: 2,
          timeoutSeconds: 90,
        }),
        'ada',
      ),
    ).toEqual({
      env: 'local',
      author: 'ada',
      rollbackPolicy: 'none',
      message: 'hotfix',
      configVersion: 2,
      timeoutMs: 90_000,
    });
  });
});

describe('POST /api/v1/plans and /api/v1/releases refuse what they cannot do', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await testApi();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['/api/v1/plans', { spec: SPEC, configVersion: 1, config: {} }, 'config'],
    ['/api/v1/plans', { env: 'local' }, 'spec'],
    ['/api/v1/releases', { spec: SPEC, app: 'blog' }, 'app'],
  ])('POST %s %j: 400 naming %s', async (url, body, path) => {
    const r = await t.request({ method: 'POST', url, body });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ code: string; problems: { path: string }[] }>()).toMatchObject({
      code: 'VALIDATION',
      problems: [{ path }],
    });
  });

  it('answers 404 for the latest spec of an app never deployed', async () => {
    const r = await t.request({ method: 'POST', url: '/api/v1/releases', body: { app: 'ghost' } });
    expect(r.statusCode).toBe(404);
    expect(r.json<{ message: string }>().message).toBe('ghost has never been deployed to local: send its berth.yaml');
  });
});
