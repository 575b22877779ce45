/**
 * Vitest global setup: one test engine for the whole run, and the test images built once (slow the
 * first time on a machine, then kept by Podman). Tests read the socket with `inject('containerSocket')`.
 */
import type { TestProject } from 'vitest/node';
import { ensureTestImages } from './testImages.js';
import { startTestEngine } from './containerEngine.js';

declare module 'vitest' {
  export interface ProvidedContext {
    containerSocket: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensureTestImages();
  const engine = await startTestEngine();
  project.provide('containerSocket', engine.socketPath);
  return () => engine.stop();
}
