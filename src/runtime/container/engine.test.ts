import { inject, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEngine, engineSockets, serviceHostsOf } from './engine.js';

describe('connectEngine', () => {
  it('connects to the Podman engine on the socket it is pointed at, and says it is Podman', async () => {
    const engine = await connectEngine({ BERTH_CONTAINER_SOCKET: `unix://${inject('containerSocket')}` });
    expect(engine.kind).toBe('podman');
    expect(engine.version).toMatch(/^\d+\.\d+/);
  });

  it('connects to the Docker engine and says it is Docker', async () => {
    const engine = await connectEngine({ BERTH_CONTAINER_SOCKET: inject('dockerSocket') });
    expect(engine.kind).toBe('docker');
    expect(engine.version).toMatch(/^\d+\.\d+/);
  });

  it("asks Docker for its bridge's gateway (where host-gateway leads), and Podman for nothing", async () => {
    const docker = await connectEngine({ BERTH_CONTAINER_SOCKET: inject('dockerSocket') });
    const bridge = (await docker.docker.getNetwork('bridge').inspect()) as { IPAM: { Config: { Gateway: string }[] } };
    expect(await serviceHostsOf(docker)).toEqual([bridge.IPAM.Config[0]!.Gateway]);
    expect((await serviceHostsOf(docker))[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await serviceHostsOf(await connectEngine({ BERTH_CONTAINER_SOCKET: inject('containerSocket') }))).toEqual(
      [],
    );
  });

  it('says no engine is running, naming the sockets it tried, when none exists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-noengine-'));
    try {
      const env = { XDG_RUNTIME_DIR: dir, DOCKER_HOST: `unix://${dir}/docker.sock` };
      expect(engineSockets(env)).toContain(join(dir, 'podman', 'podman.sock'));
      await expect(connectEngine({ BERTH_CONTAINER_SOCKET: join(dir, 'none.sock') })).rejects.toThrow(
        /no container engine is running: none of .*none\.sock exists/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
