/**
 * What happens when things go wrong: a deploy that never becomes ready rolls back by itself, and a
 * control plane killed with SIGKILL in the middle of a deploy finishes the release after a restart
 * without duplicating or losing replicas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyExample, processesOf, startBerth, waitFor, type Berth } from './harness.js';

interface Release {
  revision: number;
  kind: string;
  status: string;
  reason: string | null;
  sourceRevision: number | null;
  steps: { service: string; status: string }[];
}
interface Status {
  edge?: { url: string };
  services: { service: string; readyReplicas: number; desiredReplicas: number; replicas: { pid?: number }[] }[];
}

let berth: Berth;
let app: string;

beforeAll(async () => {
  berth = await startBerth();
  app = await copyExample('shop');
  const r = await berth.cli(['deploy', app]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await berth?.teardown();
});

async function editSpec(edit: (text: string) => string): Promise<void> {
  const file = join(app, 'berth.yaml');
  await writeFile(file, edit(await readFile(file, 'utf8')));
}

/** Replicas running the example services: the shop's node programs (not shims, not the gateway). */
async function serviceProcesses(): Promise<string[]> {
  return (await processesOf(berth.home)).filter((p) => /^node server\.js/.test(p.cmd)).map((p) => p.cmd);
}

describe('a deploy that does not become ready', () => {
  it('fails within its deadline, says why, and rolls back to the last good revision', async () => {
    const original = await readFile(join(app, 'berth.yaml'), 'utf8');
    try {
      await editSpec((t) =>
        t.replace(
          /( {2}orders:\n {4}image: .*\n) {4}command: node server\.js.*\n/,
          '$1    command: node -e "console.error(\'cannot connect to the database\'); process.exit(3)"\n    rollout: { progressDeadline: 4s }\n',
        ),
      );
      const edge = (await berth.json<Status>(['status', 'shop'])).edge!.url;
      const r = await berth.cli(['deploy', app, '-m', 'broken orders']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/revision 2 failed: .*orders/);
      expect(r.stderr).toMatch(/exit(ed with)? code 3/);
      expect(r.stderr).toMatch(/rolled back to revision 1 as revision 3: succeeded/);

      const [rb, failed] = await berth.json<Release[]>(['history', 'shop']);
      expect(failed).toMatchObject({ revision: 2, status: 'failed' });
      expect(failed!.steps.find((s) => s.service === 'orders')!.status).toBe('failed');
      expect(failed!.steps.find((s) => s.service === 'web')!.status).toBe('pending'); // level 2 never started
      expect(rb).toMatchObject({ revision: 3, kind: 'auto-rollback', status: 'succeeded', sourceRevision: 1 });
      // the old orders replicas kept serving throughout
      expect((await fetch(`${edge}/api/orders`)).status).toBe(200);
    } finally {
      await writeFile(join(app, 'berth.yaml'), original);
    }
  });
});

describe('the control plane killed in the middle of a deploy', () => {
  for (const delayMs of [0, 400, 1200]) {
    it(`finishes the release after a restart (SIGKILL ${delayMs} ms into the deploy)`, async () => {
      // a config change that replaces every replica, each taking a moment to be ready
      const set = await berth.cli(['config', 'set', `LOG_LEVEL=debug-${delayMs}`, '--app', 'shop']);
      expect(set.code, set.stderr).toBe(0);
      const created = await berth.json<Release>(['deploy', app, '--detach']);
      await new Promise((r) => setTimeout(r, delayMs));
      await berth.kill('SIGKILL');
      const t0 = Date.now();
      await berth.restart();
      const final = await waitFor(
        'release to finish',
        async () => {
          const r = (await berth.api<Release>('GET', `/api/v1/apps/shop/envs/local/releases/${created.revision}`)).body;
          return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
        },
        60_000,
        200,
      );
      expect(final.status, final.reason ?? '').toBe('succeeded');
      expect(Date.now() - t0).toBeLessThan(30_000);
      const st = await berth.json<Status>(['status', 'shop']);
      expect(
        st.services.map((s) => `${s.service} ${s.readyReplicas}/${s.desiredReplicas} (${s.replicas.length})`),
      ).toEqual(['inventory 1/1 (1)', 'orders 2/2 (2)', 'web 1/1 (1)']);
      // exactly the desired processes: no duplicates, no orphans
      await waitFor(
        'old replicas to be gone',
        async () => ((await serviceProcesses()).length === 4 ? true : undefined),
        20_000,
      );
      expect((await fetch(`${st.edge!.url}/api/inventory`)).status).toBe(200);
    });
  }
});
