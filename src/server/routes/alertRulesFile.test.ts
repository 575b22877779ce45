/**
 * POST …/alerts/rules-file through fastify's inject() on a real store: a dry run previews the
 * rules (channels without their tokens) and writes nothing; a bad file is a 400 naming the line and
 * field of every problem and writes nothing; a good one creates every rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';

const base = '/api/v1/apps/shop/envs/local/alerts';
const FILE = [
  'rules:',
  '  errors:',
  '    metric: error-rate',
  '    threshold: 0.05',
  '    for: 2m',
  '    notify:',
  '      - { type: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=tok", secret: SEC1 }',
  '  rollbacks:',
  '    metric: release-rolled-back',
].join('\n');

describe('the rules file route', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await testApi();
  });
  afterAll(async () => {
    await t?.close();
  });
  const rules = async () =>
    (await t.request({ method: 'GET', url: `${base}/rules` })).json<{ name: string }[]>().map((r) => r.name);

  it('previews a file without writing it, then applies it', async () => {
    const dry = await t.request({ method: 'POST', url: `${base}/rules-file`, body: { file: FILE, dryRun: true } });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toEqual({
      applied: false,
      rules: [
        {
          name: 'errors',
          metric: 'error-rate',
          threshold: 0.05,
          for: '2m',
          severity: 'warning',
          labels: {},
          notify: [{ type: 'dingtalk', url: 'https://oapi.dingtalk.com/******', secret: '******' }],
        },
        { name: 'rollbacks', metric: 'release-rolled-back', for: '0s', severity: 'warning', labels: {}, notify: [] },
      ],
    });
    expect(dry.body).not.toContain('tok');
    expect(await rules()).toEqual([]);
    const applied = await t.request({ method: 'POST', url: `${base}/rules-file`, body: { file: FILE } });
    expect(applied.json<{ applied: boolean }>().applied).toBe(true);
    expect(await rules()).toEqual(['errors', 'rollbacks']);
  });

  it('names the line and field of every problem and writes nothing', async () => {
    const bad = 'rules:\n  latency:\n    metric: p99\n    severity: loud\n  other:\n    metric: cpu\n';
    const r = await t.request({ method: 'POST', url: `${base}/rules-file`, body: { file: bad, name: 'mine.yaml' } });
    expect(r.statusCode).toBe(400);
    const problems = r.json<{ problems: { file: string; line: number; path: string }[] }>().problems;
    expect(problems.map((p) => `${p.file}:${p.line} ${p.path}`).sort()).toEqual([
      'mine.yaml:3 rules.latency.threshold',
      'mine.yaml:4 rules.latency.severity',
      'mine.yaml:6 rules.other.metric',
    ]);
    const missing = await t.request({
      method: 'POST',
      url: '/api/v1/apps/shop/envs/nowhere/alerts/rules-file',
      body: { file: FILE },
    });
    expect(missing.statusCode).toBe(404);
    const noFile = await t.request({ method: 'POST', url: `${base}/rules-file`, body: { dryRun: true } });
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json<{ problems: { path: string }[] }>().problems.map((p) => p.path)).toEqual(['file']);
  });
});
