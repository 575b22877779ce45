import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/load.js';
import { renderRelease, type RenderInput } from './render.js';

const FILE = '/apps/site/berth.yaml';
const text = (siteConf: string) => `name: site
services:
  web:
    command: nginx
    ports: [8080]
    files:
      - { path: site.conf, content: "${siteConf}" }
      - { path: helm.tpl, content: "{{ .Values.kept }}" }
`;

function render(siteConf: string) {
  const loaded = parseSpec(text(siteConf), FILE);
  const input: RenderInput = {
    spec: loaded.spec,
    file: FILE,
    positionOf: loaded.positionOf,
    environment: { name: 'local', defaults: {} },
    config: { version: 1, values: {}, files: {} },
    addresses: { web: { host: '127.0.0.1', port: 41001, url: 'http://127.0.0.1:41001' } },
    revision: 1,
    digestSecret: (s) => `d(${s.length})`,
  };
  return renderRelease(input);
}

describe('files with per-replica values', () => {
  it('keeps the template for the runtime and marks only the files that use it', () => {
    const r = render('listen {{ replica.port }};');
    const files = r.states.web!.workload.files;
    expect(files).toEqual([
      { path: 'site.conf', content: 'listen {{ replica.port }};', secret: false, perReplica: true },
      { path: 'helm.tpl', content: '{{ .Values.kept }}', secret: false },
    ]);
  });

  it('leaves the workload hash of a service without per-replica values as it was', () => {
    // The hash this spec had before files could hold per-replica values: no service restarts on upgrade.
    expect(render('listen 8080;').rendered.services.web!.hash).toBe('0fb69dd3358a');
  });
});
