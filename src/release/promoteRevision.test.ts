import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/load.js';
import type { ReleaseContent } from './releases.js';
import { promotionRevision } from './promoteRevision.js';

const loaded = parseSpec(
  'name: shop\nservices:\n  api:\n    image: shop/api:1\n  web:\n    command: node web.js\n',
  '/a/berth.yaml',
);

function source(kind: ReleaseContent['release']['kind'] = 'deploy'): ReleaseContent {
  return {
    release: { app: 'shop', env: 'test', revision: 7, kind, specDigest: 'sha256:spec', specFile: '/a/berth.yaml' },
    spec: loaded.spec,
    rendered: {
      app: 'shop',
      env: 'test',
      configVersion: 3,
      levels: [],
      services: {},
      routes: [],
      images: { api: 'localhost/shop/api@sha256:aaa' },
      codes: { web: 'sha256:code' },
      restarts: { web: '2026-01-01T00:00:00Z' },
    },
  } as unknown as ReleaseContent;
}

describe('a promotion revision', () => {
  it("carries the source's spec, image digests and code, not its config version or restarts", () => {
    const r = promotionRevision(source(), { to: 'staging', author: 'ada', restarts: { api: 'x' } });
    expect(r).toMatchObject({
      app: 'shop',
      env: 'staging',
      kind: 'promotion',
      spec: loaded.spec,
      specDigest: 'sha256:spec',
      file: '/a/berth.yaml',
      configVersion: undefined,
      images: { api: 'localhost/shop/api@sha256:aaa' },
      codes: { web: 'sha256:code' },
      restarts: { api: 'x' },
      promotedFrom: { env: 'test', revision: 7 },
      rollbackPolicy: 'auto',
    });
    expect(r.message).toMatchObject({ code: 'revision.promoted', text: 'promoted from test@7' });
    expect(promotionRevision(source(), { to: 'staging', author: 'ada', message: 'ship it' }).message).toBe('ship it');
  });

  it('refuses a down', () => {
    expect(() => promotionRevision(source('down'), { to: 'staging', author: 'ada' })).toThrow(/took the app down/);
  });
});
