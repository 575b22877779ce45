/** A release of a berth.yaml recorded in a real store, for tests of what reads and writes releases. */
import type { Message } from '../../model/messages.js';
import { parseSpec } from '../../spec/load.js';
import type { Release, Releases } from '../releases.js';
import { renderRelease } from '../render.js';

export async function createStoredRelease(
  releases: Releases,
  o: { spec: string; app?: string; env?: string; revision?: number; message?: string | Message },
): Promise<Release> {
  const loaded = parseSpec(o.spec, '/app/berth.yaml');
  const env = o.env ?? 'local';
  const { rendered } = renderRelease({
    spec: loaded.spec,
    file: loaded.file,
    environment: { name: env, defaults: {} },
    config: { version: 1, values: {}, files: {} },
    addresses: {},
    revision: o.revision ?? 1,
    digestSecret: (s) => `d${s.length}`,
  });
  return releases.create({
    app: o.app ?? 'shop',
    env,
    kind: 'deploy',
    spec: loaded.spec,
    specDigest: 'x',
    specFile: loaded.file,
    configVersion: 1,
    rendered,
    rollbackPolicy: 'none',
    author: 'test',
    ...(o.message === undefined ? {} : { message: o.message }),
  });
}
