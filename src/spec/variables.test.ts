import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.js';
import { parseSpec } from './load.js';
import { resolveVariables, unresolvedVariables } from './variables.js';
import { ownGet } from '../own.js';
import { MASK } from '../model/mask.js';

const text = [
  'name: shop', // 1
  'variables:', // 2
  '  LOG_LEVEL: info', // 3
  '  REGION: { default: eu, description: where it runs }', // 4
  '  DB_PASSWORD: { secret: true }', // 5
  '  DB_USER: { default: app }', // 6
  '  API_KEY: { secret: true, default: dev-key }', // 7
  '  FEATURE:', // 8
  'services:', // 9
  '  web:', // 10
  '    command: ./web --level ${LOG_LEVEL}', // 11
  '    env:', // 12
  '      DB: "postgres://${DB_USER}:${DB_PASSWORD}@db/${REGION}"', // 13
  '      FEATURE: "${FEATURE} ${FEATURE}"', // 14
  '      ORDERS: "${ORDERS_URL}"', // 15
  '      TOKEN: "${TOKEN:?ask the platform team for a token}"', // 16
  '    files:', // 17
  '      - { path: app.conf, content: "key=${API_KEY}" }', // 18
  '  orders: { image: "orders:${FEATURE:-1}" }', // 19
].join('\n');

describe('resolveVariables', () => {
  const loaded = parseSpec(text, 'berth.yaml');

  it('takes config first, then the environment, then the spec defaults', () => {
    const values = resolveVariables(loaded.spec, {
      config: { LOG_LEVEL: { value: 'debug', secret: false }, EXTRA: { value: 'x', secret: true } },
      environment: { LOG_LEVEL: 'warn', REGION: 'us' },
    });
    expect(values).toEqual({
      LOG_LEVEL: { value: 'debug', secret: false, source: 'config' },
      REGION: { value: 'us', secret: false, source: 'environment' },
      DB_USER: { value: 'app', secret: false, source: 'default' },
      API_KEY: { value: 'dev-key', secret: true, source: 'default' },
      EXTRA: { value: 'x', secret: true, source: 'config' },
    });
  });

  it('marks a variable declared secret as secret from any source, and masks it when used', () => {
    const values = resolveVariables(loaded.spec, {
      config: { DB_PASSWORD: { value: 'pw', secret: false } },
      environment: { API_KEY: 'env-key' },
    });
    expect(values.DB_PASSWORD).toEqual({ value: 'pw', secret: true, source: 'config' });
    expect(values.API_KEY).toEqual({ value: 'env-key', secret: true, source: 'environment' });
    const r = interpolate(loaded.spec.services.web!.env.DB!, (name) => ownGet(values, name));
    expect(r.value).toBe('postgres://app:pw@db/eu');
    expect(r.masked).toBe(`postgres://app:${MASK}@db/eu`);
  });
});

describe('unresolvedVariables', () => {
  const loaded = parseSpec(text, 'berth.yaml');

  it('lists every used variable without a value, once per field, where it is used', () => {
    const values = resolveVariables(loaded.spec, { config: {}, environment: {} });
    expect(unresolvedVariables(loaded.spec, values, { file: 'berth.yaml', positionOf: loaded.positionOf })).toEqual([
      {
        file: 'berth.yaml',
        line: 13,
        column: 11,
        path: 'services.web.env.DB',
        message: 'variable `DB_PASSWORD` has no value (set it in the config or the environment, or give it a default)',
      },
      {
        file: 'berth.yaml',
        line: 14,
        column: 16,
        path: 'services.web.env.FEATURE',
        message: 'variable `FEATURE` has no value (set it in the config or the environment, or give it a default)',
      },
      {
        file: 'berth.yaml',
        line: 16,
        column: 14,
        path: 'services.web.env.TOKEN',
        message: 'variable `TOKEN` has no value: ask the platform team for a token',
      },
    ]);
  });

  it('is empty once config and environment provide the values', () => {
    const values = resolveVariables(loaded.spec, {
      config: { DB_PASSWORD: { value: 'pw', secret: true }, TOKEN: { value: 't', secret: true } },
      environment: { FEATURE: 'on' },
    });
    expect(unresolvedVariables(loaded.spec, values)).toEqual([]);
  });

  it('treats an empty value as missing for `:?` only', () => {
    const values = resolveVariables(loaded.spec, {
      config: { DB_PASSWORD: { value: '', secret: true }, TOKEN: { value: '', secret: true } },
      environment: { FEATURE: '' },
    });
    expect(unresolvedVariables(loaded.spec, values)).toEqual([
      { path: 'services.web.env.TOKEN', message: 'variable `TOKEN` is empty: ask the platform team for a token' },
    ]);
  });

  it("does not count a service's own discovery variables as provided", () => {
    const own = parseSpec('name: a\nservices:\n  web: { image: x, env: { SELF: "${WEB_URL:?}" } }\n', 'berth.yaml');
    expect(unresolvedVariables(own.spec, {}).map((p) => p.message)).toEqual(['variable `WEB_URL` has no value']);
  });
});
