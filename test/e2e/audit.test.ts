/**
 * The audit log against a real control plane (issue 18, point 4): creating an environment, a config
 * change with a secret, a deploy and a call refused to another user are each recorded with the
 * authenticated actor (a body's `author: "mallory@evil"` is not it), the address and the outcome; the
 * secret is masked. Then the check: one row's summary edited in the SQLite file (the triggers
 * dropped first, as an attacker would) makes `berth audit verify` exit 1 naming that entry; a deleted
 * row is named too; the export parses line by line.
 */
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, writeApp, type Berth } from './harness.js';
import { addUser } from '../support/identities.js';
import type { AuditEntry } from '../../src/model/audit.js';

const APP = 'audited';
const OWNER = 'ops-lead';
const SECRET = 'postgres://shop:hunter2-e2e@db/shop';
const SERVER = `
import { createServer } from 'node:http';
createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

let berth: Berth;
let dir: string;

beforeAll(async () => {
  dir = await writeApp(APP, {
    'server.mjs': SERVER,
    'berth.yaml': [
      `name: ${APP}`,
      'services:',
      '  web:',
      '    command: node server.mjs',
      '    health: { readiness: { http: { path: / }, period: 1s } }',
    ],
  });
  berth = await startBerth({ env: { BERTH_TOKEN_OWNER: OWNER } });
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
});

const entries = async (args: string[] = []): Promise<AuditEntry[]> => {
  const r = await berth.cli(['audit', '--limit', '1000', ...args, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as AuditEntry[];
};

describe('the audit log', () => {
  it('records who changed what, from where, and what came of it; refusals too; secrets masked', async () => {
    const env = await berth.api('POST', '/api/v1/environments', { name: 'staging', author: 'mallory@evil' });
    expect(env.status, JSON.stringify(env.body)).toBe(201);
    const config = await berth.api('PATCH', `/api/v1/apps/${APP}/envs/staging/config`, {
      baseVersion: 0,
      set: { GREETING: 'hello', DATABASE_URL: { value: SECRET, secret: true } },
      author: 'mallory@evil',
    });
    expect(config.status, JSON.stringify(config.body)).toBe(201);
    const deploy = await berth.cli(['deploy', dir, '-e', 'staging']);
    expect(deploy.code, deploy.stderr).toBe(0);
    const devToken = await addUser(berth.home, { name: 'dev', bindings: [{ role: 'viewer' }] });
    const refused = await berth.cli(['env', 'delete', 'staging'], { env: { BERTH_TOKEN: devToken } });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('environments:write');

    // Reading the log needs audit:read on * (a viewer is refused, the permission named).
    const notAllowed = await berth.cli(['audit'], { env: { BERTH_TOKEN: devToken } });
    expect(notAllowed.code).toBe(1);
    expect(notAllowed.stderr).toContain('audit:read');

    const all = await entries();
    const byOp = (id: string) => all.filter((e) => e.operation.id === id);
    const created = byOp('createEnvironment')[0]!;
    expect(created).toMatchObject({
      actor: { name: OWNER, kind: 'user' },
      address: '127.0.0.1',
      target: { env: 'staging' },
      outcome: { kind: 'ok', status: 201 },
    });
    const changed = byOp('changeConfig')[0]!;
    expect(changed).toMatchObject({
      actor: { name: OWNER },
      target: { app: APP, env: 'staging' },
      outcome: { kind: 'ok', status: 201 },
      summary: { set: { GREETING: { value: 'hello' }, DATABASE_URL: { value: '******', secret: true } } },
    });
    const deployed = byOp('deploy')[0]!;
    expect(deployed).toMatchObject({
      actor: { name: OWNER },
      target: { app: APP, env: 'staging' },
      outcome: { kind: 'ok', status: 202 },
      summary: { env: 'staging', spec: { text: { size: expect.any(Number) as number } } },
    });
    const denied = byOp('deleteEnvironment')[0]!;
    expect(denied).toMatchObject({
      actor: { name: 'dev', kind: 'user' },
      address: '127.0.0.1',
      target: { env: 'staging' },
      outcome: { kind: 'refused', status: 403 },
    });
    expect(denied.outcome.message).toContain('environments:write');
    const text = JSON.stringify(all);
    expect(text).not.toContain('mallory');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(devToken);

    // Filters: the refused calls only; one actor's; the table for people.
    expect((await entries(['--failed'])).map((e) => e.operation.id)).toEqual(['deleteEnvironment']);
    expect((await entries(['--actor', 'dev'])).length).toBe(1);
    const table = await berth.cli(['audit', '--app', APP]);
    expect(table.stdout).toMatch(/SEQ\s+TIME\s+ACTOR\s+OPERATION\s+TARGET\s+OUTCOME\s+ADDRESS/);
    expect(table.stdout).toContain('changeConfig');
    const intact = await berth.cli(['audit', 'verify']);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toContain('audit log intact');
  }, 60_000);

  it('detects an edited row and a deleted row in the SQLite file (berth audit verify exits 1 naming it)', async () => {
    const changed = (await entries(['--op', 'changeConfig']))[0]!;
    const created = (await entries(['--op', 'createEnvironment']))[0]!;
    const db = new Sqlite(join(berth.home, 'berth.db'));
    try {
      db.exec('drop trigger audit_log_no_update; drop trigger audit_log_no_delete;');
      const original = (
        db.prepare('select summary from audit_log where seq = ?').get(changed.seq) as { summary: string }
      ).summary;
      db.prepare('update audit_log set summary = ? where seq = ?').run(original.replace('hello', 'HELLO'), changed.seq);
      const edited = await berth.cli(['audit', 'verify']);
      expect(edited.code).toBe(1);
      expect(edited.stderr).toContain(`audit log broken at entry ${changed.seq}: edited`);
      const json = await berth.cli(['audit', 'verify', '-o', 'json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBad: { seq: changed.seq, reason: 'edited' } });

      db.prepare('update audit_log set summary = ? where seq = ?').run(original, changed.seq);
      expect((await berth.cli(['audit', 'verify'])).code).toBe(0);
      db.prepare('delete from audit_log where seq = ?').run(created.seq);
      const deleted = await berth.cli(['audit', 'verify']);
      expect(deleted.code).toBe(1);
      expect(deleted.stderr).toContain(`audit log broken at entry ${created.seq}: missing`);
    } finally {
      db.close();
    }
  });

  it('exports every entry as JSON lines', async () => {
    const r = await berth.cli(['audit', 'export']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as AuditEntry);
    expect(parsed.length).toBeGreaterThanOrEqual(3); // four recorded, one deleted above
    expect(parsed.map((e) => e.seq)).toEqual([...parsed.map((e) => e.seq)].sort((a, b) => a - b));
    expect(parsed.some((e) => e.operation.id === 'deploy')).toBe(true);
    // -o jsonl: the newest entries, one JSON object a line.
    const jsonl = await berth.cli(['audit', '--limit', '2', '-o', 'jsonl']);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    const newest = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(newest.map((e) => e.seq)).toEqual([parsed.at(-1)!.seq, parsed.at(-2)!.seq]);
  });
});
