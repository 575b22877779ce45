import { describe, expect, it } from 'vitest';
import { parseSpec } from './load.js';
import { SpecParser } from './specParser.js';
import { specMeaning } from './specMeaning.js';
import { warmAppText } from './warmApp.js';

const FILE = '/app/berth.yaml';

const head = `name: shop
variables:
  TAG: "1.2"
  MODE: { default: steady }
services:
`;
const web = `  web:
    image: registry.example/web:\${TAG}
    ports: [8080]
    env:
      MODE: \${MODE}
    dependsOn: [orders]
`;
const orders = `  orders:
    image: registry.example/orders:\${TAG}
    ports: [{ name: http, port: 9090 }]
    replicas: 2
`;
const worker = `  worker:
    image: registry.example/worker:\${TAG}
`;
const routes = `routes:
  - { path: /, service: web }
`;
const base = head + web + orders + worker + routes;

/** Texts of the same meaning as `base` or another one: formatting, comments, each kind of change. */
const variants = [
  base,
  `# a comment\n${base}`,
  base.replace('    ports: [8080]', '    ports:\n      - 8080'),
  base.replace('registry.example/web:', 'registry.example/web2:'),
  base.replace('replicas: 2', 'replicas: 3'),
  base.replace('MODE: { default: steady }', 'MODE: { default: busy }'),
  base.replace('TAG: "1.2"', 'TAG: "1.3"'),
  base.replace('  - { path: /, service: web }', '  - { path: /x, service: web }'),
  // The services in another order, and the top-level keys in another order: other JSON.
  head + orders + web + worker + routes,
  base.replace('name: shop\nvariables:', 'variables:').replace('services:\n', 'name: shop\nservices:\n'),
  base.replace('  orders:\n', '  billing:\n').replace('dependsOn: [orders]', 'dependsOn: [billing]'),
  // Only a service's name differs.
  base.replace('  worker:\n', '  helper:\n'),
];

describe('specMeaning', () => {
  it('is the same exactly when the parsed specs have the same JSON', () => {
    const parser = new SpecParser();
    // Each text parsed from scratch and by one incremental parser (which hands back the objects of
    // unchanged service blocks), twice over: digests must follow the JSON whichever objects they see.
    const specs = [...variants, ...variants].flatMap((t) => [parseSpec(t, FILE).spec, parser.parse(t, FILE).spec]);
    for (const a of specs)
      for (const b of specs)
        expect(specMeaning(a) === specMeaning(b), `${JSON.stringify(a)}\n${JSON.stringify(b)}`).toBe(
          JSON.stringify(a) === JSON.stringify(b),
        );
  });

  it('follows an edit of one service of many through the incremental parser', () => {
    const text = warmAppText(60);
    const parser = new SpecParser();
    const before = parser.parse(text, FILE).spec;
    const edited = text.replace('warm/part-7:', 'warm/part-7-new:');
    const after = parser.parse(edited, FILE).spec;
    // The parser reused the other services' objects; the digest is still the one of a fresh parse.
    expect(after.services['part-8']).toBe(before.services['part-8']);
    expect(specMeaning(after)).toBe(specMeaning(parseSpec(edited, FILE).spec));
    expect(specMeaning(after)).not.toBe(specMeaning(before));
    expect(specMeaning(parser.parse(text, FILE).spec)).toBe(specMeaning(before));
  });
});
