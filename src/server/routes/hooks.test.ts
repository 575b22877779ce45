/**
 * Push webhooks over real HTTP on 127.0.0.1, from the providers' own payload samples
 * (test/fixtures/webhooks/, signed here with the app's secret), into an in-test PipelineTriggers that
 * records what it is told. A valid delivery reaches the pipelines without a Berth token; a wrong
 * signature or token, a missing header, a replayed id, an oversized or malformed body reach nothing,
 * each with its status; every delivery to an app with a webhook is listed, refused ones too.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';
import type { PipelineTriggers, PullRequestEvent, PushEvent, TriggerAnswer } from '../../model/delivery.js';
import type { HookDelivery } from '../../model/hookDelivery.js';

const SECRET = "It's a Secret to Everybody";
const fixture = (path: string): Buffer =>
  readFileSync(new URL(`../../../test/fixtures/webhooks/${path}`, import.meta.url));
const sign = (body: Buffer, secret = SECRET): string => createHmac('sha256', secret).update(body).digest('hex');

/** PipelineTriggers that records every event (app `shop` has a webhook, the others none). */
function recordingTriggers() {
  const pushes: { app: string; event: PushEvent }[] = [];
  const pulls: { app: string; event: PullRequestEvent }[] = [];
  let fail: Error | undefined;
  const triggers: PipelineTriggers = {
    webhookSecret: async (app) => (app === 'shop' ? SECRET : undefined),
    onPush: async (app, event): Promise<TriggerAnswer> => {
      if (fail) throw fail;
      pushes.push({ app, event });
      return event.deleted ? { ignored: 'a deleted ref runs nothing' } : { runId: `run-${pushes.length}` };
    },
    onPullRequest: async (app, event) => {
      pulls.push({ app, event });
      return { runId: `pr-run-${pulls.length}` };
    },
  };
  return {
    triggers,
    pushes,
    pulls,
    failNext: (e: Error | undefined) => (fail = e),
    count: () => pushes.length + pulls.length,
  };
}

