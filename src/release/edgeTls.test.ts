import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { devCertificate } from '../runtime/local/devCa.js';
import { parseSpec } from '../spec/load.js';
import { renderRelease } from './render.js';

let dir: string;
let pem: { cert: string; key: string };

const spec = (tls: string[]): string =>
  [
    'name: shop',
    'services:',
    '  web: { command: node web.js, ports: [8080] }',
    'routes:',
    '  - { host: shop.local, service: web }',
    '  - { host: "*.shop.local", service: web }',
    '  - { host: admin.local, service: web }',
    'edge:',
    '  port: 9080',
    '  tls:',
    ...tls.map((l) => `    ${l}`),
    '',
  ].join('\n');

function render(
  text: string,
  files: Record<string, { content: string; secret: boolean }> = {},
  o: { edgeTls?: boolean } = {},
) {
  const file = join(dir, 'berth.yaml');
  const loaded = parseSpec(text, file);
  return renderRelease({
    spec: loaded.spec,
    file,
    positionOf: loaded.positionOf,
    environment: { name: 'local', defaults: {}, target: { kind: 'local' } },
    config: { version: 3, values: {}, files },
    addresses: { web: { host: '127.0.0.1', port: 41001, url: 'http://127.0.0.1:41001' } },
    revision: 1,
    digestSecret: (s) => `d${s.length}`,
    ...o,
  });
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.problems.map((p) => `${p.line}:${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-edge-tls-'));
  pem = await devCertificate(dir, ['shop.local', '*.shop.local']);
  writeFileSync(join(dir, 'shop.crt'), pem.cert);
  writeFileSync(join(dir, 'shop.key'), pem.key);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('edge TLS of a release', () => {
  it('gives the runtime the PEM texts and shows the certificate digest and the key masked', () => {
    const r = render(
      spec([
        'port: 9443',
        'devCertificates: true',
        'certificates:',
        '  - { hosts: [shop.local, "*.shop.local"], cert: shop.crt, key: shop.key }',
        '  - { hosts: [api.local], certFromConfig: api.crt, keyFromConfig: api.key }',
      ]),
      { 'api.crt': { content: pem.cert, secret: false }, 'api.key': { content: pem.key, secret: true } },
    );
    expect(r.edge?.port).toEqual({ port: 9080, from: 'berth.yaml edge.port' });
    expect(r.edge?.tls).toMatchObject({ port: { port: 9443 }, redirect: true, devHosts: ['admin.local', 'localhost'] });
    expect(r.edge?.tls?.certificates.map((c) => c.key)).toEqual([pem.key, pem.key]);
    const shown = JSON.stringify(r.rendered);
    expect(shown).not.toContain('PRIVATE KEY');
    expect(shown).not.toContain(pem.key.split('\n')[1]);
    expect(r.rendered.edge?.tls?.certificates[0]).toEqual({
      hosts: ['shop.local', '*.shop.local'],
      cert: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      key: '******',
    });
  });

  it('names the field and line of a certificate it cannot use', () => {
    expect(
      problems(() =>
        render(
          spec([
            'certificates:',
            '  - { hosts: [shop.local], cert: missing.crt, key: shop.key }',
            '  - { hosts: [api.local], certFromConfig: api.crt, keyFromConfig: api.key }',
            '  - { hosts: [b.local], cert: shop.key, key: shop.key }',
          ]),
          { 'api.crt': { content: pem.cert, secret: false }, 'api.key': { content: pem.key, secret: false } },
        ),
      ),
    ).toEqual([
      '12:edge.tls.certificates.0.cert: cannot read missing.crt: ENOENT',
      '13:edge.tls.certificates.1.keyFromConfig: config file api.key holds a private key but is not secret; set it again with `berth config set --file api.key=LOCAL_FILE --secret`',
      '14:edge.tls.certificates.2.cert: is not a PEM certificate',
    ]);
  });

  it('reads a file holding both the certificate and the key for both, and no file for a render of states only', () => {
    writeFileSync(join(dir, 'bundle.pem'), `${pem.cert}${pem.key}`);
    const text = spec(['certificates:', '  - { hosts: [shop.local], cert: bundle.pem, key: bundle.pem }']);
    expect(render(text).edge?.tls?.certificates).toEqual([
      { hosts: ['shop.local'], cert: `${pem.cert}${pem.key}`, key: `${pem.cert}${pem.key}` },
    ]);
    const gone = spec(['certificates:', '  - { hosts: [shop.local], cert: gone.crt, key: gone.key }']);
    expect(problems(() => render(gone))).toEqual([
      '12:edge.tls.certificates.0.cert: cannot read gone.crt: ENOENT',
      '12:edge.tls.certificates.0.key: cannot read gone.key: ENOENT',
    ]);
    const statesOnly = render(gone, {}, { edgeTls: false });
    expect(statesOnly.edge?.tls).toBeUndefined();
    expect(Object.keys(statesOnly.states)).toEqual(['web']);
  });

  it('refuses a certificate with both or neither of a file and a config file', () => {
    const text = spec(['certificates:', '  - { hosts: [a.local], cert: a.crt, certFromConfig: a, keyFromConfig: k }']);
    expect(problems(() => parseSpec(text, 'berth.yaml'))).toEqual([
      '12:edge.tls.certificates.0.cert: give exactly one of `cert` or `certFromConfig`',
    ]);
  });
});
