import { describe, expect, it } from 'vitest';
import { problemsOf } from './testdata/problemsOf.js';

describe('volumes and stateful services in berth.yaml', () => {
  it('names the line of a volume mounted twice and of a stateful service with a strategy', () => {
    expect(
      problemsOf([
        'name: shop',
        'volumes: { pgdata: }',
        'services:',
        '  db:',
        '    command: sleep 100',
        '    stateful: true',
        '    strategy: canary',
        '    volumes:',
        '      - pgdata:/a',
        '      - { volume: pgdata, path: /b }',
      ]),
    ).toEqual([
      '7:15 services.db.strategy: a `stateful` service is updated in place: it cannot have a `strategy`',
      '10:9 services.db.volumes.1: volume `pgdata` is already mounted by volumes.0',
    ]);
  });

  it('refuses a volume of a stateful service mounted by another service, whose copy would not be the same', () => {
    expect(
      problemsOf([
        'name: shop',
        'volumes: { pgdata: }',
        'services:',
        '  backup:',
        '    command: sleep 100',
        '    volumes: [{ volume: pgdata, path: /b }]',
        '  db:',
        '    command: sleep 100',
        '    stateful: true',
        '    volumes: [pgdata:/a]',
      ]),
    ).toEqual([
      '6:25 services.backup.volumes.0.volume: volume `pgdata` is mounted by the stateful service `db`, whose replicas each have their own copy (`pgdata-0`, ...): declare another volume for `backup`',
    ]);
  });
});
