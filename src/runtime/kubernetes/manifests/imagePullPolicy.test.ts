import { describe, expect, it } from 'vitest';
import { renderManifests } from './render.js';
import { fixtureInput } from './testdata/fixture.js';
import { at } from './testdata/at.js';

const SPEC = `name: tools
services:
  api:
    image: shop/api:latest
    imagePullPolicy: Always
    ports: [8080]
  plain:
    image: nginx:1.27
`;

describe('imagePullPolicy on clusters', () => {
  it("is the container's imagePullPolicy when berth.yaml sets it, and absent otherwise", () => {
    const objects = renderManifests(fixtureInput({}, SPEC).manifest);
    const container = (name: string) =>
      at(
        objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name),
        'spec.template.spec.containers.0',
      );
    expect(container('api').imagePullPolicy).toBe('Always');
    expect(container('plain')).not.toHaveProperty('imagePullPolicy');
  });
});

describe('built images on clusters', () => {
  it('run by the digest their build pushed (`image@digest`); an image without one runs by its reference', () => {
    const { manifest } = fixtureInput({}, SPEC);
    const digest = `sha256:${'ab'.repeat(32)}`;
    const api = manifest.services.api!;
    const services = { ...manifest.services, api: { ...api, workload: { ...api.workload, imageDigest: digest } } };
    const objects = renderManifests({ ...manifest, services });
    const image = (name: string) =>
      at(
        objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name),
        'spec.template.spec.containers.0',
      ).image;
    expect(image('api')).toBe(`shop/api:latest@${digest}`);
    expect(image('plain')).toBe('nginx:1.27');
  });
});
