/**
 * Operations on one app and environment are serialized: a restart (or deploy, rollback, scale,
 * down) sent while a deploy runs is refused with 409 naming the running revision, or queued behind
 * it with --wait, and never supersedes it; `berth cancel` ends a running release deliberately (it
 * fails and rolls back); `abort` of a rolling deploy says to use cancel. A release's timeout is kept
 * with it: a control plane killed (SIGKILL) and started again still fails it by then. A replica that
 * crashes before it was ever ready fails its release after a few crashes, saying how it exited and
 * what it printed to stderr.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startBerth, waitFor, type Berth } from './harness.js';

const HELLO = join(ROOT, 'test/apps/hello/server.mjs');

interface Release {
  revision: number;
  kind: string;
  status: string;
  reason: string | null;
  /** The reason's code and params (the console translates them), beside its English text. */
  reasonMessage?: { code: string; params: Record<string, string | number>; text: string };
  sourceRevision: number | null;
  options: { timeoutMs?: number };
  cancelRequest: { by: string } | null;
  steps: { service: string; status: string; message: string | null }[];
}
interface ApiError {
  code: string;
  message: string;
  details?: { revision?: number };
}

let berth: Berth;
let root: string;

beforeAll(async () => {
  berth = await startBerth();
  root = await mkdtemp(join(tmpdir(), 'berth-operations-'));
});
afterAll(async () => {
  await berth?.teardown();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Writes app `name` (one service `front` with `service` lines) and returns its folder. */
async function app(name: string, front: string[]): Promise<string> {
  const dir = join(root, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'berth.yaml'), [`name: ${name}`, 'services:', '  front:', ...front, ''].join('\n'));
  return dir;
}

/** A front whose readiness takes `readyAfterMs` (the slow service, shortened). */
const slowFront = (version: string, readyAfterMs: number): string[] => [
  `    command: [node, ${JSON.stringify(HELLO)}]`,
  `    env: { VERSION: "${version}", READY_AFTER_MS: "${readyAfterMs}" }`,
  '    health: { readiness: { http: { path: /healthz }, period: 200ms } }',
  '    terminationGracePeriod: 2s',
];

const history = (name: string): Promise<Release[]> => berth.json<Release[]>(['history', name]);
const revision = async (name: string, n: number): Promise<Release> =>
  (await berth.api<Release>('GET', `/api/v1/apps/${name}/envs/local/releases/${n}`)).body;
const finished = (name: string, n: number, timeoutMs = 60_000): Promise<Release> =>
  waitFor(
    `revision ${n} of ${name} to finish`,
    async () => {
      const r = await revision(name, n);
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    },
    timeoutMs,
    100,
  );

describe('one operation at a time', () => {
  it('a restart while a deploy runs is refused with 409 naming it (or queued with --wait), and supersedes nothing', async () => {
    let dir = await app('slow', slowFront('1', 0));
    const first = await berth.cli(['deploy', dir]);
    expect(first.code, first.stderr).toBe(0);

    // The repro: a deploy whose readiness takes a while, a restart soon after.
    dir = await app('slow', slowFront('2', 3000));
    const deploy = await berth.json<Release>(['deploy', dir, '-d']);
    expect(deploy.revision).toBe(2);
    await waitFor('revision 2 to run', async () => (await revision('slow', 2)).status === 'running');

    const refused = await berth.cli(['restart', 'slow/front']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/slow in local: revision 2 \(deploy by [^,]+, running\) is in progress/);
    expect(refused.stderr).toContain('--wait');
    expect(refused.stderr).toContain('berth cancel slow');

    // The API: 409 with the running revision, for every kind of operation.
    const api = await berth.api<ApiError>('POST', '/api/v1/apps/slow/envs/local/services/front/restart', {});
    expect(api.status).toBe(409);
    expect(api.body).toMatchObject({ code: 'LOCKED', details: { revision: 2 } });
    for (const [method, path, body] of [
      ['POST', '/api/v1/releases', { app: 'slow' }],
      ['POST', '/api/v1/apps/slow/envs/local/rollback', { toRevision: 1 }],
      ['POST', '/api/v1/apps/slow/envs/local/services/front/scale', { replicas: 2 }],
      ['PUT', '/api/v1/apps/slow/envs/local/services/front/policy', { policy: null }],
      ['DELETE', '/api/v1/apps/slow/envs/local', undefined],
    ] as const) {
      const r = await berth.api<ApiError>(method, path, body);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(409);
      expect(r.body.message).toContain('revision 2 (deploy');
    }
    // A request that cannot be made at all says so, not that another operation runs.
    const unknown = await berth.api<ApiError>('POST', '/api/v1/apps/slow/envs/local/services/nope/scale', {
      replicas: 1,
    });
    expect(unknown.status).toBe(404);

    // Queued: the restart starts once the deploy has finished, and both succeed.
    const queued = await berth.cli(['restart', 'slow/front', '--wait']);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stderr).toMatch(
      /slow in local: revision 2 \(deploy by \S+, running\) is in progress; waiting for it to finish/,
    );
    expect(queued.stderr).toContain('revision 3 is live');

    const [restart, deployed, ...rest] = await history('slow');
    expect(deployed).toMatchObject({ revision: 2, kind: 'deploy', status: 'succeeded' });
    expect(restart).toMatchObject({ revision: 3, kind: 'restart', status: 'succeeded' });
    expect(rest.map((r) => r.revision)).toEqual([1]); // no failed revision, no auto-rollback
    const events = await (
      await fetch(`${berth.url}/api/v1/apps/slow/envs/local/releases/2/events`, {
        headers: { authorization: `Bearer ${berth.token}` },
      })
    ).text();
    expect(events).toContain('revision 2 is live');
    expect(events).not.toContain('superseded');
  });

  it('berth cancel ends a running deploy: it fails as cancelled and rolls back; abort of a rolling deploy points to cancel', async () => {
    const dir = await app('slow', slowFront('3', 60_000));
    const deploy = await berth.json<Release>(['deploy', dir, '-d']);
    expect(deploy.revision).toBe(4);
    await waitFor('revision 4 to run', async () => (await revision('slow', 4)).status === 'running');

    const abort = await berth.cli(['abort', 'slow/front']);
    expect(abort.code).toBe(1);
    expect(abort.stderr).toMatch(/nothing to abort: front has no canary.*a rolling update.*berth cancel slow/);

    const wrong = await berth.cli(['cancel', 'slow', '--revision', '3']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('revision 3 of slow is not running in local (revision 4 is)');

    const t0 = Date.now();
    const cancel = await berth.cli(['cancel', 'slow']);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(cancel.stderr).toMatch(/revision 4 failed: cancelled by /);
    expect(cancel.stderr).toMatch(/rolled back to revision 3 as revision 5: succeeded/);

    const cancelled = await revision('slow', 4);
    expect(cancelled).toMatchObject({ status: 'failed', cancelRequest: { by: expect.any(String) } });
    expect(cancelled.reason).toMatch(/^cancelled by \S+ while rolling out front$/);
    expect(cancelled.reasonMessage).toEqual({
      code: 'release.cancelledRollingOut',
      params: { by: cancelled.cancelRequest!.by, services: 'front' },
      text: cancelled.reason,
    });
    expect(await revision('slow', 5)).toMatchObject({ kind: 'auto-rollback', status: 'succeeded', sourceRevision: 3 });

    const nothing = await berth.cli(['cancel', 'slow']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('nothing to cancel: no release of slow is running in local');
  });
});

describe('what a release was started with survives a restart', () => {
  it('a deploy with --timeout 5s of a never-ready service fails by its timeout after the control plane is SIGKILLed', async () => {
    const dir = await app('stuck', [
      `    command: [node, ${JSON.stringify(HELLO)}]`,
      '    env: { READY_AFTER_MS: "3600000" }',
      '    health: { readiness: { http: { path: /healthz }, period: 200ms } }',
      '    terminationGracePeriod: 1s',
    ]);
    const t0 = Date.now();
    const created = await berth.json<Release>(['deploy', dir, '-d', '--timeout', '5s', '--no-rollback']);
    expect(created.options).toEqual({ timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 1000));
    await berth.kill('SIGKILL');
    await berth.restart();

    const final = await finished('stuck', created.revision, 30_000);
    const tookMs = Date.now() - t0;
    expect(final.status).toBe('failed');
    expect(final.reason).toMatch(/^timeout of 5s exceeded/);
    expect(final.reasonMessage).toEqual({
      code: 'release.timedOutRollingOut',
      params: { duration: '5s', services: 'front' },
      text: final.reason,
    });
    expect(final.options).toEqual({ timeoutMs: 5000 });
    // Counted from the release's start, not from the resume (nor the 600 s progress deadline).
    expect(tookMs).toBeGreaterThanOrEqual(5000);
    expect(tookMs).toBeLessThan(15_000);
    const shown = await berth.cli(['history', 'stuck']);
    expect(shown.stdout).toContain('timeout of 5s exceeded');
  });
});

describe('a crash loop fails fast', () => {
  it('a service that exits at once fails its deploy after 3 crashes with the exit code and its stderr, not at the deadline', async () => {
    const dir = await app('boom', [
      `    command: [sh, -c, 'echo starting >&2; echo boom >&2; exit 3']`,
      '    restart: { initialBackoff: 300ms }',
    ]);
    const t0 = Date.now();
    const r = await berth.cli(['deploy', dir]);
    const tookMs = Date.now() - t0;
    expect(r.code).toBe(1);
    expect(tookMs).toBeLessThan(15_000); // the progress deadline is 600 s
    const reason =
      /front: crash loop: front-\w+-\w+ crashed 3 times in a row without ever becoming ready; last exit: exited with code 3: boom; last stderr: starting \| boom/;
    expect(r.stderr).toMatch(reason);

    const [failed] = await history('boom');
    expect(failed).toMatchObject({ revision: 1, status: 'failed' });
    expect(failed!.reason).toMatch(reason);
    const { reasonMessage } = await revision('boom', 1);
    expect(reasonMessage).toMatchObject({
      code: 'release.crashLoop',
      params: {
        service: 'front',
        replica: expect.stringMatching(/^front-\w+-\w+$/),
        crashes: 3,
        // The last exit is a message of its own (translated in the console), its text as the CLI prints it.
        lastExit: expect.objectContaining({ code: 'exit.withExcerpt', text: 'exited with code 3: boom' }),
        lastStderr: 'starting | boom',
      },
      text: failed!.reason,
    });
    expect(failed!.steps[0]).toMatchObject({ service: 'front', status: 'failed' });
    expect((await berth.cli(['history', 'boom'])).stdout).toContain('crash loop');
    expect((await berth.cli(['status', 'boom'])).stdout).toMatch(/revision 1 deploy failed: front: crash loop/);
  });
});
