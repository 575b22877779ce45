/**
 * Push webhooks through real control planes over HTTP on 127.0.0.1. The `berth server` lets a webhook
 * delivery reach its route without a Berth token — for an app without a pipeline's webhook answered
 * 404 "no webhook", not 401 — while every other route, the deliveries' list too, still needs the
 * token; `berth hooks url` prints the URL to configure. A control plane with an in-test
 * PipelineTriggers (the real API on a real SQLite store, listening on 127.0.0.1) takes GitHub's own
 * push sample signed with the app's secret, refuses its replay and a forged copy, and the real CLI
 * lists the three with `berth hooks deliveries` (table and -o json).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, startBerth, type Berth } from './harness.js';
import { sendGitHub, signGitHub } from '../support/webhookDelivery.js';
import { testApi, type TestApi } from '../../src/server/testing/apiContext.js';
import type { PushEvent } from '../../src/model/delivery.js';
import type { HookDelivery } from '../../src/model/hookDelivery.js';

const SECRET = 'webhook-secret-of-shop';
const push = readFileSync(join(ROOT, 'test/fixtures/webhooks/github/push.json'));
const signed = (body: Buffer, secret = SECRET): string => signGitHub(body, secret);
const deliver = (url: string, delivery: string, signature: string) =>
  sendGitHub(url, 'shop', { event: 'push', deliveryId: delivery, secret: SECRET, body: push, signature });

describe('webhooks on the real control plane', () => {
  let berth: Berth;
  beforeAll(async () => {
    berth = await startBerth();
  }, 60_000);
  afterAll(async () => berth?.teardown());

  it('reaches the webhook route without a token while the other routes still need one', async () => {
    const r = await deliver(berth.url, 'e2e-1', signed(push));
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('no webhook at this URL'),
    });
    expect((await fetch(`${berth.url}/api/v1/apps`)).status).toBe(401);
    expect((await fetch(`${berth.url}/api/v1/hooks/deliveries?app=shop`)).status).toBe(401);
    const listed = await berth.api<HookDelivery[]>('GET', '/api/v1/hooks/deliveries?app=shop');
    expect(listed).toEqual({ status: 200, body: [] });
    const doc = await berth.api<{
      paths: Record<string, Record<string, { operationId: string; security?: unknown[]; responses: object }>>;
    }>('GET', '/api/v1/openapi.json');
    const op = doc.body.paths['/api/v1/hooks/{provider}/{app}']!.post!;
    expect(op.operationId).toBe('receiveWebhook');
    expect(op.security).toEqual([]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '202', '401', '404', '409', '413']));
  });

  it('berth hooks url prints the URL to configure and how to set the secret', async () => {
    const r = await berth.cli(['hooks', 'url', 'shop', '--provider', 'gitlab']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`URL:          ${berth.url}/api/v1/hooks/gitlab/shop\n`);
    expect(r.stdout).toContain('X-Gitlab-Token');
    expect(r.stdout).toContain('webhook: { secret: ${PIPELINE_SECRET} }');
    expect(r.stdout).toContain('berth pipeline set shop --webhook-secret-file FILE');
    const json = await berth.json<{ url: string }>([
      'hooks',
      'url',
      'shop',
      '--provider',
      'github',
      '--base-url',
      'https://berth.example.com/',
    ]);
    expect(json.url).toBe('https://berth.example.com/api/v1/hooks/github/shop');
    const bad = await berth.cli(['hooks', 'url', 'shop', '--provider', 'bitbucket']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--provider');
  });
});

describe('webhook deliveries into pipelines, listed by the CLI', () => {
  let t: TestApi;
  let url: string;
  let token: string;
  const events: PushEvent[] = [];
  beforeAll(async () => {
    t = await testApi();
    t.ctx.pipelineTriggers = {
      webhookSecret: async (app) => (app === 'shop' ? SECRET : undefined),
      onPush: async (_app, event) => {
        events.push(event);
        return { runId: `run-${events.length}` };
      },
      onPullRequest: async () => ({ ignored: 'not in this test' }),
    };
    url = await t.api.listen({ host: '127.0.0.1', port: 0 });
    token = readFileSync(join(t.ctx.home, 'token'), 'utf8').trim();
  });
  afterAll(async () => t?.close());

  /** The real CLI, run asynchronously: the control plane answering it runs in this process. */
  const cli = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, 'bin/berth.js'), '--server', url, '--token', token, ...args],
        { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('takes a signed push once, refuses its replay and a forgery, and berth hooks deliveries lists all three', async () => {
    expect((await deliver(url, 'gh-1', signed(push))).status).toBe(202);
    expect((await deliver(url, 'gh-1', signed(push))).status).toBe(409);
    expect((await deliver(url, 'gh-2', signed(push, 'guessed'))).status).toBe(401);
    expect(events.map((e) => [e.branch, e.commit])).toEqual([['master', '6113728f27ae82c7b1a177c8d03f9e96e0adf246']]);

    const table = await cli(['hooks', 'deliveries', 'shop']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^RECEIVED\s+PROVIDER\s+EVENT\s+DELIVERY\s+STATUS\s+OUTCOME\s+RUN\s+REF\s+COMMIT\s+DETAIL$/,
    );
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1, 6))).toEqual([
      ['github', 'push', 'gh-2', '401', 'refused'],
      ['github', 'push', 'gh-1', '409', 'replay'],
      ['github', 'push', 'gh-1', '202', 'triggered'],
    ]);
    expect(lines[3]).toContain('run-1  refs/heads/master  6113728f27ae');
    const json = await cli(['hooks', 'deliveries', 'shop', '-o', 'json']);
    expect((JSON.parse(json.stdout) as HookDelivery[]).map((d) => d.outcome)).toEqual([
      'refused',
      'replay',
      'triggered',
    ]);
    const yaml = await cli(['hooks', 'deliveries', 'shop', '-o', 'yaml']);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
    const none = await cli(['hooks', 'deliveries', 'blog']);
    expect(none.stdout).toContain('no webhook delivery for blog yet');
  });
});
