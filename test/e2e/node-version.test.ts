/**
 * The control plane starts only on the Node.js lines package.json's engines.node claims. This Node
 * (CI runs the suite on Node 20 and Node 26) is accepted: a real `berth server` answers. An
 * unsupported one is played by this same binary with `process.versions.node` replaced before the
 * CLI loads (the check reads nothing else), which is how a Node 21 or 18 would look to it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, startBerth } from './harness.js';

const run = promisify(execFile);
const engines = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } })
  .engines.node;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-e2e-node-version-'));
  await writeFile(
    join(dir, 'node21.cjs'),
    "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '21.7.3' } });\n",
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the real CLI on this Node, as Node 21.7.3 when `asNode21`. */
async function berth(args: string[], asNode21: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = join(dir, 'home');
  const pre = asNode21 ? ['--require', join(dir, 'node21.cjs')] : [];
  return run(process.execPath, [...pre, CLI, ...args], {
    env: { ...process.env, BERTH_HOME: home, BERTH_PORT: '0', NO_COLOR: '1' },
    cwd: ROOT,
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    }),
  );
}

describe('the Node.js version the control plane runs on', () => {
  it(`starts on this Node (${process.version})`, async () => {
    const b = await startBerth();
    try {
      const res = await fetch(`${b.url}/healthz`);
      expect(res.ok).toBe(true);
    } finally {
      await b.teardown();
    }
  });

  it('refuses `berth server` and `berth up` on Node 21, naming the supported versions, before writing anything', async () => {
    for (const args of [
      ['server', '--port', '0'],
      ['up', 'examples/shop'],
    ]) {
      const r = await berth(args, true);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(
        "Berth's control plane needs Node.js 20 (20.19.0 or later), 22 (22.13.0 or later), 24 (24.0.0 or later), 26 (26.0.0 or later); this is Node.js v21.7.3",
      );
      expect(r.stderr).toContain(`engines.node: "${engines}"`);
    }
    expect(existsSync(join(dir, 'home'))).toBe(false);
  });

  it('keeps `berth --version` working on Node 21 (the CLI is a client; only the control plane refuses)', async () => {
    const r = await berth(['--version'], true);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
