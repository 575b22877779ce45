/**
 * buildImage against the real engines of the tests (Podman, and Docker when the machine runs it):
 * a Dockerfile FROM the local node test image built through the engine's /build, its output streamed,
 * its id as the digest; a broken Dockerfile fails naming the service, with the log's last lines.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { NODE_IMAGE } from '../../../test/support/testImages.js';
import { connectEngine, type Engine } from './engine.js';
import { buildImage } from './imageBuild.js';
import type { ImageBuildRequest } from '../../model/build.js';

const engines = [
  { kind: 'podman', socket: () => inject('containerSocket') },
  { kind: 'docker', socket: () => inject('dockerSocket') },
];

describe.each(engines)('buildImage on $kind', ({ kind, socket }) => {
  const image = `localhost/berth-build-test/unit-${kind}-${process.pid}:1`;
  let engine: Engine | undefined;
  let dir: string | undefined;

  afterAll(async () => {
    await engine?.docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const request = (ctx: string): ImageBuildRequest => ({
    app: 'shop',
    env: 'local',
    service: 'api',
    contextDir: ctx,
    dockerfile: 'Dockerfile',
    args: { GREETING: 'hi' },
    image,
    push: false,
  });

  it('builds from a Dockerfile, streaming its output, and answers the image id', async () => {
    engine = await connectEngine({ BERTH_CONTAINER_SOCKET: socket() });
    dir = await mkdtemp(join(tmpdir(), 'berth-imagebuild-'));
    await writeFile(
      join(dir, 'Dockerfile'),
      `FROM ${NODE_IMAGE}\nARG GREETING\nENV GREETING=$GREETING\nCOPY note.txt /srv/note.txt\n`,
    );
    await writeFile(join(dir, 'note.txt'), `built by ${kind}\n`);
    const lines: string[] = [];
    const built = await buildImage(engine, request(dir), { onLog: (l) => lines.push(l) });
    const inspected = (await engine.docker.getImage(image).inspect()) as { Id: string; Config: { Env: string[] } };
    expect(built).toEqual({
      image,
      digest: inspected.Id.startsWith('sha256:') ? inspected.Id : `sha256:${inspected.Id}`,
    });
    expect(inspected.Config.Env).toContain('GREETING=hi');
    expect(lines.join('\n')).toMatch(/COPY note\.txt/);
  });

  it('fails a broken Dockerfile naming the service, with the last lines of its log', async () => {
    engine ??= await connectEngine({ BERTH_CONTAINER_SOCKET: socket() });
    dir ??= await mkdtemp(join(tmpdir(), 'berth-imagebuild-'));
    await writeFile(join(dir, 'Dockerfile'), `FROM ${NODE_IMAGE}\nCOPY not-there.txt /srv/\n`);
    const err = await buildImage(engine, request(dir), { onLog: () => undefined }).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: expect.stringMatching(/^api: the build failed: .*not-there\.txt/) });
    const tail = (err as { details: { logTail: string[] } }).details.logTail;
    expect(tail.join('\n')).toContain('not-there.txt');
  });
});
