/**
 * The render route: its parsing and answer-shaping functions (pure), then the route itself through
 * fastify's inject() on a real store, with the render service and SecretBox of its ServerContext.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { answersYamlText, RenderBody, renderRequestOf, serverTiming } from './render.js';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { kubernetesRelease } from '../../export/kubernetesRelease.js';
import { parseSpec } from '../../spec/load.js';

const SPEC = {
  file: '/apps/shop/berth.yaml',
  text: [
    'name: shop',
    'variables:',
    '  TOKEN: { secret: true }',
    'services:',
    '  web:',
    '    image: shop/web:1',
    '    ports: [8080]',
    '    env: { TOKEN: "${TOKEN}" }',
    '',
  ].join('\n'),
};

describe('parsing a render request', () => {
  it('takes the defaults of the body schema and only the fields set', () => {
    const body = RenderBody.parse({ spec: SPEC });
    expect(renderRequestOf(body)).toEqual({ env: 'local', spec: SPEC, format: 'json' });
    const full = RenderBody.parse({
      env: 'prod',
      spec: SPEC,
      kubernetesVersion: '1.29',
      namespace: 'apps',
      ingressClassName: 'nginx',
      configVersion: 0,
      format: 'yaml',
    });
    expect(renderRequestOf(full)).toEqual({
      env: 'prod',
      spec: SPEC,
      kubernetesVersion: '1.29',
      namespace: 'apps',
      ingressClassName: 'nginx',
      configVersion: 0,
      format: 'yaml',
    });
  });

  it('refuses a namespace that is not a DNS label and a version that is not Kubernetes 1.x, naming the field', () => {
    const bad = RenderBody.safeParse({ spec: SPEC, namespace: 'Apps_1', kubernetesVersion: '2.0' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['kubernetesVersion', 'namespace']);
  });

  it('answers YAML text only to a yaml request that accepts application/yaml', () => {
    expect(answersYamlText('yaml', 'application/yaml')).toBe(true);
    expect(answersYamlText('yaml', 'application/json, application/yaml;q=0.9')).toBe(true);
    expect(answersYamlText('yaml', 'application/json')).toBe(false);
    expect(answersYamlText('yaml', undefined)).toBe(false);
    expect(answersYamlText('json', 'application/yaml')).toBe(false);
  });

  it('says how a render was had and how long it took', () => {
    expect(serverTiming('cached', 0.04)).toBe('render;desc="cached";dur=0.0');
    expect(serverTiming('made', 12.345)).toBe('render;desc="made";dur=12.3');
  });
});

describe('POST /api/v1/render and /api/v1/export/helm', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await testApi();
    await t.ctx.environments.create({ name: 'prod', target: { kind: 'kubernetes', namespace: 'shop-prod' } });
    await t.ctx.configSets.write('shop', 'prod', {
      baseVersion: 0,
      set: { TOKEN: { value: 's3cr3t', secret: true } },
      author: 'tester',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('renders the objects, then answers the same render from the cache', async () => {
    const first = await t.request({ method: 'POST', url: '/api/v1/render', body: { env: 'prod', spec: SPEC } });
    expect(first.statusCode).toBe(200);
    expect(first.headers['server-timing']).toMatch(/^render;desc="made";dur=\d+\.\d$/);
    const body = first.json<{
      app: string;
      namespace: string;
      configVersion: number;
      objects: { kind: string; metadata: { annotations: Record<string, string> } }[];
    }>();
    expect(body).toMatchObject({ app: 'shop', env: 'prod', namespace: 'shop-prod', configVersion: 1, revision: 1 });
    expect(body.objects.map((o) => o.kind)).toContain('Deployment');
    // The secret is masked, and its keyed digest is the control plane's SecretBox's: the workload hash
    // is the one a deploy's render with the engine's box gives (another key gives another hash).
    expect(first.body).not.toContain('s3cr3t');
    const hashWith = (digestSecret: (s: string) => string) => async () => {
      const { manifest } = kubernetesRelease({
        loaded: parseSpec(SPEC.text, SPEC.file),
        environment: { name: 'prod', defaults: {} },
        config: await t.ctx.configSets.resolve('shop', 'prod', 1),
        revision: 1,
        digestSecret,
        options: { namespace: 'shop-prod', secrets: 'masked' },
      });
      return manifest.services.web!.hash;
    };
    const deployment = body.objects.find((o) => o.kind === 'Deployment')!;
    const engines = await hashWith((s) => t.ctx.secretBox.digest(s))();
    expect(deployment.metadata.annotations['berth.dev/hash']).toBe(engines);
    expect(await hashWith((s) => createHmac('sha256', 'another key').update(s).digest('hex'))()).not.toBe(engines);

    const again = await t.request({ method: 'POST', url: '/api/v1/render', body: { env: 'prod', spec: SPEC } });
    expect(again.headers['server-timing']).toMatch(/^render;desc="cached"/);
    expect(again.body).toBe(first.body);
  });

  it('answers a new text of the same meaning with its render, never one that means something else', async () => {
    const render = (text: string) =>
      t.request({ method: 'POST', url: '/api/v1/render', body: { env: 'prod', spec: { ...SPEC, text } } });
    const first = await render(SPEC.text);
    // A comment and another spelling of the same ports: the same meaning, so the same render.
    const same = await render(`# shop\n${SPEC.text.replace('ports: [8080]', 'ports:\n      - 8080')}`);
    expect(same.body).toBe(first.body);
    // Another image, then another service name: never the render of the first text.
    const image = await render(SPEC.text.replace('shop/web:1', 'shop/web:2'));
    expect(image.body).toContain('shop/web:2');
    const renamed = await render(SPEC.text.replace('  web:', '  front:'));
    expect(renamed.body).toContain('"front"');
    expect(renamed.body).not.toBe(first.body);
  });

  it('answers the YAML text itself to a client that accepts it', async () => {
    const r = await t.request({
      method: 'POST',
      url: '/api/v1/render',
      body: { env: 'prod', spec: SPEC, format: 'yaml' },
      headers: { accept: 'application/yaml' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(r.body).toMatch(/^apiVersion: /m);
    expect(r.body).toContain('---\n');
  });

  it('refuses another namespace than the environment’s with a 400 naming the body field', async () => {
    const r = await t.request({
      method: 'POST',
      url: '/api/v1/render',
      body: { env: 'prod', spec: SPEC, namespace: 'elsewhere' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({
      code: 'VALIDATION',
      problems: [{ file: 'request body', path: 'namespace', message: 'environment prod targets namespace shop-prod' }],
    });
  });

  it('exports a Helm chart of the environment', async () => {
    const r = await t.request({ method: 'POST', url: '/api/v1/export/helm', body: { env: 'prod', spec: SPEC } });
    expect(r.statusCode).toBe(200);
    const chart = r.json<{ chart: string; namespace: string; files: Record<string, string> }>();
    expect(chart.chart).toBe('shop');
    expect(chart.namespace).toBe('shop-prod');
    expect(Object.keys(chart.files)).toContain('Chart.yaml');
  });
});
