import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/load.js';
import { renderRelease } from './render.js';
import type { RenderedRelease } from './rendered.js';
import { planRelease } from './plan.js';
import { upgradeStoredRendering } from './storedRendering.js';

const FILE = '/apps/shop/berth.yaml';
const spec = parseSpec(
  [
    'name: shop',
    'services:',
    '  cache:',
    '    command: redis-server',
    '    ports: [{ port: 6379, appProtocol: tcp }, 9121]',
    '  web:',
    '    command: node web.js',
    '    ports: [8080, { name: metrics, port: 9090 }, { name: dns, port: 53, protocol: UDP }]',
  ].join('\n'),
  FILE,
).spec;
const rendered = renderRelease({
  spec,
  file: FILE,
  environment: { name: 'local', defaults: {} },
  config: { version: 1, values: {}, files: {} },
  addresses: {},
  revision: 1,
  digestSecret: (s) => s,
}).rendered;

/** What an earlier Berth stored: ports without `appProtocol` unless berth.yaml set one. */
function storedByAnOlderBerth(r: RenderedRelease): RenderedRelease {
  const old = structuredClone(r);
  old.services.web!.workload.ports = old.services.web!.workload.ports.map(({ appProtocol: _, ...p }) => p);
  old.services.cache!.workload.ports[1] = { name: 'port-9121', port: 9121, protocol: 'TCP' };
  return old;
}

describe('upgradeStoredRendering', () => {
  it('fills default appProtocols, so a plan against an older revision shows nothing changed', () => {
    const old = storedByAnOlderBerth(rendered);
    const ctx = { changedConfigKeys: [], specChanged: false };
    expect(planRelease(old, rendered, ctx).services.map((s) => s.action)).toEqual(['update', 'update']);
    const upgraded = upgradeStoredRendering(old);
    expect(upgraded).toEqual(rendered);
    expect(planRelease(upgraded, rendered, ctx).services.map((s) => [s.service, s.action, s.changes])).toEqual([
      ['cache', 'unchanged', []],
      ['web', 'unchanged', []],
    ]);
  });
});
