/**
 * The HTTP API beyond what the CLI uses: a plan or deploy of an app's latest spec without sending
 * berth.yaml (what the console does), and a plan against a config change that is not written yet
 * (the console's "impact before saving").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT, startBerth, waitFor, type Berth } from './harness.js';

interface ServicePlan {
  service: string;
  action: string;
  restart: boolean;
  changes: { path: string; from?: unknown; to?: unknown; because: string[] }[];
}
interface PlanResult {
  plan: { changed: boolean; toConfigVersion: number; services: ServicePlan[] };
}
interface Problem {
  path: string;
  message: string;
}
interface ErrorBody {
  code: string;
  message: string;
  problems?: Problem[];
}

const SHOP = join(ROOT, 'examples/shop');
let berth: Berth;

beforeAll(async () => {
  berth = await startBerth();
  expect((await berth.cli(['deploy', SHOP])).code).toBe(0);
});
afterAll(async () => {
  await berth?.teardown();
});

describe('plans and deploys without a berth.yaml', () => {
  it("plans the app's latest spec against the current config: nothing changes", async () => {
    const r = await berth.api<PlanResult>('POST', '/api/v1/plans', { app: 'shop', env: 'local' });
    expect(r.status).toBe(200);
    expect(r.body.plan.changed).toBe(false);
    expect(r.body.plan.services.map((s) => s.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });

  it('previews a config change: which services restart and why, and writes nothing', async () => {
    const before = await berth.json<{ version: number }[]>(['config', 'history', '--app', 'shop']);
    const r = await berth.api<PlanResult>('POST', '/api/v1/plans', {
      app: 'shop',
      env: 'local',
      config: { set: { GREETING: 'Hello from the console' } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const web = r.body.plan.services.find((s) => s.service === 'web')!;
    expect(web).toMatchObject({ action: 'update', restart: true });
    expect(web.changes).toContainEqual(
      expect.objectContaining({ path: 'env.GREETING', to: 'Hello from the console', because: ['config GREETING'] }),
    );
    const restarting = r.body.plan.services.filter((s) => s.restart).map((s) => s.service);
    expect(restarting).toEqual(['web']);
    expect(await berth.json<{ version: number }[]>(['config', 'history', '--app', 'shop'])).toEqual(before);
  });

  it('previews a secret change masked, and refuses a stale base version with 409', async () => {
    const secret = await berth.api<PlanResult>('POST', '/api/v1/plans', {
      app: 'shop',
      env: 'local',
      config: { set: { SESSION_SECRET: { value: 'preview-only-secret', secret: true } } },
    });
    expect(secret.status, JSON.stringify(secret.body)).toBe(200);
    expect(JSON.stringify(secret.body)).not.toContain('preview-only-secret');
    expect(secret.body.plan.services.filter((s) => s.restart).map((s) => s.service)).toEqual(['web']);

    const stale = await berth.api<ErrorBody>('POST', '/api/v1/plans', {
      app: 'shop',
      env: 'local',
      config: { baseVersion: 99, set: { GREETING: 'x' } },
    });
    expect(stale.status).toBe(409);
  });

  it('deploys the latest spec with the current config', async () => {
    const set = await berth.cli(['config', 'set', 'CURRENCY=CHF', '--app', 'shop', '-m', 'Swiss shop']);
    expect(set.code, set.stderr).toBe(0);
    const r = await berth.api<{ revision: number }>('POST', '/api/v1/releases', { app: 'shop', env: 'local' });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const last = await waitFor('the release to finish', async () => {
      const [l] = await berth.json<{ revision: number; status: string; configVersion: number }[]>(['history', 'shop']);
      return l?.status === 'succeeded' || l?.status === 'failed' ? l : undefined;
    });
    expect(last).toMatchObject({ revision: r.body.revision, status: 'succeeded', configVersion: 1 });
  });

  it('names the field when neither a spec nor an app is sent, and 404s an app never deployed', async () => {
    const none = await berth.api<ErrorBody>('POST', '/api/v1/plans', { env: 'local' });
    expect(none.status, JSON.stringify(none.body)).toBe(400);
    expect(none.body.problems).toContainEqual(expect.objectContaining({ path: 'spec' }));
    const unknown = await berth.api<ErrorBody>('POST', '/api/v1/releases', { app: 'nope', env: 'local' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toMatch(/nope has never been deployed to local/);
  });
});
