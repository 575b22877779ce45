import { describe, expect, it } from 'vitest';
import { ValidationError, type Problem } from '../errors.js';
import { definitionYaml, parsePipeline } from './definition.js';

const vars = new Map([['PIPELINE_SECRET', 's3cret']]);

function problems(text: string): Problem[] {
  try {
    parsePipeline(text, 'pipeline.yaml', vars);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems ?? [];
  }
  throw new Error('parsed without problems');
}

describe('parsePipeline', () => {
  it('reads the documented shape, the secret apart from the definition', () => {
    const p = parsePipeline(
      [
        'source: { url: https://git.example.com/shop.git, branch: main, path: app }',
        'webhook: { secret: "${PIPELINE_SECRET}" }',
        'previews: { template: test, ttl: 72h }',
        'steps:',
        '  - build: { env: test }',
        '  - test: { command: "npm test", timeout: 30s }',
        '  - test: { job: migrate, env: test }',
        '  - deploy: { env: test }',
        '  - approval: { env: staging }',
        '  - promote: { from: test, to: staging }',
      ].join('\n'),
      'pipeline.yaml',
      vars,
    );
    expect(p.webhookSecret).toBe('s3cret');
    expect(JSON.stringify(p.definition)).not.toContain('s3cret');
    expect(p.definition).toEqual({
      source: { url: 'https://git.example.com/shop.git', branch: 'main', path: 'app' },
      webhook: {},
      previews: { template: 'test', ttlMs: 72 * 3_600_000 },
      steps: [
        { kind: 'build', env: 'test' },
        { kind: 'test', command: 'npm test', timeoutMs: 30_000 },
        { kind: 'test', job: 'migrate', env: 'test', timeoutMs: 600_000 },
        { kind: 'deploy', env: 'test' },
        { kind: 'approval', env: 'staging' },
        { kind: 'promote', from: 'test', to: 'staging' },
      ],
    });
    // `-o yaml` round trips: the definition printed parses to the same definition.
    expect(parsePipeline(definitionYaml(p.definition), 'again.yaml', new Map()).definition).toEqual(p.definition);
  });

  it('names file, line and field of every problem', () => {
    const found = problems(
      [
        'source:',
        '  url: --upload-pack=touch /tmp/x',
        '  branch: -evil',
        'steps:',
        '  - test: { command: "npm test", env: test }',
        '  - deploy: { env: Test }',
        '  - deploi: { env: test }',
        '  - promote: { from: test, to: test }',
        'extra: 1',
      ].join('\n'),
    );
    const at = (path: string) => found.find((p) => p.path === path);
    expect(at('source.url')).toMatchObject({ file: 'pipeline.yaml', line: 2 });
    expect(at('source.url')?.message).toContain('cannot start with -');
    expect(at('source.branch')).toMatchObject({ line: 3 });
    expect(at('steps.0.test.env')).toMatchObject({ line: 5 });
    expect(at('steps.1.deploy.env')).toMatchObject({ line: 6 });
    expect(at('steps.2.deploi')?.message).toContain('unknown step deploi');
    expect(at('steps.2.deploi')).toMatchObject({ line: 7 });
    expect(at('steps.3.promote.to')).toMatchObject({ line: 8 });
    expect(at('extra')).toMatchObject({ line: 9 });
  });

  it('refuses a secret variable that is not set, a relative path out of the repository, and bad YAML', () => {
    expect(
      problems('source: { url: /srv/r.git }\nwebhook: { secret: "${NOPE}" }\nsteps: [ { deploy: { env: a } } ]'),
    ).toEqual([
      expect.objectContaining({
        path: 'webhook.secret',
        line: 2,
        message: expect.stringContaining('${NOPE} is not set'),
      }),
    ]);
    expect(problems('source: { url: /srv/r.git, path: ../x }\nsteps: [ { deploy: { env: a } } ]')[0]).toMatchObject({
      path: 'source.path',
      line: 1,
    });
    expect(problems('source: [\n')[0]).toMatchObject({ file: 'pipeline.yaml', line: expect.any(Number) });
    expect(
      problems('source: { url: "ext::sh%20-c%20touch" }\nsteps: [ { deploy: { env: a } } ]')[0]?.message,
    ).toContain('remote helpers');
  });
});
