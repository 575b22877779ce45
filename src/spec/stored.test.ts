import { describe, expect, it } from 'vitest';
import { parseSpec } from './load.js';
import { upgradeStoredSpec } from './stored.js';
import { renderRelease } from '../release/render.js';
import type { AppSpec } from './schema.js';

const FILE = '/apps/shop/berth.yaml';
const loaded = parseSpec(
  'name: shop\nservices:\n  api:\n    command: node api.js\n    ports: [8080]\n  web:\n    command: node web.js\n',
  FILE,
);

/** The spec as a release of an earlier Berth stored it: no `volumes` anywhere, no `strategy`. */
function storedByAnOlderBerth(spec: AppSpec): AppSpec {
  const old = JSON.parse(JSON.stringify(spec)) as Record<string, unknown> & { services: Record<string, object> };
  delete old.volumes;
  for (const svc of Object.values(old.services)) {
    delete (svc as Record<string, unknown>).volumes;
    delete (svc as Record<string, unknown>).strategy;
  }
  return old as unknown as AppSpec;
}

const render = (spec: AppSpec) =>
  renderRelease({
    spec,
    file: FILE,
    environment: { name: 'local', defaults: {} },
    config: { version: 1, values: {}, files: {} },
    addresses: { api: { host: '127.0.0.1', port: 41001, url: 'http://127.0.0.1:41001' } },
    revision: 1,
    digestSecret: (s) => s,
  });

describe('upgradeStoredSpec', () => {
  it('fills fields newer than a stored spec, so an old revision renders again with the same hashes', () => {
    const old = storedByAnOlderBerth(loaded.spec);
    expect(() => render(old)).toThrow(TypeError);
    const upgraded = upgradeStoredSpec(old);
    expect(upgraded).toEqual(loaded.spec);
    const again = render(upgraded);
    const fresh = render(loaded.spec);
    expect(again.states.api!.hash).toBe(fresh.states.api!.hash);
    expect(again.states.web!.hash).toBe(fresh.states.web!.hash);
  });

  it('leaves a current spec as it is', () => {
    expect(upgradeStoredSpec(loaded.spec)).toEqual(loaded.spec);
  });
});
