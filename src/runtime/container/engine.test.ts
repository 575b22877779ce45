import { inject, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEngine, engineSockets } from './engine.js';

describe('connectEngine', () => {
  it('connects to the Podman engine on the socket it is pointed at, and says it is Podman', async () => {
    const engine = await connectEngine({ BERTH_CONTAINER_SOCKET: `unix://${inject('containerSocket')}` });
    expect(engine.kind).toBe('podman');
    expect(engine.version).toMatch(/^\d+\.\d+/);
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
