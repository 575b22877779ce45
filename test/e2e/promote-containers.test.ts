/**
 * `berth promote` of a container service (issue 17 point 4): staging runs the exact image digest test
 * runs, although the tag now names another image; a rollback in staging runs the digest before it.
 * Images are built locally from the node test image (no registry needed: the digests are the
 * engine's, as in containers-pin.test.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureImage, podman } from '../support/containerEngine.js';
import { NODE_IMAGE } from '../support/testImages.js';
import { startBerth, waitFor, type Berth } from './harness.js';

const REPO = 'localhost/berth-e2e-promote/web';

interface Status {
  services: { service: string; runAs?: string; address?: { port: number } }[];
}

describe('promoting a container service', () => {
  const socket = inject('containerSocket');
  let berth: Berth;
  let dir: string;

  beforeAll(async () => {
    for (const v of ['a', 'b']) await ensureImage(`${REPO}:${v}`, `FROM ${NODE_IMAGE}\nENV VERSION=${v}\n`);
    dir = await mkdtemp(join(tmpdir(), 'berth-promote-'));
    await writeFile(
      join(dir, 'berth.yaml'),
      [
        'name: boat',
        'services:',
        '  web:',
        `    image: ${REPO}:latest`,
        '    ports: [{ port: 8080 }]',
        '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
        '    terminationGracePeriod: 2s',
        '',
      ].join('\n'),
    );
    berth = await startBerth({ env: { BERTH_CONTAINER_SOCKET: socket } });
    for (const env of ['test', 'staging']) expect((await berth.cli(['env', 'create', env])).code).toBe(0);
  });
  afterAll(async () => {
    await berth?.teardown();
    await podman(['untag', `${REPO}:latest`]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  async function served(env: string): Promise<string> {
    const web = (await berth.json<Status>(['status', 'boat', '--env', env])).services.find((s) => s.service === 'web')!;
    expect(web.runAs).toBe('container');
    return (await fetch(`http://127.0.0.1:${web.address!.port}/env/VERSION`)).text();
  }
  const serving = (env: string, v: string) =>
    waitFor(`${env} serving ${v}`, async () => ((await served(env)) === v ? true : undefined), 30_000);

  async function digestOf(env: string, revision: number): Promise<string> {
    type Shown = { rendered: { services: Record<string, { workload: { imageDigest?: string } }> } };
    const shown = await berth.json<Shown>(['releases', 'show', 'boat', String(revision), '--env', env]);
    return shown.rendered.services.web!.workload.imageDigest!;
  }

  it("runs test's digest in staging after the tag moved, and a rollback runs staging's previous digest", async () => {
    await podman(['tag', `${REPO}:a`, `${REPO}:latest`]);
    const first = await berth.cli(['deploy', dir, '--env', 'staging']);
    expect(first.code, first.stderr).toBe(0);
    await serving('staging', 'a');
    await podman(['tag', `${REPO}:b`, `${REPO}:latest`]);
    const tested = await berth.cli(['deploy', dir, '--env', 'test']);
    expect(tested.code, tested.stderr).toBe(0);
    await serving('test', 'b');
    const b = await digestOf('test', 1);
    expect(b).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The tag moves back to a, and nothing names b any more: a deploy would run a, a promotion runs b.
    await podman(['tag', `${REPO}:a`, `${REPO}:latest`]);
    await podman(['untag', `${REPO}:b`]);
    const promoted = await berth.cli(['promote', 'boat', '--from', 'test', '--to', 'staging', '--yes']);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toMatch(/web[\s\S]*imageDigest/);
    await serving('staging', 'b');
    expect(await digestOf('staging', 2)).toBe(b);

    const back = await berth.cli(['rollback', 'boat', '--env', 'staging']);
    expect(back.code, back.stderr).toBe(0);
    await serving('staging', 'a');
    expect(await digestOf('staging', 3)).toBe(await digestOf('staging', 1));
  }, 90_000);
});
