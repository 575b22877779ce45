/**
 * The OpenAPI document is the API's contract: valid for an OpenAPI validator, every operation named
 * (operationId) and described (every status with its schema), and true: real requests answer the
 * statuses it declares, with bodies its schemas accept.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startBerth, waitFor, writeApp, type Berth } from './harness.js';
import { OPERATIONS } from '../../src/server/openapi.js';

interface OpenApiOperation {
  operationId?: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
}

const APP = 'tiny';
const A = `/api/v1/apps/${APP}/envs/local`;
let berth: Berth;
let dir: string;
let doc: OpenApiDoc;
let specText: string;

beforeAll(async () => {
  dir = await writeApp('tiny', {
    'server.mjs': [
      "import { createServer } from 'node:http';",
      "console.log('up');",
      "createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');",
      "process.on('SIGTERM', () => process.exit(0));",
    ],
    'berth.yaml': [`name: ${APP}`, 'services:', '  web:', '    command: node server.mjs', '    image: tiny:1'],
  });
  specText = await readFile(join(dir, 'berth.yaml'), 'utf8');
  berth = await startBerth();
  const r = await berth.cli(['deploy', dir]);
  expect(r.code, r.stderr).toBe(0);
  doc = (await berth.api<OpenApiDoc>('GET', '/api/v1/openapi.json')).body;
}, 120_000);
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

const operations = (): [string, string, OpenApiOperation][] =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, string, OpenApiOperation] => [method, path, op]),
  );

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 for a validator', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('names every operation (unique operationIds) and gives every status a schema', () => {
    const ops = operations();
    const missing = ops.filter(([, , op]) => !op.operationId).map(([m, p]) => `${m} ${p}`);
    expect(missing).toEqual([]);
    const ids = ops.map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    // Every operation of the table is a real route (a misspelt path would describe nothing).
    expect(new Set(ids)).toEqual(new Set([...OPERATIONS.values()].map((o) => o.id)));
    for (const [method, path, op] of ops) {
      const statuses = Object.keys(op.responses);
      // One success status, but for scale (202 with a new revision, 200 when the count is already that)
      // an alert rule's PUT (201 created, 200 replaced), an environment copy (201 created, 200 into one that exists)
      // a preview's open (201 opened, 200 renewed), a webhook delivery (202 a run started, 200 ignored)
      // and a config change or revert (201 written, 202 an approval request where the environment needs approvals).
      const two = [
        'scaleService',
        'putAlertRule',
        'copyEnvironment',
        'openPreview',
        'receiveWebhook',
        'changeConfig',
        'revertConfig',
      ];
      // Single sign-on's browser steps answer a redirect (302) as their success.
      const redirects = ['startSsoLogin', 'finishSsoLogin'];
      // Operations that take no identity and check none (single sign-on's start and status) answer no 401.
      const anonymous = ['getSso', 'startSsoLogin', 'finishSsoLogin', 'startCliSsoLogin'];
      expect(
        statuses.filter((s) => (redirects.includes(op.operationId ?? '') ? /^302$/ : /^2\d\d$/).test(s)),
        `${method} ${path}`,
      ).toHaveLength(two.includes(op.operationId ?? '') ? 2 : 1);
      if (path !== '/healthz' && !anonymous.includes(op.operationId ?? ''))
        expect(statuses, `${method} ${path}`).toContain('401');
      for (const [status, r] of Object.entries(op.responses)) {
        if (status === '204' || status === '302') {
          expect(r.content ?? {}, `${method} ${path} 204`).toEqual({});
          continue;
        }
        const types = Object.values(r.content ?? {});
        expect(types.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
        for (const t of types) expect(t.schema, `${method} ${path} ${status}`).toBeDefined();
      }
    }
  });
});

/** The schema the document declares for an operation's answer, compiled with the document's components. */
function answerValidator(ajv: Ajv2020, method: string, path: string, status: number, type: string) {
  const pointer = ['paths', path, method, 'responses', String(status), 'content', type, 'schema']
    .map((s) => encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1')))
    .join('/');
  return ajv.compile({ $ref: `openapi.json#/${pointer}` });
}

/** Waits until the app's latest release has finished, so the next operation is not refused as busy. */
async function settled(): Promise<void> {
  await waitFor('release to finish', async () => {
    const [last] = (await berth.api<{ status: string }[]>('GET', `${A}/releases?limit=1`)).body;
    return last && (last.status === 'succeeded' || last.status === 'failed');
  });
}

const RULE = '/api/v1/apps/{app}/envs/{env}/alerts/rules/{name}';
const SILENCES = '/api/v1/apps/{app}/envs/{env}/alerts/silences';

describe('what the server really answers', () => {
  // method, concrete path, the document's path, body, expected status, options
  const cases: [string, string, string, unknown, number, { token?: null; settle?: boolean }?][] = [
    ['GET', '/healthz', '/healthz', undefined, 200],
    ['GET', '/api/v1/info', '/api/v1/info', undefined, 200],
    ['GET', '/api/v1/apps', '/api/v1/apps', undefined, 200],
    ['GET', '/api/v1/apps', '/api/v1/apps', undefined, 401, { token: null }],
    ['GET', '/api/v1/sso', '/api/v1/sso', undefined, 200, { token: null }],
    ['GET', `${A}/status`, '/api/v1/apps/{app}/envs/{env}/status', undefined, 200],
    ['GET', '/api/v1/apps/nope/envs/local/status', '/api/v1/apps/{app}/envs/{env}/status', undefined, 404],
    ['GET', `${A}/releases`, '/api/v1/apps/{app}/envs/{env}/releases', undefined, 200],
    ['GET', `${A}/releases/1`, '/api/v1/apps/{app}/envs/{env}/releases/{revision}', undefined, 200],
    ['GET', `${A}/releases/99`, '/api/v1/apps/{app}/envs/{env}/releases/{revision}', undefined, 404],
    ['GET', `${A}/releases/1/rendered`, '/api/v1/apps/{app}/envs/{env}/releases/{revision}/rendered', undefined, 200],
    ['GET', `${A}/diff?from=1&to=1`, '/api/v1/apps/{app}/envs/{env}/diff', undefined, 200],
    ['GET', `${A}/diff?from=x&to=1`, '/api/v1/apps/{app}/envs/{env}/diff', undefined, 400],
    [
      'POST',
      `${A}/services/web/scale`,
      '/api/v1/apps/{app}/envs/{env}/services/{service}/scale',
      { replicas: 2 },
      202,
      { settle: true },
    ],
    [
      'POST',
      `${A}/services/web/restart`,
      '/api/v1/apps/{app}/envs/{env}/services/{service}/restart',
      {},
      202,
      { settle: true },
    ],
    ['POST', `${A}/services/web/promote`, '/api/v1/apps/{app}/envs/{env}/services/{service}/promote', {}, 409],
    ['POST', `${A}/rollback`, '/api/v1/apps/{app}/envs/{env}/rollback', { toRevision: 1 }, 202, { settle: true }],
    ['POST', '/api/v1/releases', '/api/v1/releases', { env: 'local', app: APP }, 202, { settle: true }],
    ['POST', '/api/v1/plans', '/api/v1/plans', { env: 'local', app: APP }, 200],
    ['GET', `${A}/config`, '/api/v1/apps/{app}/envs/{env}/config', undefined, 200],
    ['PATCH', `${A}/config`, '/api/v1/apps/{app}/envs/{env}/config', { baseVersion: 0, set: { A: '1' } }, 201],
    ['PATCH', `${A}/config`, '/api/v1/apps/{app}/envs/{env}/config', { baseVersion: 0, set: { A: '2' } }, 409],
    ['GET', `${A}/config/history`, '/api/v1/apps/{app}/envs/{env}/config/history', undefined, 200],
    ['GET', `${A}/config/diff?from=0&to=1`, '/api/v1/apps/{app}/envs/{env}/config/diff', undefined, 200],
    ['GET', `${A}/config/values/A`, '/api/v1/apps/{app}/envs/{env}/config/values/{key}', undefined, 200],
    ['GET', `${A}/config/values/NOPE`, '/api/v1/apps/{app}/envs/{env}/config/values/{key}', undefined, 404],
    ['GET', `${A}/variables`, '/api/v1/apps/{app}/envs/{env}/variables', undefined, 200],
    ['GET', `${A}/traces?errors=true`, '/api/v1/apps/{app}/envs/{env}/traces', undefined, 200],
    ['GET', `${A}/traces?since=soon`, '/api/v1/apps/{app}/envs/{env}/traces', undefined, 400],
    ['GET', `${A}/policy`, '/api/v1/apps/{app}/envs/{env}/policy', undefined, 200],
    ['GET', `${A}/autoscale`, '/api/v1/apps/{app}/envs/{env}/autoscale', undefined, 200],
    ['GET', `${A}/callgraph?window=1h`, '/api/v1/apps/{app}/envs/{env}/callgraph', undefined, 200],
    ['GET', `${A}/callgraph?window=soon`, '/api/v1/apps/{app}/envs/{env}/callgraph', undefined, 400],
    ['GET', '/api/v1/volumes?app=tiny', '/api/v1/volumes', undefined, 200],
    ['GET', '/api/v1/volumes?env=nope', '/api/v1/volumes', undefined, 404],
    ['DELETE', `${A}/volumes/nope`, '/api/v1/apps/{app}/envs/{env}/volumes/{volume}', undefined, 404],
    ['DELETE', `${A}/volumes/Bad_Name`, '/api/v1/apps/{app}/envs/{env}/volumes/{volume}', undefined, 400],
    ['DELETE', `${A}/volumes`, '/api/v1/apps/{app}/envs/{env}/volumes', undefined, 200],
    ['POST', '/api/v1/environments', '/api/v1/environments', { name: 'qa' }, 201],
    ['POST', '/api/v1/environments', '/api/v1/environments', { name: 'qa' }, 409],
    ['POST', '/api/v1/environments', '/api/v1/environments', { name: 'Not Valid' }, 400],
    ['GET', '/api/v1/environments', '/api/v1/environments', undefined, 200],
    ['POST', '/api/v1/environments/qa2/copy', '/api/v1/environments/{name}/copy', { from: 'local' }, 201],
    ['POST', '/api/v1/environments/qa/copy', '/api/v1/environments/{name}/copy', { from: 'local' }, 409],
    [
      'POST',
      '/api/v1/environments/qa/copy',
      '/api/v1/environments/{name}/copy',
      { from: 'local', intoExisting: true },
      200,
    ],
    ['POST', '/api/v1/environments/qa/copy', '/api/v1/environments/{name}/copy', { from: 'nope' }, 404],
    ['POST', '/api/v1/environments/qa/copy', '/api/v1/environments/{name}/copy', { from: 'qa' }, 400],
    ['GET', '/api/v1/environments/local/config-diff?to=qa2', '/api/v1/environments/{name}/config-diff', undefined, 200],
    [
      'GET',
      '/api/v1/environments/local/config-diff?to=nope',
      '/api/v1/environments/{name}/config-diff',
      undefined,
      404,
    ],
    ['DELETE', '/api/v1/environments/qa2', '/api/v1/environments/{name}', undefined, 204],
    ['DELETE', '/api/v1/environments/qa', '/api/v1/environments/{name}', undefined, 204],
    ['DELETE', '/api/v1/environments/qa', '/api/v1/environments/{name}', undefined, 404],
    ['POST', '/api/v1/validate', '/api/v1/validate', 'SPEC', 200],
    ['POST', '/api/v1/validate', '/api/v1/validate', {}, 400],
    ['GET', '/api/v1/schema', '/api/v1/schema', undefined, 200],
    ['POST', '/api/v1/render', '/api/v1/render', 'RENDER', 200],
    [
      'PUT',
      `${A}/alerts/rules/oa`,
      RULE,
      { metric: 'job-failed', notify: [{ type: 'slack', url: 'https://h.test/x' }] },
      201,
    ],
    ['PUT', `${A}/alerts/rules/oa`, RULE, { metric: 'job-failed' }, 200],
    ['PUT', `${A}/alerts/rules/oa`, RULE, { metric: 'cpu-temperature' }, 400],
    ['GET', `${A}/alerts/rules`, '/api/v1/apps/{app}/envs/{env}/alerts/rules', undefined, 200],
    ['GET', `${A}/alerts/rules/oa`, RULE, undefined, 200],
    ['GET', `${A}/alerts`, '/api/v1/apps/{app}/envs/{env}/alerts', undefined, 200],
    ['DELETE', `${A}/alerts/rules/oa`, RULE, undefined, 204],
    ['DELETE', `${A}/alerts/rules/oa`, RULE, undefined, 404],
    ['POST', `${A}/alerts/silences`, SILENCES, { rule: 'oa', for: '1h' }, 201],
    ['POST', `${A}/alerts/silences`, SILENCES, { for: 'forever' }, 400],
    ['GET', `${A}/alerts/silences`, SILENCES, undefined, 200],
    [
      'POST',
      `${A}/alerts/rules-file`,
      '/api/v1/apps/{app}/envs/{env}/alerts/rules-file',
      { file: 'rules:\n  of:\n    metric: job-failed\n', dryRun: true },
      200,
    ],
    [
      'POST',
      `${A}/alerts/rules-file`,
      '/api/v1/apps/{app}/envs/{env}/alerts/rules-file',
      { file: 'rules:\n  of:\n    metric: cpu\n' },
      400,
    ],
    [
      'GET',
      `${A}/alerts/history?rule=oa&since=1h&limit=5`,
      '/api/v1/apps/{app}/envs/{env}/alerts/history',
      undefined,
      200,
    ],
    ['GET', `${A}/alerts/history?since=yesterday`, '/api/v1/apps/{app}/envs/{env}/alerts/history', undefined, 400],
    ['DELETE', `${A}/alerts/silences/1`, `${SILENCES}/{id}`, undefined, 204],
    ['DELETE', `${A}/alerts/silences/1`, `${SILENCES}/{id}`, undefined, 404],
    ...previewCases(),
  ];

  it.each(cases)(
    '%s %s answers a status the document declares, with a body its schema accepts',
    async (method, path, docPath, body, status, o = {}) => {
      const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
      ajv.addSchema(doc as unknown as object, 'openapi.json');
      const sent =
        body === 'SPEC'
          ? { file: join(dir, 'berth.yaml'), text: specText }
          : body === 'RENDER'
            ? { env: 'local', spec: { file: join(dir, 'berth.yaml'), text: specText }, format: 'json' }
            : body;
      const res = await berth.api(method, path, sent, o.token === null ? { token: null } : {});
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      const op = doc.paths[docPath]?.[method.toLowerCase()];
      expect(op, `${method} ${docPath} in the document`).toBeDefined();
      expect(Object.keys(op!.responses)).toContain(String(status));
      if (status !== 204) {
        const validate = answerValidator(ajv, method.toLowerCase(), docPath, status, 'application/json');
        expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
      }
      if (o.settle) await settled();
    },
  );

  it('GET /metrics and GET …/logs answer the content types the document declares', async () => {
    const metrics = await fetch(`${berth.url}/metrics`, { headers: { authorization: `Bearer ${berth.token}` } });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(Object.keys(doc.paths['/metrics']!.get!.responses['200']!.content!)).toEqual(['text/plain']);

    const logs = await fetch(`${berth.url}${A}/logs?service=web`, {
      headers: { authorization: `Bearer ${berth.token}` },
    });
    expect(logs.status).toBe(200);
    expect(logs.headers.get('content-type')).toBe('application/x-ndjson');
    const ajv = new Ajv2020({ strict: false, validateSchema: false });
    ajv.addSchema(doc as unknown as object, 'openapi.json');
    const validate = answerValidator(ajv, 'get', '/api/v1/apps/{app}/envs/{env}/logs', 200, 'application/x-ndjson');
    const lines = (await logs.text()).trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(validate(JSON.parse(l)), l).toBe(true);
  });
});

/** Preview environments (docs/previews.md): opened, renewed, listed, refused and closed. */
function previewCases(): [string, string, string, unknown, number][] {
  const P = '/api/v1/previews';
  const one = `${P}/{app}/{key}`;
  const open = { app: 'tiny', key: 'pr-1', template: 'local', ttl: '1h' };
  return [
    ['POST', P, P, open, 201],
    ['POST', P, P, open, 200],
    ['POST', P, P, { app: 'tiny', branch: 'x', key: 'y', template: 'local' }, 400],
    ['POST', P, P, { ...open, key: 'pr-2', template: 'nope' }, 404],
    ['POST', P, P, { ...open, template: 'qa-none' }, 409],
    ['GET', `${P}?app=tiny`, P, undefined, 200],
    ['GET', `${P}/tiny/pr-1`, one, undefined, 200],
    ['DELETE', `${P}/tiny/pr-1?reason=done`, one, undefined, 200],
    ['DELETE', `${P}/tiny/pr-9`, one, undefined, 404],
  ];
}
