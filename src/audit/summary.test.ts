/**
 * What the audit log keeps of a body: per operation (the allow lists of sign-ins and users, the masking
 * of config changes and pipelines), and for every mutating operation of the API a password, a token, a
 * webhook secret and a client secret sent in its body never reach the summary.
 */
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../server/openapi.js';
import { digestOf, summarize } from './summary.js';

const MASK = '******';

describe('audit summaries', () => {
  it('keeps only who signs in, never the password', () => {
    expect(summarize('logIn', { user: 'dev', password: 'pw-123', expiresIn: '1d' })).toEqual({
      user: 'dev',
      expiresIn: '1d',
    });
    expect(summarize('openSession', { user: 'dev', password: 'pw-123' })).toEqual({ user: 'dev' });
    expect(summarize('createUser', { name: 'bob', password: 'pw-123', groups: ['ops'] })).toEqual({
      name: 'bob',
      groups: ['ops'],
    });
  });

  it('masks config values of secret keys (made secret, or secret already), secret files; plain files as digests', () => {
    const body = {
      baseVersion: 3,
      set: {
        A: 'plain',
        B: { value: 'made-secret', secret: true },
        C: 'stays-secret',
        D: { value: 'now-plain', secret: false },
      },
      unset: ['E'],
      files: { 'conf/app.ini': 'x=1', 'conf/key.pem': 'PRIVATE' },
      secretFiles: { 'conf/tls.key': 'PRIVATE2' },
      plainFiles: { 'conf/readme': 'hello' },
      message: 'why',
    };
    const s = summarize('changeConfig', body, { secretKeys: new Set(['C']), secretFiles: new Set(['conf/key.pem']) });
    expect(s).toEqual({
      baseVersion: 3,
      unset: ['E'],
      message: 'why',
      set: {
        A: { value: 'plain' },
        B: { value: MASK, secret: true },
        C: { value: MASK },
        D: { value: 'now-plain', secret: false },
      },
      files: { 'conf/app.ini': digestOf('x=1'), 'conf/key.pem': MASK },
      confidentialFiles: ['conf/tls.key'],
      plainFiles: { 'conf/readme': digestOf('hello') },
    });
    // Unknown secrecy (the lookup failed): every value not explicitly plain is masked.
    expect(summarize('changeConfig', { baseVersion: 0, set: { A: 'plain?' } })).toEqual({
      baseVersion: 0,
      set: { A: { value: MASK } },
    });
    expect(
      JSON.stringify(summarize('plan', { env: 'prod', config: { set: { B: { value: 'x-secret', secret: true } } } })),
    ).not.toContain('x-secret');
  });

  it("keeps a spec's or pipeline's text as its digest, a pipeline's variables masked, its webhook secret never", () => {
    const text = 'name: shop\n';
    expect(summarize('deploy', { env: 'prod', spec: { file: '/x/berth.yaml', text } })).toEqual({
      env: 'prod',
      spec: { file: '/x/berth.yaml', text: digestOf(text) },
    });
    expect(
      summarize('setPipeline', {
        file: 'p.yaml',
        text,
        variables: { PIPELINE_SECRET: 'hook-s3cret' },
        webhookSecret: 'w-s3cret',
      }),
    ).toEqual({ file: 'p.yaml', text: digestOf(text), variables: { PIPELINE_SECRET: MASK } });
  });

  it('for every mutating operation, never stores a password, token, webhook secret or client secret sent in its body', () => {
    const secrets = {
      password: 'S-password',
      newPassword: 'S-new-password',
      token: 'S-token',
      webhookSecret: 'S-webhook',
      clientSecret: 'S-client',
      client_secret: 'S-client2',
      nested: { secret: 'S-nested', privateKey: 'S-pk', items: [{ apiKey: 'S-api' }] },
    };
    const ids = [...OPERATIONS.entries()].filter(([k]) => !k.startsWith('GET ')).map(([, op]) => op.id);
    expect(ids.length).toBeGreaterThan(40);
    for (const id of [...ids, 'createToken', 'updateUser', 'rotateBootstrapToken', 'someFutureOperation']) {
      const text = JSON.stringify(summarize(id, { name: 'x', ...secrets }) ?? null);
      expect(text, id).not.toMatch(/S-[a-z]/);
    }
  });
});
