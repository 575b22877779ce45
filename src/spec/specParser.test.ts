import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSpec, type LoadedSpec } from './load.js';
import { SpecParser, cutServices } from './specParser.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What parseSpec gives: the spec, or the error's message and problems. */
function outcome(parse: () => LoadedSpec): unknown {
  try {
    const l = parse();
    return { spec: l.spec, file: l.file, dir: l.dir, digest: l.digest, pos: l.positionOf(['services']) };
  } catch (err) {
    const e = err as { message: string; problems?: unknown };
    return { error: e.message, problems: e.problems };
  }
}

/** The parser (fresh and warmed by `warm`) gives exactly what parseSpec gives for `text`. */
function same(parser: SpecParser, text: string): void {
  expect(
    outcome(() => parser.parse(text, '/app/berth.yaml')),
    text,
  ).toEqual(outcome(() => parseSpec(text, '/app/berth.yaml')));
}

const base = `# shop
name: shop
variables:
  TAG: "1.2"
  DB_PASSWORD: { secret: true, default: x }
services:
  # the front
  web:
    command: [node, web.js]
    env:
      API: \${ORDERS_URL}
    dependsOn: [orders]
    ports: [8080]

  orders:
    image: registry/orders:\${TAG}
    replicas: 2
    files:
      - path: app.conf
        content: |
          # not a comment
          region=eu

# comment between
routes:
  - { path: /, service: web }
`;

describe('SpecParser', () => {
  it('cuts a plain berth.yaml at its services, keeping each block as written', () => {
    const cuts = cutServices(base)!;
    expect(cuts.services.map((s) => s.name)).toEqual(['web', 'orders']);
    expect(cuts.services[1]!.text).toContain('          # not a comment');
    expect(cuts.head).toContain('services: null');
    expect(cuts.head).not.toContain('registry/orders');
  });

  it('gives what parseSpec gives for the repository’s berth.yaml files, again and again', async () => {
    const parser = new SpecParser();
    for (const f of ['examples/shop', 'examples/canary', 'src/spec/testdata/shop', 'src/spec/testdata/broken']) {
      const text = await readFile(join(root, f, 'berth.yaml'), 'utf8');
      same(parser, text);
      same(parser, text);
      same(parser, `${text}\n# again\n`);
    }
  });

  it('gives what parseSpec gives through a series of edits, problems included', () => {
    const parser = new SpecParser();
    const edits = [
      base,
      base.replace('replicas: 2', 'replicas: 3'),
      base.replace('replicas: 2', 'replica: 3'), // misspelt key: parseSpec's problem with its line
      base.replace('replicas: 2', 'replicas: 2'), // back: the remembered block again
      base.replace('dependsOn: [orders]', 'dependsOn: [nope]'), // a cross-service problem
      base.replace('${ORDERS_URL}', '${MISSING}'), // an undeclared variable
      base.replace('  orders:\n', '  web:\n'), // a duplicate service name
      base.replace('  web:\n', '  Web:\n'), // a name the schema refuses
      base.replace('services:\n', 'services: # all of them\n'),
      base.replace('  # the front\n', '# at the left edge\n'),
      base.replace('image: registry', 'image: &img registry').replace('replicas: 2', 'replicas: 2\n    labels: *img'),
      base.replace(
        '  web:\n    command: [node, web.js]',
        '  web: { command: [node, web.js] }\n  web2:\n    command: [x]',
      ),
      base.replace('services:\n', 'services: {}\nother:\n'),
      base.replace('services:\n', '---\nservices:\n'),
      base.replace('    replicas: 2', '\treplicas: 2'),
      base.replace('    env:\n', '    env: {\n      A: b }\n'),
      base.replace(/\n/g, '\r\n'),
      base.replace('name: shop\n', ''),
      base.split('routes:')[0]!,
      base.replace(/services:[\s\S]*?(?=\n# comment)/, 'services:\n'),
      `  name: indented\n  services:\n    a:\n      image: x\n`,
    ];
    for (const text of edits) {
      same(parser, text);
      same(parser, text);
    }
    // The plain texts went the cut way (the first four and the comment moves), the odd ones whole.
    expect(parser.stats.cut).toBeGreaterThanOrEqual(12);
    expect(parser.stats.whole).toBeGreaterThanOrEqual(20);
  });

  it('parses again only the blocks that changed (an edit of one service)', () => {
    const parser = new SpecParser();
    const first = parser.parse(base, '/app/berth.yaml');
    const second = parser.parse(base.replace('API: ', 'API2: '), '/app/berth.yaml');
    expect(parser.stats).toEqual({ cut: 2, whole: 0 });
    // The orders block is the same text: its schema output is the very same object; web is new.
    expect(second.spec.services.orders).toBe(first.spec.services.orders);
    expect(Object.keys(second.spec.services.web!.env)).toEqual(['API2']);
    expect(Object.keys(first.spec.services.web!.env)).toEqual(['API']);
  });
});
