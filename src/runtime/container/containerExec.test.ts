/**
 * Exec probes on both test engines: each passes or fails by the command's exit, and what it leaves
 * on the engine is what docs/containers.md says — Docker removes an exec instance when it ends,
 * Podman keeps its sessions until its exit_command_delay (5 minutes) reaps them (no API removes one).
 */
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { NODE_IMAGE } from '../../../test/support/testImages.js';
import { execProbe } from './containerExec.js';

const made: { docker: Docker; name: string }[] = [];
afterAll(async () => {
  for (const c of made)
    await c.docker
      .getContainer(c.name)
      .remove({ force: true, t: 0 })
      .catch(() => undefined);
});

async function running(socketPath: string, network: string): Promise<Docker.Container> {
  const docker = new Docker({ socketPath });
  const name = `berth-test-exec-${randomBytes(4).toString('hex')}`;
  made.push({ docker, name });
  const c = await docker.createContainer({
    name,
    Image: NODE_IMAGE,
    Cmd: ['/usr/local/bin/node', '-e', 'setInterval(() => {}, 1000)'],
    HostConfig: { NetworkMode: network },
  });
  await c.start();
  return c;
}

async function execIds(c: Docker.Container): Promise<number> {
  return ((await c.inspect()).ExecIDs ?? []).length;
}

describe('exec probes', () => {
  it('on Docker: pass on exit 0, fail on another exit, and leave no exec instance behind', async () => {
    const c = await running(inject('dockerSocket'), 'bridge');
    for (let i = 0; i < 3; i++) expect(await execProbe(c, ['/bin/true'], 5_000)).toMatchObject({ ok: true });
    expect(await execProbe(c, ['/bin/sh', '-c', 'echo nope >&2; exit 4'], 5_000)).toMatchObject({ ok: false });
    expect(await execIds(c)).toBe(0);
  });

  it('on Podman: the same results; each session is kept for Podman to reap later', async () => {
    const c = await running(inject('containerSocket'), 'slirp4netns');
    for (let i = 0; i < 3; i++) expect(await execProbe(c, ['/bin/true'], 5_000)).toMatchObject({ ok: true });
    expect(await execProbe(c, ['/bin/sh', '-c', 'echo nope >&2; exit 4'], 5_000)).toMatchObject({ ok: false });
    // At most one session per probe (4.3 keeps all four; a Podman that reaps sooner keeps fewer).
    expect(await execIds(c)).toBeLessThanOrEqual(4);
  });
});
