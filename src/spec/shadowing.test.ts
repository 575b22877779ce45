/** A declared variable with the name of a discovery variable is refused at load time. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec } from './load.js';

function problemsOf(text: string): string[] {
  try {
    parseSpec(text, 'berth.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

const spec = (...variables: string[]) =>
  [
    'name: shop',
    'variables:',
    ...variables.map((v) => `  ${v}: x`),
    'services:',
    '  db:',
    '    image: postgres',
    '  db-admin:',
    '    image: pgadmin',
    '  web:',
    '    image: nginx',
    '    env: { A: "${DB_URL}" }',
  ].join('\n');

describe('variables named like discovery variables', () => {
  it('refuses DB_PORT, DB_HOST, DB_URL and per-port names at the variable, naming the service', () => {
    const problems = problemsOf(
      spec('DB_PORT', 'DB_HOST', 'DB_URL', 'DB_REPL_PORT', 'DB_METRICS_URL', 'DB_ADMIN_URL', 'WEB_HTTP_PORT'),
    );
    expect(problems.map((p) => p.split(': variable')[0])).toEqual([
      'berth.yaml:3:3 variables.DB_PORT',
      'berth.yaml:4:3 variables.DB_HOST',
      'berth.yaml:5:3 variables.DB_URL',
      'berth.yaml:6:3 variables.DB_REPL_PORT',
      'berth.yaml:7:3 variables.DB_METRICS_URL',
      'berth.yaml:8:3 variables.DB_ADMIN_URL',
      'berth.yaml:9:3 variables.WEB_HTTP_PORT',
    ]);
    expect(problems[0]).toBe(
      'berth.yaml:3:3 variables.DB_PORT: variable `DB_PORT` has the name of a discovery variable of service `db` ' +
        '(DB_HOST, DB_PORT, DB_URL, DB_<PORT>_PORT, DB_<PORT>_URL): Berth sets it to where `db` runs, and a declared ' +
        'variable would replace that address; use `${DB_PORT}` without declaring it, or rename the variable',
    );
    // The longest service prefix names the owner: DB_ADMIN_URL is db-admin's, not db's port `admin`.
    expect(problems[5]).toContain('discovery variable of service `db-admin`');
  });

  it('accepts names that only look alike', () => {
    const loaded = parseSpec(
      spec('DB_PASSWORD', 'DB_PORTS', 'DBX_PORT', 'DB_', 'MY_DB_URL', 'DB_URL_PATH', 'CACHE_URL'),
      'berth.yaml',
    );
    expect(Object.keys(loaded.spec.variables)).toContain('DB_PASSWORD');
  });
});
