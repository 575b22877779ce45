import { afterEach, describe, expect, inject, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podman } from '../../../test/support/containerEngine.js';
import { NODE_IMAGE } from '../../../test/support/testImages.js';
import { writeJsonAtomic } from '../local/shimFiles.js';
import { connectEngine } from './engine.js';
import { homeIdOf } from './containerLaunch.js';
import { CONTAINER_FILE, containersOnDisk } from './containerFile.js';
import { sweepContainers } from './containerSweep.js';

const created: string[] = [];
const dirs: string[] = [];
afterEach(async () => {
  if (created.length > 0) await podman(['rm', '--force', '--ignore', '--time', '0', ...created.splice(0)]);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A container of the test image labelled like one of `homeId`'s replicas (created, not started). */
async function labelled(homeId: string, replica: string): Promise<string> {
  const name = `berth-${homeId}-shop-local-${replica}`;
  created.push(name);
  const labels = [
    `berth.home=${homeId}`,
    'berth.app=shop',
    'berth.env=local',
    'berth.service=web',
    `berth.replica=${replica}`,
  ];
  const id = await podman(['create', '--name', name, ...labels.flatMap((l) => ['--label', l]), NODE_IMAGE]);
  return id.trim();
}

describe('sweepContainers', () => {
  it("removes this home's containers that no replica directory names, and nothing else", async () => {
    const home = await mkdtemp(join(tmpdir(), 'berth-sweep-'));
    const other = await mkdtemp(join(tmpdir(), 'berth-sweep-other-'));
    dirs.push(home, other);
    const homeId = homeIdOf(home);
    const keptId = await labelled(homeId, 'web-kept1');
    const orphanId = await labelled(homeId, 'web-orph1');
    const foreignId = await labelled(homeIdOf(other), 'web-other');
    // The kept replica's directory names its container, as the runner writes it.
    const dir = join(home, 'run', 'shop', 'local', 'web', 'web-kept1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'replica.json'), '{}');
    const name = `berth-${homeId}-shop-local-web-kept1`;
    writeJsonAtomic(join(dir, CONTAINER_FILE), { id: keptId, name, started: true, pid: 0, startTime: -1, ports: [] });

    const kept = containersOnDisk(home);
    expect([...kept]).toEqual([keptId]);
    const { docker } = await connectEngine({ BERTH_CONTAINER_SOCKET: inject('containerSocket') });
    const swept = await sweepContainers(docker, homeId, () => kept);
    expect(swept).toEqual([
      { id: orphanId, name: `berth-${homeId}-shop-local-web-orph1`, service: 'shop/local/web', replica: 'web-orph1' },
    ]);
    const left = (await podman(['ps', '-a', '--format', '{{.ID}}', '--no-trunc'])).split('\n');
    expect(left).toContain(keptId);
    expect(left).toContain(foreignId);
    expect(left).not.toContain(orphanId);
  });
});
