/**
 * A release pins code (issue 17 point 1), for real: the shop deployed from a copy, a service's file
 * edited; the running replicas keep the deployed code, `berth plan` says the code changed, a deploy
 * runs the new code, `berth diff` shows it, `berth rollback` answers with the old code again (real
 * HTTP through the edge), and a control-plane restart keeps running the pinned code.
 */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';

interface Status {
  edge?: { url: string };
  services: { service: string; readyReplicas: number; desiredReplicas: number; revision?: number }[];
}

let berth: Berth;
let app: string;

beforeAll(async () => {
  berth = await startBerth();
  app = await copyExample('shop');
});
afterAll(async () => {
  await berth?.teardown();
  if (app) await rm(app, { recursive: true, force: true });
});

const edgeUrl = async (): Promise<string> => (await berth.json<Status>(['status', 'shop'])).edge!.url;

/** What the inventory service answers through the edge (its `replica` field is left out). */
async function inventory(): Promise<Record<string, unknown>> {
  const res = await fetch(`${await edgeUrl()}/api/inventory`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  delete body.replica;
  return body;
}

/** Waits until every replica of the shop is ready at `revision`. */
async function settled(revision: number): Promise<void> {
  await waitFor(`the shop at revision ${revision}`, async () => {
    const st = await berth.json<Status>(['status', 'shop']);
    return st.services.every((s) => s.readyReplicas === s.desiredReplicas && s.revision === revision);
  });
}

describe('a release pins code', () => {
  const source = (): string => join(app, 'inventory', 'server.js');

  it('runs the deployed snapshot, not the folder, until the next deploy', async () => {
    const r = await berth.cli(['deploy', app]);
    expect(r.code, r.stderr).toBe(0);
    await settled(1);
    expect(await inventory()).not.toHaveProperty('version');

    const code = await readFile(source(), 'utf8');
    await writeFile(source(), code.replace('low, replica:', "low, version: 'two', replica:"));
    // Restarted replicas too keep the deployed code: the folder is not what runs.
    expect((await berth.cli(['restart', 'shop/inventory'])).code).toBe(0);
    await settled(2);
    expect(await inventory()).not.toHaveProperty('version');
    // They run in a read-only tree under <BERTH_HOME>/artifacts/, one per snapshot.
    const trees = await readdir(join(berth.home, 'artifacts', 'trees'));
    expect(trees).toHaveLength(3);

    const plan = await berth.cli(['plan', app]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/inventory[\s\S]*code changed: 1 file/);
    expect(plan.stdout).not.toMatch(/orders[^\n]*update/);
    const planned = await berth.json<{ plan: { services: { service: string; action: string }[] } }>(['plan', app]);
    expect(planned.plan.services.map((s) => [s.service, s.action])).toEqual([
      ['inventory', 'update'],
      ['orders', 'unchanged'],
      ['web', 'unchanged'],
    ]);
  });

  it('deploys the new code, diffs it, and rolls back to the old code', async () => {
    const r = await berth.cli(['deploy', app]);
    expect(r.code, r.stderr).toBe(0);
    await settled(3);
    expect(await inventory()).toMatchObject({ version: 'two' });

    const diff = await berth.cli(['diff', 'shop', '2', '3']);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/inventory[\s\S]*code[\s\S]*code changed: 1 file/);

    const back = await berth.cli(['rollback', 'shop', '--to', '2']);
    expect(back.code, back.stderr).toBe(0);
    await settled(4);
    // The folder still holds the edit: the rollback runs revision 2's snapshot.
    expect(await readFile(source(), 'utf8')).toContain("version: 'two'");
    expect(await inventory()).not.toHaveProperty('version');
    // The rollback's revision records revision 2's snapshot, shown by `berth releases show`.
    type Shown = { rendered: { codes?: Record<string, string> } };
    const [two, four] = await Promise.all(['2', '4'].map((n) => berth.json<Shown>(['releases', 'show', 'shop', n])));
    expect(four.rendered.codes).toEqual(two.rendered.codes);
    expect(Object.keys(four.rendered.codes ?? {})).toEqual(['inventory', 'orders', 'web']);
    const table = await berth.cli(['releases', 'show', 'shop', '4']);
    expect(table.stdout).toMatch(/REGISTRY +CODE/);
    expect(table.stdout).toContain(two.rendered.codes!.inventory!.slice(0, 19));
  });

  it('keeps running the pinned code after a control-plane restart', async () => {
    await berth.kill('SIGKILL');
    await berth.restart();
    await settled(4);
    expect(await inventory()).not.toHaveProperty('version');
    expect((await berth.cli(['restart', 'shop/inventory'])).code).toBe(0);
    await settled(5);
    expect(await inventory()).not.toHaveProperty('version');
  });
});

describe('a folder too large to pin', () => {
  it('refuses the deploy and the plan, naming the service and the folder, and starts nothing', async () => {
    const small = await startBerth({ env: { BERTH_CODE_MAX_BYTES: '100' } });
    try {
      for (const cmd of ['plan', 'deploy']) {
        const r = await small.cli([cmd, app]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(
          /the code of service inventory \(.*\/inventory\) is too large to pin: more than 100 bytes; .*BERTH_CODE_MAX_BYTES/,
        );
        expect(r.stderr).not.toMatch(/internal/i);
      }
      // No revision was made.
      expect((await small.cli(['history', 'shop'])).stderr).toMatch(/no app shop in environment local/);
    } finally {
      await small.teardown();
    }
  });
});
