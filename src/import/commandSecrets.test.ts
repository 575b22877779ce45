/** berth import: passwords inside `command` and `entrypoint` go to secret variables, not into berth.yaml. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandSecrets, isPasswordFlag } from './commandSecrets.js';
import { importCompose } from './importCompose.js';

const file = path.join('/tmp', 'berth-command-secrets', 'compose.yaml');

describe('passwords in commands', () => {
  it('moves --requirepass, --password=, a sh -c flag and a URL password to secret variables, with a report line', async () => {
    const compose = [
      'services:',
      '  cache:',
      '    image: redis:7',
      '    command: redis-server --requirepass s3cret-redis --appendonly yes',
      '  db:',
      '    image: postgres:16',
      '    environment: { POSTGRES_PASSWORD: pg-s3cret }',
      '  migrate:',
      '    image: shop/migrate',
      '    command: ["migrate", "-database", "postgres://app:pg-s3cret@db:5432/shop", "--password=other-s3cret", "up"]',
      '  worker:',
      '    image: shop/worker',
      '    entrypoint: ["sh", "-c", "worker --auth-token tok-s3cret --password-file /run/pw --queue jobs"]',
      '',
    ].join('\n');
    const res = await importCompose({ file, text: compose, environment: {} });
    for (const secret of ['s3cret-redis', 'pg-s3cret', 'other-s3cret', 'tok-s3cret'])
      expect(res.specText).not.toContain(secret);
    const { cache, migrate, worker } = res.spec.spec.services;
    expect(cache!.command).toEqual(['redis-server', '--requirepass', '${CACHE_REQUIREPASS}', '--appendonly', 'yes']);
    // The URL's password is the database's own: one secret variable for both.
    expect(migrate!.command).toEqual([
      'migrate',
      '-database',
      'postgres://app:${POSTGRES_PASSWORD}@${DB_HOST}:${DB_PORT}/shop',
      '--password=${MIGRATE_PASSWORD}',
      'up',
    ]);
    expect(worker!.entrypoint).toEqual([
      'sh',
      '-c',
      'worker --auth-token ${WORKER_AUTH_TOKEN} --password-file /run/pw --queue jobs',
    ]);
    const secrets = Object.fromEntries(res.variables.map((v) => [v.name, [v.value, v.secret]]));
    expect(secrets).toMatchObject({
      CACHE_REQUIREPASS: ['s3cret-redis', true],
      POSTGRES_PASSWORD: ['pg-s3cret', true],
      MIGRATE_PASSWORD: ['other-s3cret', true],
      WORKER_AUTH_TOKEN: ['tok-s3cret', true],
    });
    expect(res.spec.spec.variables.CACHE_REQUIREPASS!.secret).toBe(true);
    const line = res.report.find((e) => e.key === 'services.cache.command' && /password/.test(e.reason));
    expect(line?.reason).toBe(
      'password in the command moved to the config set: the value of `--requirepass` → secret variable CACHE_REQUIREPASS (encrypted at rest, masked everywhere); berth.yaml keeps `${NAME}`',
    );
    expect(JSON.stringify(res.report)).not.toMatch(/s3cret/);
  });

  it('knows password flags from other flags', () => {
    expect(
      ['--requirepass', '--masterauth', '--password', '-p4ss', '--api-key', '--db-pass'].map(isPasswordFlag),
    ).toEqual([true, true, true, false, true, true]);
    expect(['--port', '--password-file', '--tls-key-file', '--passive', '--appendonly'].some(isPasswordFlag)).toBe(
      false,
    );
    expect(commandSecrets('--port', '--password')).toEqual([]);
    expect(commandSecrets('${PW}', '--password')).toEqual([]);
  });
});
