import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../errors.js';
import { freePort, PortRegistry } from './ports.js';

const dirs: string[] = [];
function registry(preference: number): { reg: PortRegistry; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ports-'));
  dirs.push(dir);
  const file = join(dir, 'ports.json');
  return { reg: new PortRegistry(file, preference), file };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A run of `n` consecutive ports nobody listens on (retried until found). */
async function freeRun(n: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + n >= 65536) continue;
    const ok = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const srv = createServer();
        return new Promise<boolean>((resolve) => {
          srv.once('error', () => resolve(false));
          srv.listen(base + i, '127.0.0.1', () => srv.close(() => resolve(true)));
        });
      }),
    );
    if (ok.every(Boolean)) return base;
  }
}

describe('edge ports', () => {
  it('gives a configured port exactly and refuses it to a second app, naming both and where each was set', async () => {
    const base = await freeRun(3);
    const { reg, file } = registry(base);
    expect(await reg.edgePort('shop/stage', { port: { port: base + 2, from: 'berth.yaml edge.port' } })).toBe(base + 2);
    const err = await reg
      .edgePort('blog/stage', {
        port: { port: base + 2, from: 'environment stage (--edge-port blog=' + (base + 2) + ')' },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      `edge port ${base + 2} of blog/stage (environment stage (--edge-port blog=${base + 2})) is already the edge of shop/stage (berth.yaml edge.port); give one of them another port`,
    );
    // A preferred port skips the configured one; the registry survives a restart with its sources.
    expect(await reg.edgePort('blog/stage', { preferredPort: base + 2 })).toBe(base + 3);
    const again = new PortRegistry(file, base);
    await expect(again.edgePort('x/stage', { port: { port: base + 3, from: 'berth.yaml edge.port' } })).rejects.toThrow(
      `is already the edge of blog/stage; give one`,
    );
    expect(await again.edgePort('shop/stage')).toBe(base);
  });

  it('refuses a service address as an edge port', async () => {
    const { reg } = registry(await freeRun(1));
    const svc = await reg.servicePort('shop/stage/web');
    await expect(reg.edgePort('shop/stage', { port: { port: svc, from: 'berth.yaml edge.port' } })).rejects.toThrow(
      `is already the address of service shop/stage/web`,
    );
  });

  it('keeps a picked port while the preference stays, and moves when it changes or a port is configured', async () => {
    const base = await freeRun(4);
    const { reg } = registry(base);
    expect(await reg.edgePort('a/e')).toBe(base);
    expect(await reg.edgePort('b/e')).toBe(base + 1);
    expect(await reg.edgePort('a/e')).toBe(base);
    expect(await reg.edgePort('a/e', { preferredPort: base + 2 })).toBe(base + 2);
    expect(await reg.edgePort('a/e', { preferredPort: base + 2 })).toBe(base + 2);
    expect(await reg.edgePort('a/e', { port: { port: base + 3, from: 'berth.yaml edge.port' } })).toBe(base + 3);
    // Back to no setting: the default preference's first free port (its old one is free again).
    expect(await reg.edgePort('a/e')).toBe(base);
  });
});
