/**
 * Vitest global setup: one test engine for the whole run, and the test images built once (slow the
 * first time on a machine, then kept by Podman). Tests read the socket with `inject('containerSocket')`.
 */
import type { TestProject } from 'vitest/node';
import { ensureTestImages } from './testImages.js';
import { startTestEngine } from './containerEngine.js';
import { registryPort } from './registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    containerSocket: string;
    /** `127.0.0.1:PORT` where a test may start its registry (registry.ts); the engine pulls from it over HTTP. */
    testRegistry: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensureTestImages();
  const registry = `127.0.0.1:${await registryPort()}`;
  const engine = await startTestEngine({ insecureRegistries: [registry] });
  project.provide('containerSocket', engine.socketPath);
  project.provide('testRegistry', registry);
  return () => engine.stop();
}
