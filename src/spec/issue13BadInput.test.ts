/**
 * Issue 13's bad-input list ("How it is shown"): each load-time mistake in a berth.yaml is refused
 * with the file, line, column and field of the mistake, not a crash. The berth.yaml files are real
 * files on disk, loaded as `berth validate` loads them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError, formatProblem } from '../errors.js';
import { loadSpec } from './load.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'berth-issue13-bad-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads `text` as a berth.yaml file; returns its problems as `file:line:col field: message`. */
async function problems(name: string, text: string): Promise<string[]> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, text);
  const err = await loadSpec(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).problems.map((p) => formatProblem({ ...p, file: path.basename(p.file ?? '') }));
}

describe('issue 13 bad input: each refused with file:line:col and the field', () => {
  it('a volume mounted twice by one service, and one path mounted twice', async () => {
    const out = await problems(
      'volume-twice',
      [
        'name: shop',
        'volumes:',
        '  pgdata:',
        '  logs:',
        'services:',
        '  db:',
        '    command: [postgres]',
        '    volumes:',
        '      - pgdata:/var/lib/postgresql/data',
        '      - { volume: pgdata, path: /backup }',
        '      - { volume: logs, path: /var/lib/postgresql/data }',
        '',
      ].join('\n'),
    );
    expect(out).toEqual([
      'volume-twice.yaml:10:9 services.db.volumes.1: volume `pgdata` is already mounted by volumes.0',
      'volume-twice.yaml:11:31 services.db.volumes.2.path: path /var/lib/postgresql/data is already a mount (volumes.0)',
    ]);
  });

  it('a mount of a volume the app does not declare', async () => {
    const out = await problems(
      'volume-unknown',
      [
        'name: shop',
        'volumes:',
        '  pgdata:',
        'services:',
        '  db:',
        '    command: [postgres]',
        '    volumes: [pgdat:/data]',
        '',
      ].join('\n'),
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^volume-unknown\.yaml:7:15 services\.db\.volumes\.0: unknown volume `pgdat`.*pgdata/);
  });

  it('a job with replicas', async () => {
    const out = await problems(
      'job-replicas',
      [
        'name: shop',
        'services:',
        '  migrate:',
        '    kind: job',
        '    command: [migrate, up]',
        '    replicas: 3',
        '',
      ].join('\n'),
    );
    expect(out).toEqual([
      'job-replicas.yaml:6:15 services.migrate.replicas: a job runs one replica to completion: remove `replicas`',
    ]);
  });

  it('a cronjob without schedule', async () => {
    const out = await problems(
      'cron-no-schedule',
      ['name: shop', 'services:', '  report:', '    kind: cronjob', '    command: [sh, -c, date]', ''].join('\n'),
    );
    expect(out).toEqual([
      'cron-no-schedule.yaml:4:11 services.report.kind: a `kind: cronjob` service needs `schedule`',
    ]);
  });

  it('a cronjob whose schedule has a field out of range', async () => {
    const out = await problems(
      'cron-range',
      [
        'name: shop',
        'services:',
        '  report:',
        '    kind: cronjob',
        '    schedule: "99 * * * *"',
        '    command: date',
        '',
      ].join('\n'),
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^cron-range\.yaml:5:15 services\.report\.schedule: not a valid cron schedule: /);
  });

  it('a UDP port that asks for an application protocol UDP cannot carry', async () => {
    const out = await problems(
      'udp-app',
      [
        'name: shop',
        'services:',
        '  dns:',
        '    command: [dnsd]',
        '    ports:',
        '      - { name: dns, port: 5353, protocol: UDP, appProtocol: http }',
        '',
      ].join('\n'),
    );
    expect(out).toEqual([
      'udp-app.yaml:6:62 services.dns.ports.0.appProtocol: a UDP port carries datagrams: `appProtocol: http` needs `protocol: TCP`',
    ]);
  });
});
