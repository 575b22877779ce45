/**
 * Issue 14 point 3 end to end: a revision pins the image its tag named at deploy. A tag rebuilt to
 * another image rolls out on the next deploy (its digest changed), `berth diff` shows the digest
 * change, and `berth rollback` runs the exact earlier image although the tag now names another one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureImage, podman } from '../support/containerEngine.js';
import { NODE_IMAGE } from '../support/testImages.js';
import { startBerth, waitFor, type Berth } from './harness.js';

const REPO = 'localhost/berth-e2e-pin/web';

interface Status {
  services: { service: string; readyReplicas: number; runAs?: string; address?: { port: number } }[];
}

/** Builds `REPO:<version>` from the node test image, serving $VERSION at /env/VERSION. */
async function versionImage(version: string): Promise<void> {
  await ensureImage(`${REPO}:${version}`, `FROM ${NODE_IMAGE}\nENV VERSION=${version}\n`);
}

describe('a revision pins its container image', () => {
  const socket = inject('containerSocket');
  let berth: Berth;
  let dir: string;

  beforeAll(async () => {
    await versionImage('a');
    await versionImage('b');
    dir = await mkdtemp(join(tmpdir(), 'berth-pin-'));
    await writeFile(
      join(dir, 'berth.yaml'),
      [
        'name: pin',
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
  });
  afterAll(async () => {
    await berth?.teardown();
    await podman(['untag', `${REPO}:latest`]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  async function served(): Promise<string> {
    const st = await berth.json<Status>(['status', 'pin']);
    const web = st.services.find((s) => s.service === 'web')!;
    expect(web.runAs).toBe('container');
    const res = await fetch(`http://127.0.0.1:${web.address!.port}/env/VERSION`);
    return res.text();
  }

  async function digestOf(revision: number): Promise<string> {
    const shown = await berth.json<{ rendered: { services: Record<string, { workload: { imageDigest?: string } }> } }>([
      'releases',
      'show',
      'pin',
      String(revision),
    ]);
    return shown.rendered.services.web!.workload.imageDigest!;
  }

  it('rolls out a rebuilt tag, shows the digest change, and rolls back to the exact earlier image', async () => {
    await podman(['tag', `${REPO}:a`, `${REPO}:latest`]);
    const first = await berth.cli(['deploy', dir, '-m', 'a']);
    expect(first.code, first.stderr).toBe(0);
    expect(await served()).toBe('a');
    const a = await digestOf(1);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The tag moves to another image: only `latest` names a now (after untagging `:a`, nothing does).
    await podman(['tag', `${REPO}:b`, `${REPO}:latest`]);
    await podman(['untag', `${REPO}:a`]);
    const plan = await berth.cli(['plan', dir]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('imageDigest');
    const second = await berth.cli(['deploy', dir, '-m', 'b']);
    expect(second.code, second.stderr).toBe(0);
    await waitFor('the new image serving', async () => ((await served()) === 'b' ? true : undefined), 30_000);
    const b = await digestOf(2);
    expect(b).not.toBe(a);
    const diff = await berth.cli(['diff', 'pin', '1', '2']);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('imageDigest');
    expect(diff.stdout).toContain(a.slice('sha256:'.length, 'sha256:'.length + 12));

    const back = await berth.cli(['rollback', 'pin']);
    expect(back.code, back.stderr).toBe(0);
    await waitFor('the earlier image serving', async () => ((await served()) === 'a' ? true : undefined), 30_000);
    expect(await digestOf(3)).toBe(a);
  });
});
