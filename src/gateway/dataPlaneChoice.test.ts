import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError, ValidationError } from '../errors.js';
import { chooseDataPlane, servedDataPlane } from './dataPlaneChoice.js';
import { findHaproxy } from './haproxy/haproxyProcess.js';
import { tempHome } from './testing.js';

let home: { dir: string; remove(): Promise<void> };
beforeAll(async () => {
  home = await tempHome();
});
afterAll(async () => {
  await home?.remove();
});

/** An executable that answers `-v` with `out`, like an haproxy binary would. */
function fakeHaproxy(name: string, out: string): string {
  const file = join(home.dir, name);
  writeFileSync(file, `#!/bin/sh\necho '${out}'\n`);
  chmodSync(file, 0o755);
  return file;
}

// CI and this machine have Debian's haproxy (2.6): the default (auto) then is HAProxy.
const installed = findHaproxy();

describe('chooseDataPlane', () => {
  it('defaults to the installed HAProxy (auto), and says so and how to choose the Node proxy', async () => {
    expect(installed).toBeDefined();
    const c = await chooseDataPlane({});
    expect(c.plane).toBe('haproxy');
    expect(c.haproxy?.path).toBe(installed);
    expect(c.reason).toMatch(
      /^HAProxy 2\.\d+\S* at \S+ \(the default, auto: HAProxy when a usable one is installed; --data-plane node for the built-in Node proxy\)$/,
    );
    expect(c.reason).toContain(`at ${installed} (`);
  });

  it('defaults to the Node proxy without a usable HAProxy, and says why there is none', async () => {
    const missing = await chooseDataPlane({ binary: join(home.dir, 'nowhere', 'haproxy') });
    expect(missing).toEqual({ plane: 'node', reason: expect.stringContaining('haproxy not found') as string });
    expect(missing.reason).toMatch(
      /^the built-in Node proxy \(the default, auto: no usable HAProxy: haproxy not found/,
    );
    const old = await chooseDataPlane({ binary: fakeHaproxy('old0', 'HA-Proxy version 1.8.19 2019/02/11') });
    expect(old.plane).toBe('node');
    expect(old.reason).toContain('HAProxy 1.8.19; the HAProxy data plane needs 2.6 or later');
  });

  it('picks HAProxy with auto when a usable one is installed, else the Node proxy, and says why', async () => {
    const c = await chooseDataPlane({ flag: 'auto' });
    expect(c.plane).toBe('haproxy');
    expect(c.haproxy?.path).toBe(installed);
    expect(c.reason).toMatch(/^--data-plane auto: HAProxy 2\.\d+\S* is installed at \//);
    const byEnv = await chooseDataPlane({ env: 'auto' });
    expect(byEnv.plane).toBe('haproxy');
    expect(byEnv.reason).toMatch(/^BERTH_DATA_PLANE auto: HAProxy /);
    const missing = await chooseDataPlane({ env: 'auto', binary: join(home.dir, 'nowhere', 'haproxy') });
    expect(missing.plane).toBe('node');
    expect(missing.reason).toMatch(
      /^BERTH_DATA_PLANE auto: no usable HAProxy, so the built-in Node proxy: haproxy not found/,
    );
    const old = await chooseDataPlane({
      flag: 'auto',
      binary: fakeHaproxy('old', 'HA-Proxy version 1.8.19 2019/02/11'),
    });
    expect(old.plane).toBe('node');
    expect(old.reason).toContain('HAProxy 1.8.19; the HAProxy data plane needs 2.6 or later');
    const other = await chooseDataPlane({ flag: 'auto', binary: fakeHaproxy('other', 'something else 3.0') });
    expect(other.plane).toBe('node');
    expect(other.reason).toContain('does not name an HAProxy version');
  });

  it('takes --data-plane over BERTH_DATA_PLANE over the default', async () => {
    expect(await chooseDataPlane({ flag: 'node' })).toEqual({ plane: 'node', reason: '--data-plane node' });
    expect(await chooseDataPlane({ env: 'node' })).toEqual({ plane: 'node', reason: 'BERTH_DATA_PLANE node' });
    expect((await chooseDataPlane({ flag: 'node', env: 'haproxy' })).plane).toBe('node');
    expect((await chooseDataPlane({ flag: 'node', env: 'auto' })).plane).toBe('node');
    const byEnv = await chooseDataPlane({ env: 'haproxy' });
    expect(byEnv.plane).toBe('haproxy');
    expect(byEnv.reason).toMatch(/^BERTH_DATA_PLANE haproxy \(HAProxy 2\.\d+\S* at /);
    const byFlag = await chooseDataPlane({ flag: 'haproxy', env: 'node' });
    expect(byFlag.reason).toMatch(/^--data-plane haproxy/);
    // An empty variable is not a choice.
    expect((await chooseDataPlane({ env: '' })).reason).toMatch(/\(the default, auto: /);
  });

  it('refuses HAProxy asked for when none is usable, and an unknown plane, by name', async () => {
    const binary = join(home.dir, 'nowhere', 'haproxy');
    const err = await chooseDataPlane({ flag: 'haproxy', binary }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toContain('haproxy not found');
    const tooOld = fakeHaproxy('old2', 'HAProxy version 2.4.1');
    await expect(chooseDataPlane({ env: 'haproxy', binary: tooOld })).rejects.toThrow('needs 2.6 or later');
    const wrong = await chooseDataPlane({ flag: 'nginx' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ValidationError);
    expect((wrong as Error).message).toBe('--data-plane is "nginx": expected node, haproxy or auto');
    await expect(chooseDataPlane({ env: 'Auto' })).rejects.toThrow(
      'BERTH_DATA_PLANE is "Auto": expected node, haproxy or auto',
    );
  });
});

describe('servedDataPlane', () => {
  it('names the adopted gateway’s plane when it is not the one chosen', () => {
    const chosen = { plane: 'haproxy' as const, reason: 'HAProxy 2.6.12 is installed at /usr/sbin/haproxy' };
    expect(servedDataPlane(chosen, 'haproxy')).toBe(chosen);
    expect(servedDataPlane(chosen, undefined)).toBe(chosen);
    const adopted = servedDataPlane(chosen, 'node');
    expect(adopted.plane).toBe('node');
    expect(adopted.reason).toContain('adopted with its node data plane (haproxy was chosen: HAProxy 2.6.12');
  });
});
