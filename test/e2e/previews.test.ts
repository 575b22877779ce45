/**
 * Preview environments through the real CLI and a real control plane: a preview of the shop opened from
 * `local` (its config, a secret included, and its own free edge port), the shop deployed there answering
 * over HTTP beside the shop in `local`, `berth env list` marking it, then closed by hand — its replicas
 * gone and its environment deleted — and a preview with a time to live of a few seconds swept by the
 * control plane.
 */
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';
import { freePort } from '../../src/gateway/testing.js';

let berth: Berth;
let dir: string;
const shop = ['--app', 'shop'];

async function ok(args: string[]): Promise<string> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

interface Preview {
  app: string;
  key: string;
  env: string;
  state: string;
  edgePort?: number;
  expiresAt: string;
  closedReason?: string;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The replicas' processes of the shop in `env`, web's first. */
async function pidsOf(env: string): Promise<number[]> {
  const st = await berth.json<{ services: { service: string; replicas: { pid?: number }[] }[] }>([
    'status',
    'shop',
    '--env',
    env,
  ]);
  const web = st.services.filter((s) => s.service === 'web');
  const others = st.services.filter((s) => s.service !== 'web');
  return [...web, ...others].flatMap((s) => s.replicas.map((r) => r.pid ?? 0)).filter((p) => p > 0);
}

beforeAll(async () => {
  dir = await copyExample('shop');
  // The default data plane (HAProxy where installed): a closed preview's edge refuses the idle
  // keep-alive connection fetch keeps to it, on HAProxy as on the Node proxy.
  berth = await startBerth({ env: { BERTH_PREVIEW_SWEEP_INTERVAL: '1s' } });
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('berth preview', () => {
  it('opens a preview of the shop from local, runs it on its own port, and closes it: replicas and environment gone', async () => {
    const localEdge = await freePort();
    await ok(['env', 'set', 'local', '--edge-port', String(localEdge)]);
    await ok(['config', 'set', 'GREETING=Hello from local', ...shop]);
    await ok(['config', 'set', 'SESSION_SECRET=s3ss10n-preview', '--secret', ...shop]);
    const local = await berth.cli(['deploy', dir]);
    expect(local.code, local.stderr).toBe(0);

    const opened = await ok(['preview', 'open', 'shop', '--branch', 'feature/Checkout_v2', '--template', 'local']);
    const [p] = await berth.json<Preview[]>(['preview', 'list', '--app', 'shop']);
    expect(p).toMatchObject({
      app: 'shop',
      key: 'feature-checkout-v2',
      env: 'local-feature-checkout-v2',
      state: 'open',
    });
    const edge = p!.edgePort!;
    expect(edge).toBeGreaterThan(0);
    expect([localEdge, 8080]).not.toContain(edge);
    expect(opened).toBe(
      `opened preview feature-checkout-v2 of shop: environment local-feature-checkout-v2 (like local), edge port ${edge}\n` +
        `  expires ${p!.expiresAt} (in 3d); deploy: berth deploy --env local-feature-checkout-v2\n`,
    );
    // 72 hours by default.
    expect(Date.parse(p!.expiresAt) - Date.now()).toBeGreaterThan(72 * 3_600_000 - 60_000);
    const ls = await ok(['env', 'list']);
    expect(ls).toMatch(/^local-feature-checkout-v2 +this machine .* shop\/feature-checkout-v2$/m);
    expect(ls).toMatch(/^local +this machine .*-$/m);
    expect(await ok(['config', 'get', 'SESSION_SECRET', '--reveal', '--env', p!.env, ...shop])).toBe(
      's3ss10n-preview\n',
    );

    const deploy = await berth.cli(['deploy', dir, '--env', p!.env]);
    expect(deploy.code, deploy.stderr).toBe(0);
    const greeting = async (port: number): Promise<unknown> =>
      (await fetch(`http://127.0.0.1:${port}/api/greeting`)).json();
    expect(await greeting(edge)).toEqual({ greeting: 'Hello from local' });
    expect(await greeting(localEdge)).toEqual({ greeting: 'Hello from local' });
    const pids = await pidsOf(p!.env);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    const environ = (await readFile(`/proc/${pids[0]}/environ`, 'utf8')).split('\0');
    expect(environ).toContain('SESSION_SECRET=s3ss10n-preview');
    const localPids = await pidsOf('local');

    // Opened again: renewed, the same environment and port.
    const again = await berth.json<Preview>([
      'preview',
      'open',
      'shop',
      'feature-checkout-v2',
      '-t',
      'local',
      '--ttl',
      '2h',
    ]);
    expect(again).toMatchObject({ env: p!.env, edgePort: edge, state: 'open' });
    expect(Date.parse(again.expiresAt) - Date.now()).toBeLessThan(2 * 3_600_000 + 1000);

    const closed = await ok(['preview', 'close', 'shop', 'feature-checkout-v2', '--reason', 'merged']);
    expect(closed).toBe(
      'closed preview feature-checkout-v2 of shop: environment local-feature-checkout-v2 deleted (merged)\n',
    );
    expect(pids.filter(alive)).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${edge}/api/greeting`)).rejects.toThrow();
    const gone = await berth.cli(['env', 'get', p!.env]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`environment ${p!.env} does not exist`);
    // The shop in local runs on.
    expect(localPids.filter(alive)).toEqual(localPids);
    expect(await greeting(localEdge)).toEqual({ greeting: 'Hello from local' });
    // Closing again is no error; the list keeps why it was closed.
    expect(await berth.json<Preview>(['preview', 'close', 'shop', 'feature-checkout-v2'])).toMatchObject({
      state: 'closed',
      closedReason: 'merged',
    });
    expect(await ok(['preview', 'list'])).toBe('no preview environments\n');
    const all = await berth.cli(['preview', 'list', '--all', '-o', 'yaml']);
    expect(parse(all.stdout)).toMatchObject([{ key: 'feature-checkout-v2', state: 'closed', closedReason: 'merged' }]);
  }, 90_000);

  it('closes a preview whose time to live is over, and names bad input', async () => {
    // Long enough for the deploy on a busy machine (on HAProxy each new listener is a reload, up to a
    // second each at load 10 on 2 cores); the control plane sweeps every second (BERTH_PREVIEW_SWEEP_INTERVAL).
    await ok(['preview', 'open', 'shop', 'pr-42', '--template', 'local', '--ttl', '20s']);
    const deploy = await berth.cli(['deploy', dir, '--env', 'local-pr-42']);
    expect(deploy.code, deploy.stderr).toBe(0);
    const pids = await pidsOf('local-pr-42');
    expect(pids.length).toBeGreaterThanOrEqual(3);
    const swept = await waitFor(
      'the sweep of pr-42',
      async () => {
        const [p] = await berth.json<Preview[]>(['preview', 'list', '--all', '--app', 'shop']);
        return p?.key === 'pr-42' && p.state === 'closed' ? p : undefined;
      },
      30_000,
    );
    expect(swept.closedReason).toBe('expired');
    expect(pids.filter(alive)).toEqual([]);
    expect((await berth.json<{ name: string }[]>(['env', 'list'])).map((e) => e.name)).not.toContain('local-pr-42');

    const bad = await berth.cli(['preview', 'open', 'shop', 'Not_A_Label', '--template', 'local', '--ttl', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/key: lowercase letters, digits and -/);
    const ttl = await berth.cli(['preview', 'open', 'shop', 'ok', '--template', 'local', '--ttl', 'soon']);
    expect(ttl.code).toBe(1);
    expect(ttl.stderr).toMatch(/ttl: must be a duration longer than 0/);
    const none = await berth.cli(['preview', 'close', 'shop', 'never']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('shop has no preview never');
    const template = await berth.cli(['preview', 'open', 'shop', 'x', '--template', 'nowhere']);
    expect(template.code).toBe(1);
    expect(template.stderr).toContain('environment nowhere does not exist');
  }, 90_000);
});