describe('push webhooks', () => {
  let t: TestApi;
  let base: string;
  let rec: ReturnType<typeof recordingTriggers>;
  let n = 0;
  const id = (): string => `delivery-${process.pid}-${++n}`;

  const post = (path: string, body: Buffer | string, headers: Record<string, string>) =>
    fetch(`${base}/api/v1/hooks/${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const github = (event: string, body: Buffer, delivery = id(), extra: Record<string, string> = {}) =>
    post('github/shop', body, {
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': delivery,
      'X-Hub-Signature-256': `sha256=${sign(body)}`,
      ...extra,
    });
  const deliveries = async (app = 'shop'): Promise<HookDelivery[]> => {
    const r = await t.request({ method: 'GET', url: `/api/v1/hooks/deliveries?app=${app}` });
    expect(r.statusCode, r.body).toBe(200);
    return r.json<HookDelivery[]>();
  };

  beforeAll(async () => {
    t = await testApi();
    base = await t.api.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => t?.close());
  beforeEach(() => {
    rec = recordingTriggers();
    t.ctx.pipelineTriggers = rec.triggers;
  });

  it('takes a signed GitHub push without a Berth token and tells the pipelines its branch, commit and clone URLs', async () => {
    const delivery = id();
    const r = await github('push', fixture('github/push.json'), delivery);
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({ deliveryId: delivery, runId: 'run-1' });
    expect(rec.pushes).toEqual([
      {
        app: 'shop',
        event: {
          provider: 'github',
          deliveryId: delivery,
          repository: {
            fullName: 'Codertocat/Hello-World',
            cloneUrls: ['https://github.com/Codertocat/Hello-World.git', 'git@github.com:Codertocat/Hello-World.git'],
          },
          ref: 'refs/heads/master',
          branch: 'master',
          commit: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
          deleted: false,
          pusher: 'Codertocat',
        },
      },
    ]);
    const [row] = await deliveries();
    expect(row).toMatchObject({
      deliveryId: delivery,
      provider: 'github',
      event: 'push',
      status: 202,
      outcome: 'triggered',
      runId: 'run-1',
      ref: 'refs/heads/master',
    });
  });

  it('reads a deleted ref (after = 0000…) as deleted, without a commit', async () => {
    const r = await github('push', fixture('github/push-deleted-tag.json'));
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ignored: 'a deleted ref runs nothing' });
    expect(rec.pushes[0]!.event).toMatchObject({ ref: 'refs/tags/simple-tag', deleted: true });
    expect(rec.pushes[0]!.event.commit).toBeUndefined();
    expect(rec.pushes[0]!.event.branch).toBeUndefined();
  });

  it('reads GitHub pull requests: opened, synchronize as updated, closed with merged', async () => {
    expect((await github('pull_request', fixture('github/pull_request-opened.json'))).status).toBe(202);
    expect((await github('pull_request', fixture('github/pull_request-synchronize.json'))).status).toBe(202);
    const closed = JSON.parse(fixture('github/pull_request-closed.json').toString()) as {
      pull_request: { merged: boolean };
    };
    expect((await github('pull_request', fixture('github/pull_request-closed.json'))).status).toBe(202);
    closed.pull_request.merged = true;
    expect((await github('pull_request', Buffer.from(JSON.stringify(closed)))).status).toBe(202);
    expect(rec.pulls.map((p) => [p.event.action, p.event.merged])).toEqual([
      ['opened', false],
      ['updated', false],
      ['closed', false],
      ['closed', true],
    ]);
    expect(rec.pulls[0]!.event).toMatchObject({
      provider: 'github',
      number: 2,
      branch: 'changes',
      commit: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
      baseBranch: 'master',
      author: 'Codertocat',
      repository: { fullName: 'Codertocat/Hello-World' },
    });
  });

  it('answers a ping 200 and triggers nothing', async () => {
    const r = await github('ping', fixture('github/ping.json'));
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ignored: expect.stringContaining('ping') });
    expect(rec.count()).toBe(0);
    expect((await deliveries())[0]).toMatchObject({ outcome: 'ping', status: 200 });
  });

  it('takes GitLab pushes and merge requests with the token, in constant time, by Idempotency-Key or X-Gitlab-Event-UUID', async () => {
    const gitlab = (event: string, body: Buffer, headers: Record<string, string> = {}) =>
      post('gitlab/shop', body, {
        'X-Gitlab-Event': event,
        'X-Gitlab-Token': SECRET,
        'X-Gitlab-Event-UUID': id(),
        ...headers,
      });
    const push = await gitlab('Push Hook', fixture('gitlab/push.json'));
    expect(push.status).toBe(202);
    expect(rec.pushes[0]!.event).toMatchObject({
      provider: 'gitlab',
      branch: 'master',
      commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      deleted: false,
      pusher: 'jsmith',
      repository: {
        fullName: 'mike/diaspora',
        cloneUrls: ['http://example.com/mike/diaspora.git', 'git@example.com:mike/diaspora.git'],
      },
    });
    const key = id();
    expect(
      (await gitlab('Merge Request Hook', fixture('gitlab/merge_request.json'), { 'Idempotency-Key': key })).status,
    ).toBe(202);
    expect(rec.pulls[0]!.event).toMatchObject({
      provider: 'gitlab',
      deliveryId: key,
      number: 1,
      action: 'opened',
      merged: false,
      branch: 'ms-viewport',
      baseBranch: 'master',
      commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    });
    const mr = JSON.parse(fixture('gitlab/merge_request.json').toString()) as {
      object_attributes: { action: string; oldrev?: string };
    };
    // An update with new commits (GitLab sends oldrev only then).
    mr.object_attributes.oldrev = 'b'.repeat(40);
    for (const action of ['update', 'close', 'merge', 'reopen']) {
      mr.object_attributes.action = action;
      expect((await gitlab('Merge Request Hook', Buffer.from(JSON.stringify(mr)))).status).toBe(202);
    }
    mr.object_attributes.action = 'approved';
    const approved = await gitlab('Merge Request Hook', Buffer.from(JSON.stringify(mr)));
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ ignored: 'merge request action approved is not one Berth acts on' });
    expect(rec.pulls.map((p) => [p.event.action, p.event.merged])).toEqual([
      ['opened', false],
      ['updated', false],
      ['closed', false],
      ['closed', true],
      ['reopened', false],
    ]);
    const wrong = await gitlab('Push Hook', fixture('gitlab/push.json'), { 'X-Gitlab-Token': `${SECRET}!` });
    expect(wrong.status).toBe(401);
    expect(rec.pushes).toHaveLength(1);
  });

  it('takes Gitea and Forgejo deliveries signed in X-Gitea-Signature / X-Forgejo-Signature', async () => {
    const body = fixture('gitea/push.json');
    const r = await post('gitea/shop', body, {
      'X-Gitea-Event': 'push',
      'X-Gitea-Delivery': id(),
      'X-Gitea-Signature': sign(body),
    });
    expect(r.status).toBe(202);
    expect(rec.pushes[0]!.event).toMatchObject({
      provider: 'gitea',
      branch: 'develop',
      commit: 'bffeb74224043ba2feb48d137756c8a9331c449a',
      pusher: 'gitea',
      repository: {
        fullName: 'gitea/webhooks',
        cloneUrls: ['http://localhost:3000/gitea/webhooks.git', 'ssh://gitea@localhost:2222/gitea/webhooks.git'],
      },
    });
    const pr = fixture('gitea/pull_request-merged.json');
    const f = await post('forgejo/shop', pr, {
      'X-Forgejo-Event': 'pull_request',
      'X-Forgejo-Delivery': id(),
      'X-Forgejo-Signature': sign(pr),
    });
    expect(f.status).toBe(202);
    expect(rec.pulls[0]!.event).toMatchObject({
      provider: 'gitea',
      number: 4,
      action: 'closed',
      merged: true,
      branch: 'reaction-metadata',
      commit: '01efc1fe09d4fba25397a386a6c623fd12eadd79',
      baseBranch: 'main',
      author: 'kostekIV',
    });
    const bad = await post('gitea/shop', body, {
      'X-Gitea-Event': 'push',
      'X-Gitea-Delivery': id(),
      'X-Gitea-Signature': sign(body, 'another'),
    });
    expect(bad.status).toBe(401);
    expect(rec.pushes).toHaveLength(1);
  });

  it('refuses what is not a valid delivery with its status, triggers nothing, and lists each refusal', async () => {
    const body = fixture('github/push.json');
    const cases: [string, Promise<Response>, number, string][] = [
      [
        'wrong signature',
        post('github/shop', body, {
          'X-GitHub-Event': 'push',
          'X-GitHub-Delivery': id(),
          'X-Hub-Signature-256': `sha256=${sign(body, 'guess')}`,
        }),
        401,
        'does not match',
      ],
      [
        'no signature',
        post('github/shop', body, { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': id() }),
        401,
        'no X-Hub-Signature-256',
      ],
      [
        'sha1 signature only',
        post('github/shop', body, {
          'X-GitHub-Event': 'push',
          'X-GitHub-Delivery': id(),
          'X-Hub-Signature': `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`,
        }),
        401,
        'no X-Hub-Signature-256',
      ],
      [
        'a body changed after signing',
        post('github/shop', Buffer.concat([body, Buffer.from(' ')]), {
          'X-GitHub-Event': 'push',
          'X-GitHub-Delivery': id(),
          'X-Hub-Signature-256': `sha256=${sign(body)}`,
        }),
        401,
        'does not match',
      ],
      [
        'no event header',
        post('github/shop', body, { 'X-GitHub-Delivery': id(), 'X-Hub-Signature-256': `sha256=${sign(body)}` }),
        400,
        'no X-GitHub-Event header',
      ],
      [
        'no delivery id',
        post('github/shop', body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${sign(body)}` }),
        400,
        'no X-GitHub-Delivery header',
      ],
      [
        'a delivery id too long',
        post('github/shop', body, {
          'X-GitHub-Event': 'push',
          'X-GitHub-Delivery': 'x'.repeat(201),
          'X-Hub-Signature-256': `sha256=${sign(body)}`,
        }),
        400,
        'too long',
      ],
      ['malformed JSON', github('push', Buffer.from('{"ref": "refs/heads/main",')), 400, 'is not JSON'],
      [
        'a field missing',
        github('push', Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'f'.repeat(40) }))),
        400,
        'repository.full_name is missing',
      ],
      [
        'a bad commit',
        github(
          'push',
          Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'HEAD', repository: { full_name: 'a/b' } })),
        ),
        400,
        'after is not a commit id',
      ],
    ];
    for (const [what, answer, status, message] of cases) {
      const r = await answer;
      const json = (await r.json()) as { message: string };
      expect({ what, status: r.status, message: json.message }).toMatchObject({
        what,
        status,
        message: expect.stringContaining(message),
      });
    }
    expect(rec.count()).toBe(0);
    const rows = await deliveries();
    expect(rows.slice(0, cases.length).every((d) => d.outcome === 'refused')).toBe(true);
    expect(
      rows
        .slice(0, cases.length)
        .map((d) => d.status)
        .reverse(),
    ).toEqual(cases.map((c) => c[2]));
  });

  it('names the missing field of a payload', async () => {
    const pr = JSON.parse(fixture('github/pull_request-opened.json').toString()) as {
      pull_request: { head: Record<string, unknown> };
    };
    delete pr.pull_request.head.sha;
    const r = await github('pull_request', Buffer.from(JSON.stringify(pr)));
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({
      problems: [{ file: 'request body', path: 'pull_request.head.sha', message: 'is missing' }],
    });
    expect(rec.count()).toBe(0);
  });

  it('refuses a replayed delivery id with 409 and triggers nothing the second time', async () => {
    const delivery = id();
    const body = fixture('github/push.json');
    expect((await github('push', body, delivery)).status).toBe(202);
    const again = await github('push', body, delivery);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { message: string }).message).toContain(
      `delivery ${delivery} was received already`,
    );
    expect(rec.pushes).toHaveLength(1);
    const rows = (await deliveries()).filter((d) => d.deliveryId === delivery);
    expect(rows.map((d) => d.outcome)).toEqual(['replay', 'triggered']);
    // Concurrent copies of one delivery: one is taken, the others are replays.
    const id2 = id();
    const answers = await Promise.all([1, 2, 3].map(() => github('push', body, id2)));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409]);
    expect(rec.pushes).toHaveLength(2);
  });

  it('refuses a body over the bound with 413 and lists it', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0x20);
    const delivery = id();
    const r = await github('push', big, delivery);
    expect(r.status).toBe(413);
    expect(((await r.json()) as { message: string }).message).toContain('larger than Berth takes');
    expect(rec.count()).toBe(0);
    expect((await deliveries())[0]).toMatchObject({ deliveryId: delivery, status: 413, outcome: 'refused' });
  });

  it('ignores an event Berth does not act on with 200', async () => {
    const body = Buffer.from(JSON.stringify({ action: 'opened', issue: { number: 1 } }));
    const r = await github('issues', body);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ignored: expect.stringContaining('event issues is not one Berth acts on') });
    expect(rec.count()).toBe(0);
  });

  it('answers the same 404 for an app without a webhook and an app that does not exist, and 404 "no pipeline" without pipelines', async () => {
    const body = fixture('github/push.json');
    const headers = {
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': id(),
      'X-Hub-Signature-256': `sha256=${sign(body)}`,
    };
    const a = await post('github/other', body, headers);
    const b = await post('github/nosuchapp', body, headers);
    expect([a.status, b.status]).toEqual([404, 404]);
    const [ma, mb] = [
      ((await a.json()) as { message: string }).message,
      ((await b.json()) as { message: string }).message,
    ];
    expect(ma.replace('other', 'X')).toBe(mb.replace('nosuchapp', 'X'));
    expect((await post('bitbucket/shop', body, headers)).status).toBe(404);
    const odd = await post('github/Not_An_App', body, headers);
    expect(odd.status).toBe(404);
    delete t.ctx.pipelineTriggers;
    const none = await post('github/shop', body, headers);
    expect(none.status).toBe(404);
    expect(((await none.json()) as { message: string }).message).toContain('no pipeline');
    expect(rec.count()).toBe(0);
  });

  it('frees the id of a delivery the pipelines failed to take: the redelivery is taken', async () => {
    const delivery = id();
    const body = fixture('github/push.json');
    rec.failNext(new Error('disk full'));
    const r = await github('push', body, delivery);
    expect(r.status).toBe(500);
    expect(JSON.stringify(await r.json())).not.toContain('disk full');
    expect((await deliveries())[0]).toMatchObject({ deliveryId: delivery, outcome: 'failed', detail: 'disk full' });
    rec.failNext(undefined);
    expect((await github('push', body, delivery)).status).toBe(202);
  });

  it('keeps every other route behind the Berth token, the deliveries list too', async () => {
    expect((await fetch(`${base}/api/v1/apps`)).status).toBe(401);
    expect((await fetch(`${base}/api/v1/hooks/deliveries?app=shop`)).status).toBe(401);
    const body = fixture('github/push.json');
    const withBadToken = await github('push', body, id(), { authorization: 'Bearer not-a-token' });
    expect(withBadToken.status).toBe(202);
  });

  it('takes GitHub’s form-encoded deliveries (payload=…) signed over the form body', async () => {
    const form = Buffer.from(new URLSearchParams({ payload: fixture('github/push.json').toString() }).toString());
    const r = await github('push', form, id(), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(202);
    expect(rec.pushes[0]!.event.branch).toBe('master');
  });
});
