/**
 * A large real-world compose file (testdata/sentry, in the shape of getsentry/self-hosted's: `x-`
 * anchors merged into ~50 services, over a thousand aliases by the `yaml` library's measure), alias
 * bombs, and passwords inside ADO.NET-style connection strings.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec } from '../spec/load.js';
import { parseCompose } from './composeFile.js';
import { splitPassword } from './connectionPassword.js';
import { importCompose } from './importCompose.js';
import { secretValue } from './names.js';

const SENTRY = path.join(import.meta.dirname, 'testdata', 'sentry', 'docker-compose.yml');

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.map((p) => `${p.line}:${p.column} ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe('Sentry-style self-hosted compose file', () => {
  it('needs more than a thousand aliases by the yaml library measure (what the import used to allow)', async () => {
    const doc = parseDocument(await readFile(SENTRY, 'utf8'), { merge: true });
    expect(() => doc.toJS({ maxAliasCount: 1000 })).toThrow(/Excessive alias count/);
  });

  it('imports: every service, merged defaults, healthchecks, depends_on, env files and secrets', async () => {
    const r = await importCompose({ file: SENTRY, environment: {} });
    const spec = parseSpec(r.specText, path.join(path.dirname(SENTRY), 'berth.yaml')).spec;
    expect(Object.keys(spec.services)).toHaveLength(48);
    const worker = spec.services.worker!;
    expect(worker.image).toBe('tracker-self-hosted-local');
    expect(worker.entrypoint).toEqual(['/etc/tracker/entrypoint.sh']);
    expect(worker.command).toEqual(['run', 'worker']);
    // depends_on merged from x-app-defaults, with service_healthy and service_started conditions.
    expect(worker.dependsOn).toEqual(
      expect.arrayContaining(['redis', 'kafka', 'postgres', 'memcached', 'smtp', 'symbolicator', 'snuba-api']),
    );
    // Healthcheck defaults merged, their durations interpolated from .env.
    expect(spec.services.redis!.health.readiness).toMatchObject({
      kind: 'exec',
      command: ['/bin/sh', '-c', 'redis-cli ping'],
      periodMs: 30_000,
      timeoutMs: 90_000,
      failureThreshold: 10,
    });
    expect(spec.services['snuba-errors-consumer']!.health.readiness).toMatchObject({ periodMs: 10_000 });
    // The env file's connection string: its password is a secret variable, the rest stays.
    expect(worker.env.TRACKER_DB_CONNECTION).toBe(
      'Server=postgres,5432;Database=tracker;User Id=tracker;Password=${TRACKER_DB_CONNECTION_PASSWORD};Pooling=true;',
    );
    const password = r.variables.find((v) => v.name === 'TRACKER_DB_CONNECTION_PASSWORD');
    expect(password).toMatchObject({ value: 'Tr4ck3r', secret: true });
    expect(r.specText).not.toContain('Tr4ck3r');
    expect(r.configScript).toContain("'TRACKER_DB_CONNECTION_PASSWORD=Tr4ck3r'");
    // Named volumes are mounts of the app's volumes, reported with their position inside the anchor.
    const volume = r.report.find((e) => e.key === 'services.worker.volumes.0')!;
    expect(volume).toMatchObject({ status: 'mapped', to: 'services.worker.volumes' });
    expect(volume.reason).toContain('named volume `tracker-data`');
  });
});

describe('alias bombs', () => {
  const laughs = (levels: number) => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= levels; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    return `${lines.join('\n')}\nservices:\n  web:\n    image: x\n    command: *a${levels}\n`;
  };

  it('refuses a document whose aliases expand past the bound, before expanding it', () => {
    const started = Date.now();
    expect(problemsOf(() => parseCompose(laughs(9), 'bomb.yml'))).toEqual([
      '1:1 YAML: its aliases expand to more than 200,000 nodes (an alias bomb?); a compose file needs far fewer',
    ]);
    expect(Date.now() - started).toBeLessThan(2000);
    // Three levels (a command of 1,000 words, ~24,000 nodes in all) is large but fine.
    expect(parseCompose(laughs(3), 'ok.yml').data.services).toBeDefined();
  });

  it('refuses an alias inside the node its anchor names, with its position', () => {
    expect(problemsOf(() => parseCompose('x: &loop\n  - a\n  - *loop\nservices: {}\n', 'loop.yml'))).toEqual([
      '3:5 YAML: the alias *loop is inside the node its anchor names: expanding it never ends',
    ]);
  });
});

describe('passwords in connection strings', () => {
  it('splits the password out of ADO.NET-style strings and URLs', () => {
    const cases: [string, string | undefined][] = [
      ['Server=db;User Id=sa;Password=S3cret!;', 'S3cret!'],
      ['Server=db;Database=x;User ID=sa;password = p@ss ;Encrypt=true', 'p@ss'],
      ['Data Source=db;Pwd=hunter2', 'hunter2'],
      ['Server=db;Password="a;b""c";Database=x', 'a;b""c'],
      ["Server=db;Password='x;y';", 'x;y'],
      ['postgres://user:pw@db:5432/app', 'pw'],
      ['Server=db;Password=;', undefined],
      ['Password=alone', undefined],
      ['Server=db;Database=x;Integrated Security=true', undefined],
      ['PasswordHint=x;Server=db', undefined],
    ];
    for (const [value, password] of cases) {
      const split = splitPassword(value);
      expect(split?.password, value).toBe(password);
      if (split) expect(split.head + split.password + split.tail).toBe(value);
    }
    expect(secretValue('Server=db;User Id=sa;Password=S3cret!;')).toBe(
      'the value has a password in a connection string',
    );
  });

  it('imports a connection string with the password as a secret variable', async () => {
    const compose = [
      'services:',
      '  api:',
      '    image: shop/api:1',
      '    environment:',
      '      ConnectionStrings__Default: "Server=db,1433;Database=shop;User Id=sa;Password=Pa$$w0rd;TrustServerCertificate=True"',
      '  db:',
      '    image: mcr.microsoft.com/mssql/server:2022-latest',
      '    environment:',
      '      MSSQL_SA_PASSWORD: Pa$$w0rd',
      '',
    ].join('\n');
    const r = await importCompose({ file: '/nowhere/docker-compose.yml', text: compose, environment: {} });
    const env = r.spec.spec.services.api!.env;
    // The password is shared with the database's own secret variable, the rest is kept ($ escaped).
    expect(env.ConnectionStrings__Default).toBe(
      'Server=db,1433;Database=shop;User Id=sa;Password=${MSSQL_SA_PASSWORD};TrustServerCertificate=True',
    );
    expect(r.variables.find((v) => v.name === 'MSSQL_SA_PASSWORD')).toMatchObject({ value: 'Pa$w0rd', secret: true });
    expect(r.specText).not.toContain('w0rd');
    const entry = r.report.find((e) => e.key === 'services.api.environment.ConnectionStrings__Default')!;
    expect(entry.reason).toContain('the password inside the connection string → secret variable MSSQL_SA_PASSWORD');
  });
});
