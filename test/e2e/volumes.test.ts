/**
 * A volume's data outlives everything but an explicit delete: a service writes to its volume, and
 * after a deploy of a change, a restart, a rollback, `berth down` + `berth up` and a SIGKILL of the
 * control plane the data is still there; `berth volume rm` is refused while it is mounted, `berth
 * down --volumes` asks (and, unasked, refuses), and with `--yes` deletes it.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, waitFor, writeApp, type Berth } from './harness.js';

interface Volume {
  app: string;
  env: string;
  volume: string;
  name: string;
  usedBytes: number;
  sizeBytes?: number;
  services: string[];
  path: string;
}
interface Status {
  services: { service: string; address?: { url: string }; replicas: { id: string; index?: number; port?: number }[] }[];
}

const server = [
  "import { appendFileSync, readFileSync } from 'node:fs';",
  "import { createServer } from 'node:http';",
  "import { join } from 'node:path';",
  'const file = join(process.env.DATA_DIR, "notes.txt");',
  'createServer((req, res) => {',
  "  if (req.method === 'POST') { appendFileSync(file, decodeURIComponent(req.url.slice(1)) + '\\n'); res.end('ok'); return; }",
  "  let notes = ''; try { notes = readFileSync(file, 'utf8'); } catch {}",
  '  res.end(JSON.stringify({ notes, greeting: process.env.GREETING, volume: process.env.BERTH_VOLUME_NOTES, index: process.env.BERTH_REPLICA_INDEX }));',
  "}).listen(Number(process.env.PORT), '127.0.0.1');",
  "process.on('SIGTERM', () => process.exit(0));",
];

const spec = (greeting: string): string[] => [
  'name: notes',
  'volumes:',
  '  notes: { size: 1Gi }',
  'services:',
  '  web:',
  '    command: node server.mjs',
  `    env: { GREETING: ${greeting} }`,
  '    volumes:',
  '      - { volume: notes, path: /data, env: DATA_DIR }',
];

let berth: Berth;
let dir: string;

beforeAll(async () => {
  dir = await writeApp('notes', { 'server.mjs': server, 'berth.yaml': spec('one') });
  berth = await startBerth();
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

async function read(): Promise<{ notes: string; greeting: string; volume: string; index: string }> {
  const st = await berth.json<Status>(['status', 'notes']);
  const url = st.services.find((s) => s.service === 'web')!.address!.url;
  return waitFor('the service to answer', async () => {
    const res = await fetch(url);
    return res.ok
      ? ((await res.json()) as { notes: string; greeting: string; volume: string; index: string })
      : undefined;
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await berth.cli(args);
  expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('a volume on one machine', () => {
  it('keeps its data across deploy, restart, rollback, down + up and a control-plane SIGKILL; down --volumes deletes it', async () => {
    await ok(['deploy', dir]);
    const st = await berth.json<Status>(['status', 'notes']);
    const url = st.services.find((s) => s.service === 'web')!.address!.url;
    expect((await fetch(`${url}/first`, { method: 'POST' })).ok).toBe(true);
    const volumePath = join(berth.home, 'volumes', 'notes', 'local', 'notes');
    expect(await read()).toEqual({ notes: 'first\n', greeting: 'one', volume: volumePath, index: '0' });

    const [listed] = await berth.json<Volume[]>(['volume', 'ls', 'notes']);
    expect(listed).toEqual({
      app: 'notes',
      env: 'local',
      volume: 'notes',
      name: 'notes',
      usedBytes: 6,
      sizeBytes: 1024 ** 3,
      services: ['web'],
      path: volumePath,
    });
    const table = await ok(['volume', 'ls']);
    expect(table).toMatch(/notes\s+local\s+notes\s+6B\s+1Gi\s+web\s+\//);

    // A change deployed: new replicas, same data.
    await writeFile(join(dir, 'berth.yaml'), spec('two').join('\n'));
    await ok(['deploy', dir]);
    expect(await read()).toMatchObject({ notes: 'first\n', greeting: 'two' });
    await ok(['restart', 'notes/web']);
    expect(await read()).toMatchObject({ notes: 'first\n', greeting: 'two' });
    await ok(['rollback', 'notes', '--to', '1']);
    expect(await read()).toMatchObject({ notes: 'first\n', greeting: 'one' });

    // Deleting a volume a replica mounts is refused, naming the replica.
    const busy = await berth.cli(['volume', 'rm', 'notes', 'notes', '--yes']);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toMatch(/cannot remove notes \(mounted by web-\w+-\w+\) while it runs/);

    await ok(['down', 'notes']);
    expect(await readFile(join(volumePath, 'notes.txt'), 'utf8')).toBe('first\n');
    const [afterDown] = await berth.json<Volume[]>(['volume', 'ls', 'notes']);
    expect(afterDown).toMatchObject({ name: 'notes', usedBytes: 6, services: [] });
    await ok(['up', dir, '-d']);
    expect(await read()).toMatchObject({ notes: 'first\n' });

    // The control plane killed and started again: the data (and the replica) are where they were.
    await berth.kill('SIGKILL');
    await berth.restart();
    expect(await read()).toMatchObject({ notes: 'first\n' });
    await writeFile(join(dir, 'berth.yaml'), spec('three').join('\n'));
    await ok(['deploy', dir]);
    expect(await read()).toMatchObject({ notes: 'first\n', greeting: 'three' });

    // down --volumes asks; nobody can answer in a script, so without --yes nothing happens.
    const unasked = await berth.cli(['down', 'notes', '--volumes']);
    expect(unasked.code).not.toBe(0);
    expect(unasked.stderr).toContain('--yes');
    expect(await read()).toMatchObject({ notes: 'first\n' });
    await ok(['down', 'notes', '--volumes', '--yes']);
    expect(existsSync(volumePath)).toBe(false);
    expect(await berth.json<Volume[]>(['volume', 'ls'])).toEqual([]);
    const gone = await berth.cli(['volume', 'rm', 'notes', 'notes', '--yes']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('notes/local has no volume notes');
  }, 120_000);
});

describe('a stateful service', () => {
  it('gives each replica its index and its own volume copy, kept by a scale-down and listed by berth volume ls', async () => {
    const app = await writeApp('ledger', {
      'server.mjs': server,
      'berth.yaml': [
        'name: ledger',
        'volumes: { notes: }',
        'services:',
        '  db:',
        '    stateful: true',
        '    replicas: 2',
        '    command: node server.mjs',
        '    env: { GREETING: hi }',
        '    volumes: [{ volume: notes, path: /data, env: DATA_DIR }]',
      ],
    });
    try {
      await ok(['deploy', app]);
      const st = await berth.json<Status>(['status', 'ledger']);
      const replicas = st.services[0]!.replicas.sort((a, b) => a.id.localeCompare(b.id));
      expect(replicas.map((r) => [r.id, r.index])).toEqual([
        ['db-0', 0],
        ['db-1', 1],
      ]);
      for (const r of replicas) {
        const seen = (await (await fetch(`http://127.0.0.1:${r.port}/`)).json()) as { volume: string; index: string };
        expect(seen).toMatchObject({
          index: String(r.index),
          volume: expect.stringMatching(new RegExp(`/notes-${r.index}$`)),
        });
        expect((await fetch(`http://127.0.0.1:${r.port}/mine-${r.index}`, { method: 'POST' })).ok).toBe(true);
      }
      await ok(['scale', 'ledger/db', '1']);
      const volumes = await berth.json<(Volume & { index?: number })[]>(['volume', 'ls', 'ledger']);
      expect(volumes.map((v) => [v.name, v.volume, v.index, v.usedBytes, v.services])).toEqual([
        ['notes-0', 'notes', 0, 7, ['db']],
        ['notes-1', 'notes', 1, 7, ['db']],
      ]);
      await ok(['down', 'ledger', '--volumes', '--yes']);
      expect(await berth.json<Volume[]>(['volume', 'ls', 'ledger'])).toEqual([]);
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  }, 90_000);
});
