/** A file's `mountPath` reaches the runtime's WorkloadFile, and changes the hash only where it is set. */
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/load.js';
import { renderRelease, type RenderInput } from './render.js';

const FILE = '/apps/site/berth.yaml';
const text = (mount: string) => `name: site
services:
  web:
    command: nginx
    ports: [8080]
    files:
      - { path: site.conf, content: "listen 8080;"${mount} }
      - { path: helm.tpl, content: "{{ .Values.kept }}" }
`;

function render(mount: string) {
  const loaded = parseSpec(text(mount), FILE);
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

describe('files with a mountPath', () => {
  it('hands the mount path to the runtime and shows it in the stored rendering', () => {
    const r = render(', mountPath: /etc/nginx/conf.d/site.conf');
    const expected = [
      { path: 'site.conf', content: 'listen 8080;', secret: false, mountPath: '/etc/nginx/conf.d/site.conf' },
      { path: 'helm.tpl', content: '{{ .Values.kept }}', secret: false },
    ];
    expect(r.states.web!.workload.files).toEqual(expected);
    expect(r.rendered.services.web!.workload.files).toEqual(expected);
  });

  it('changes the hash when set, and leaves the hash of files without one as it was', () => {
    // The hash of this spec before files had a mountPath (renderReplicaFiles.test.ts has the same).
    expect(render('').rendered.services.web!.hash).toBe('0fb69dd3358a');
    const a = render(', mountPath: /etc/nginx/conf.d/site.conf').rendered.services.web!.hash;
    const b = render(', mountPath: /etc/nginx/site.conf').rendered.services.web!.hash;
    expect(new Set(['0fb69dd3358a', a, b]).size).toBe(3);
  });
});
