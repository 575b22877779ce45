/**
 * `berth env copy` and `berth env diff` through the real CLI and a real control plane: the shop's
 * values, secrets and a secret file set in `local` are copied to a new `qa` in one step (no reveal),
 * the shop deployed to `qa` runs with them (its greeting over HTTP, its session secret in the replica's
 * environment), and the difference between the two shows only what differs, secrets without values.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copyExample, startBerth, type Berth } from './harness.js';
import { freePort } from '../../src/gateway/testing.js';

let berth: Berth;
let dir: string;
const shop = ['--app', 'shop'];
/** The edge port of the shop in qa. */
let edge = 0;

async function ok(args: string[]): Promise<string> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  dir = await copyExample('shop');
  berth = await startBerth();
}, 60_000);
afterAll(async () => {
  await berth?.cli(['down', 'shop', '--env', 'qa']).catch(() => undefined);
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('berth env copy', () => {
  it('copies values, secrets and secret files to a new environment, and the shop runs there with them', async () => {
    const key = join(dir, 'tls.key');
    await writeFile(key, 'PRIVATE KEY of local\n');
    await ok(['config', 'set', 'GREETING=Hello from the copied config', 'CURRENCY=CHF', ...shop]);
    await ok(['config', 'set', 'SESSION_SECRET=s3ss10n-local', '--secret', ...shop]);
    await ok(['config', 'set', '--file', `tls.key=${key}`, '--secret', ...shop]);
    await ok(['env', 'set', 'local', '--edge-port', String(await freePort())]);

    const out = await ok(['env', 'copy', 'local', 'qa']);
    expect(out).toBe(
      [
        'created qa like local',
        "  note: local's edge ports are not copied: qa's apps get the next free ports (berth env set qa --edge-port)",
        'shop  local@3 → qa@1  copied (2 values, 2 secrets, 1 file)',
        '',
      ].join('\n'),
    );
    edge = await freePort();
    await ok(['env', 'set', 'qa', '--edge-port', String(edge)]);
    expect(out + (await readFile(join(berth.home, 'berth.db'), 'latin1'))).not.toContain('s3ss10n-local');

    expect(await ok(['config', 'get', 'SESSION_SECRET', '--reveal', '--env', 'qa', ...shop])).toBe('s3ss10n-local\n');
    expect(await ok(['config', 'get', 'tls.key', '--reveal', '--env', 'qa', ...shop])).toBe('PRIVATE KEY of local\n');
    expect(await ok(['config', 'history', '--env', 'qa', ...shop, '-o', 'json'])).toContain('copied from local@3');

    const deploy = await berth.cli(['deploy', dir, '--env', 'qa']);
    expect(deploy.code, deploy.stderr).toBe(0);
    const st = await berth.json<{
      services: { service: string; replicas: { pid?: number }[] }[];
    }>(['status', 'shop', '--env', 'qa']);
    const greeting = await (await fetch(`http://127.0.0.1:${edge}/api/greeting`)).json();
    expect(greeting).toEqual({ greeting: 'Hello from the copied config' });
    const pid = st.services.find((s) => s.service === 'web')?.replicas[0]?.pid;
    expect(pid).toBeGreaterThan(0);
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    expect(environ).toContain('SESSION_SECRET=s3ss10n-local');
  }, 90_000);

  it('refuses to copy over an existing environment, and names what is wrong', async () => {
    const again = await berth.cli(['env', 'copy', 'local', 'qa']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/qa already exists.*--into-existing/);
    const same = await berth.cli(['env', 'copy', 'qa', 'qa']);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/onto itself[\s\S]*from/);
    const unknown = await berth.cli(['env', 'copy', 'nope', 'qa3']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('environment nope does not exist');
    const app = await berth.cli(['env', 'copy', 'local', 'qa3', '--app', 'ghost']);
    expect(app.code).toBe(1);
    expect(app.stderr).toMatch(/apps: ghost has no config in local/);
    const into = await berth.json<{ created: boolean; apps: { outcome: string }[] }>([
      'env',
      'copy',
      'local',
      'qa',
      '--into-existing',
      '-o',
      'json',
    ]);
    expect(into).toMatchObject({ created: false, apps: [{ app: 'shop', outcome: 'unchanged' }] });
  });
});

describe('berth env diff', () => {
  it('shows only what differs between two environments, secrets as (secret, differs) without values', async () => {
    expect(await ok(['env', 'diff', 'local', 'qa'])).toBe('shop (local@3 → qa@1): no differences\n');
    await ok(['config', 'set', 'CURRENCY=USD', 'SESSION_SECRET=s3ss10n-qa', '--env', 'qa', ...shop]);
    // The same secret set again (sealed anew) is no difference: secrets are compared by their digest.
    await ok(['config', 'set', 'API_TOKEN=tok-same', '--secret', ...shop]);
    await ok(['config', 'set', 'API_TOKEN=tok-same', '--secret', '--env', 'qa', ...shop]);
    const out = await ok(['env', 'diff', 'local', 'qa', '--app', 'shop']);
    expect(out).toBe(
      ['shop (local@4 → qa@3)', '  ~ CURRENCY: "CHF" → "USD"', '  ~ SESSION_SECRET (secret, differs)', ''].join('\n'),
    );
    expect(out).not.toMatch(/s3ss10n|tok-same/);
    const json = await berth.json<{ entries: unknown[] }[]>(['env', 'diff', 'local', 'qa', '-o', 'json']);
    const yaml = await berth.cli(['env', 'diff', 'local', 'qa', '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(parse(yaml.stdout)).toEqual(json);
    expect(json[0]?.entries).toEqual([
      { kind: 'value', key: 'CURRENCY', change: 'changed', secret: false, from: 'CHF', to: 'USD' },
      { kind: 'value', key: 'SESSION_SECRET', change: 'changed', secret: true },
    ]);
  });

  it('copies over a newer config only with --force, deploying nothing: status says the config is ahead', async () => {
    const newer = await berth.cli(['env', 'copy', 'local', 'qa', '--into-existing']);
    expect(newer.code).toBe(1);
    expect(newer.stderr).toMatch(/config of shop in qa was written after the version copied from local.*--force/);
    const forced = await ok(['env', 'copy', 'local', 'qa', '--into-existing', '--force']);
    expect(forced).toBe(
      'copying config of local into existing qa\nshop  local@4 → qa@4  copied (2 values, 3 secrets, 1 file)\n',
    );
    expect(await ok(['env', 'diff', 'local', 'qa'])).toBe('shop (local@4 → qa@4): no differences\n');
    expect(await ok(['status', 'shop', '--env', 'qa'])).toMatch(/config version 4 is ahead of what runs/);
    const greeting = await (await fetch(`http://127.0.0.1:${edge}/api/greeting`)).json();
    expect(greeting).toEqual({ greeting: 'Hello from the copied config' });
  });
});
