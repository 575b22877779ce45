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
