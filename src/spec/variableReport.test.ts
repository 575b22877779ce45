import { describe, expect, it } from 'vitest';
import { parseSpec } from './load.js';
import { variableReport } from './variableReport.js';
import { resolveVariables } from './variables.js';
import { MASK } from '../model/mask.js';

const text = [
  'name: shop',
  'variables:',
  '  LOG_LEVEL: info',
  '  REGION: { default: eu, description: where it runs }',
  '  DB_PASSWORD: { secret: true, default: dev-only }',
  '  TOKEN: { description: from the platform team }',
  '  UNUSED:',
  'services:',
  '  web:',
  '    command: ./web --level ${LOG_LEVEL}',
  '    env:',
  '      DB: "postgres://app:${DB_PASSWORD}@db/${REGION}"',
  '      T: "${TOKEN}"',
  '      ORDERS: "${ORDERS_URL}"',
  '      IMAGE_TAG: "${TAG:-latest}"',
  '  orders:',
  '    image: "orders:${TAG:-1}"',
  '    env: { LEVEL: "${LOG_LEVEL}" }',
].join('\n');

describe('variableReport', () => {
  const { spec } = parseSpec(text, 'berth.yaml');

  it('tells each variable its value, source and users, and which used ones have none', () => {
    const values = resolveVariables(spec, {
      config: { LOG_LEVEL: { value: 'debug', secret: false }, STRAY: { value: 'x', secret: true } },
      environment: { REGION: 'us', OTHER_APPS_VAR: 'y' },
    });
    const report = variableReport(spec, values);
    expect(report.map((v) => v.name)).toEqual([
      'DB_PASSWORD',
      'LOG_LEVEL',
      'REGION',
      'STRAY',
      'TAG',
      'TOKEN',
      'UNUSED',
    ]);
    const by = Object.fromEntries(report.map((v) => [v.name, v]));
    expect(by.LOG_LEVEL).toEqual({
      name: 'LOG_LEVEL',
      declared: true,
      default: 'info',
      secret: false,
      source: 'config',
      value: 'debug',
      usedBy: ['orders', 'web'],
      missing: false,
    });
    expect(by.REGION).toMatchObject({ source: 'environment', value: 'us', description: 'where it runs' });
    // Secrets are masked, their default included.
    expect(by.DB_PASSWORD).toMatchObject({ secret: true, default: MASK, value: MASK, source: 'default' });
    // Used with no value and no fallback: a deploy would fail on it.
    expect(by.TOKEN).toMatchObject({ declared: true, missing: true, usedBy: ['web'] });
    expect(by.TOKEN!.value).toBeUndefined();
    // Used only with inline fallbacks: not declared, not missing.
    expect(by.TAG).toMatchObject({ declared: false, missing: false, usedBy: ['orders', 'web'] });
    // A config value berth.yaml does not use is listed (a typo or a leftover); another app's environment default is not.
    expect(by.STRAY).toMatchObject({ declared: false, usedBy: [], secret: true, value: MASK });
    expect(by.UNUSED).toMatchObject({ declared: true, usedBy: [], missing: false });
    expect(by.OTHER_APPS_VAR).toBeUndefined();
    // Discovery variables are the renderer's, not the user's.
    expect(by.ORDERS_URL).toBeUndefined();
  });
});
