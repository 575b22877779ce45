import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { specJSONSchema } from './jsonschema.js';

// docs/berth.schema.json is what editors load (examples point at it); it must be the schema the code validates with.
describe('docs/berth.schema.json', () => {
  it('is the current JSON Schema of berth.yaml (regenerate: node bin/berth.js schema > docs/berth.schema.json)', () => {
    const onDisk = JSON.parse(
      readFileSync(new URL('../../docs/berth.schema.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(onDisk).toEqual(specJSONSchema());
  });
});
