/** On clusters, a config file with a `mountPath` is also mounted there by subPath, read-only. */
import { describe, expect, it } from 'vitest';
import { renderManifests } from './render.js';
import { fixtureInput } from './testdata/fixture.js';
import { at } from './testdata/at.js';
import { objectProblems } from './validate.js';
import { supportedVersions } from './testdata/supportedVersions.js';

const SPEC = `name: site
variables:
  TOKEN: { secret: true, default: s3cret }
services:
  proxy:
    image: nginx:1.27
    ports: [80]
    files:
      - { path: nginx.conf, content: "events {}", mountPath: /etc/nginx/nginx.conf }
      - { path: secrets/token, content: "\${TOKEN}", mountPath: /run/secrets/token }
      - { path: plain.txt, content: "only under the config dir" }
`;

describe('files with a mountPath on clusters', () => {
  it('mounts each from the config volume at its mountPath with subPath, read-only, besides the config dir', () => {
    const objects = renderManifests(fixtureInput({}, SPEC).manifest);
    const pod = at(
      objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'proxy'),
      '',
    ).spec.template.spec;
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'berth-config', mountPath: '/etc/berth/config', readOnly: true },
      { name: 'berth-config', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true },
      { name: 'berth-config', mountPath: '/run/secrets/token', subPath: 'secrets/token', readOnly: true },
    ]);
    // The subPaths are the projected volume's item paths, the secret one from the Secret.
    const sources = pod.volumes[0].projected.sources;
    expect(sources[0].configMap.items.map((i: { path: string }) => i.path)).toEqual(['nginx.conf', 'plain.txt']);
    expect(sources[1].secret.items.map((i: { path: string }) => i.path)).toEqual(['secrets/token']);
  });

  it('is valid against the OpenAPI schemas of every supported Kubernetes version', () => {
    for (const v of supportedVersions()) {
      const objects = renderManifests(fixtureInput({ kubernetesVersion: v }, SPEC).manifest);
      for (const o of objects) expect(objectProblems(o, Number(v.split('.')[1])), `${v} ${o.kind}`).toEqual([]);
    }
  });
});
