import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../errors.js';
import { isSameProcess, processStartTime } from '../processIdentity.js';
import { freePort, tempHome } from '../testing.js';
import { HaproxyProcess, haproxyNotFoundMessage, haproxyPaths, haproxyVersion } from './haproxyProcess.js';

let home: { dir: string; remove(): Promise<void> };
let proc: HaproxyProcess | undefined;

beforeAll(async () => {
  home = await tempHome();
});
afterAll(async () => {
  await proc?.stop(2_000);
  await home?.remove();
});

const config = (dir: string, port: number, extra = ''): string => `global
  master-worker
  stats socket ${dir}/admin.sock mode 600 level admin expose-fd listeners
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend f
  bind 127.0.0.1:${port}
  http-request return status 200 content-type text/plain string ok${extra}
`;

describe('HaproxyProcess', () => {
  it('says plainly when haproxy is not installed', async () => {
    const paths = haproxyPaths(join(home.dir, 'missing'));
    const err = await HaproxyProcess.start({ paths, binary: '/nonexistent/haproxy' }, '').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toBe(haproxyNotFoundMessage);
  });

  it('refuses an HAProxy older than 2.6, or a binary that is not HAProxy, by name and before writing a config', async () => {
    const fake = (name: string, out: string): string => {
      const file = join(home.dir, name);
      writeFileSync(file, `#!/bin/sh\necho '${out}'\n`);
      chmodSync(file, 0o755);
      return file;
    };
    const start = async (binary: string): Promise<Error> => {
      const paths = haproxyPaths(join(home.dir, `v-${binary.length}`));
      const err = await HaproxyProcess.start({ paths, binary }, '').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeError);
      return err as Error;
    };
    const old = await start(fake('haproxy-old', 'HA-Proxy version 2.2.9-2+deb11u6 2023/12/12 - https://haproxy.org/'));
    expect(old.message).toContain('is HAProxy 2.2.9-2+deb11u6; the HAProxy data plane needs 2.6 or later');
    const other = await start(fake('not-haproxy', 'nginx version: nginx/1.22.1'));
    expect(other.message).toContain('-v does not name an HAProxy version ("nginx version: nginx/1.22.1")');
    expect(haproxyVersion('HAProxy version 2.6.12-1+deb12u4 2026/10/17')).toMatchObject({ major: 2, minor: 6 });
    expect(haproxyVersion('HAProxy version 3.0.5 2024/09/19')).toMatchObject({ major: 3, minor: 0, text: '3.0.5' });
  });

  it('starts, refuses a bad config without touching the running one, reloads, is adopted, stops', async () => {
    const paths = haproxyPaths(join(home.dir, 'hx'));
    const port = await freePort();
    proc = await HaproxyProcess.start({ paths }, config(paths.dir, port));
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const first = (await proc.procs()).worker;
    expect(first).toBeDefined();

    const err = await proc.reload(`${config(paths.dir, port)}  bogus-keyword here\n`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/refused the generated configuration/);
    // HAProxy's own alert, with the file and line it refused, is in the message.
    expect((err as Error).message).toMatch(/\[ALERT\].*haproxy\.cfg\.next:\d+/);
    expect(readFileSync(paths.config, 'utf8')).toBe(config(paths.dir, port)); // the running one stays
    expect((await proc.procs()).worker).toBe(first);

    await proc.reload(config(paths.dir, port, ' # v2'));
    const second = (await proc.procs()).worker;
    expect(second).not.toBe(first);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);

    const adopted = HaproxyProcess.adopt({ paths });
    expect(adopted?.pid).toBe(proc.pid);
    const startTime = processStartTime(proc.pid)!;
    await adopted!.stop(2_000);
    expect(isSameProcess(proc.pid, startTime)).toBe(false);
    expect(HaproxyProcess.adopt({ paths })).toBeUndefined();
    proc = undefined;
  });
});
