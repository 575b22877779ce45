/**
 * Vitest global setup: one test engine of each kind for the whole run, and the test images built
 * once (slow the first time on a machine, then kept by Podman) and copied into Docker. Tests read
 * the sockets with `inject('containerSocket')` (Podman) and `inject('dockerSocket')` (Docker).
 */
import type { TestProject } from 'vitest/node';
import { DOCKER_TEST_IMAGES, ensureTestImages } from './testImages.js';
import { startTestEngine } from './containerEngine.js';
import { startDockerEngine } from './dockerEngine.js';
import { registryPort } from './registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    containerSocket: string;
    /** The socket of the shared test dockerd (dockerEngine.ts), with DOCKER_TEST_IMAGES loaded. */
    dockerSocket: string;
    /** `127.0.0.1:PORT` where a test may start its registry (registry.ts); the engine pulls from it over HTTP. */
    testRegistry: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensureTestImages();
  const registry = `127.0.0.1:${await registryPort()}`;
  const engine = await startTestEngine({ insecureRegistries: [registry] });
  const docker = await startDockerEngine(DOCKER_TEST_IMAGES).catch(async (err: unknown) => {
    await engine.stop();
    throw err;
  });
  project.provide('containerSocket', engine.socketPath);
  project.provide('dockerSocket', docker.socketPath);
  project.provide('testRegistry', registry);
  return async () => {
    await Promise.all([engine.stop(), docker.stop()]);
  };
}
