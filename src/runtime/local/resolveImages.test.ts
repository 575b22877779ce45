/**
 * The local runtime's `resolveImages` (Runtime contract): the engine it finds through the machine's
 * environment (BERTH_CONTAINER_SOCKET here), connected when first asked, and what it says without one.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { localContainers } from '../container/localContainers.js';
import { useLocalRuntime } from './testdata/testing.js';

// The engine is looked for through process.env when first needed (as the server's runtime does).
const local = useLocalRuntime({ containers: localContainers() });
const saved = process.env.BERTH_CONTAINER_SOCKET;
afterEach(() => {
  if (saved === undefined) delete process.env.BERTH_CONTAINER_SOCKET;
  else process.env.BERTH_CONTAINER_SOCKET = saved;
});

describe('LocalRuntime.resolveImages', () => {
  it('says no engine is running, naming the service, then resolves once one is there', async () => {
    process.env.BERTH_CONTAINER_SOCKET = '/nonexistent/berth-test/engine.sock';
    const rt = local.start();
    const request = { service: 'cache', image: 'localhost/debian:12', pullPolicy: 'Never' as const };
    await expect(rt.resolveImages!([request], { pull: true })).rejects.toThrow(
      /^cache: no container engine is running: none of \/nonexistent\/berth-test\/engine\.sock exists/,
    );
    process.env.BERTH_CONTAINER_SOCKET = inject('containerSocket');
    const [got] = await rt.resolveImages!([request], { pull: true });
    expect(got).toMatchObject({ service: 'cache', image: 'localhost/debian:12', pulled: false });
    expect(got!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Nothing asked, nothing connected: a runtime of process services never needs an engine.
    expect(await rt.resolveImages!([], { pull: true })).toEqual([]);
  });
});
