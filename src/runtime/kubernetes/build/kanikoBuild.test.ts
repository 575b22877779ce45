/**
 * `buildImage` on Kubernetes against the in-test API server, whose Job controller runs the Kaniko
 * Job's pod as each test scripts it (testing/fakeJobs.ts): the digest read back from the termination
 * message, a failure with its log tail, a cancelled build's Job deleted, a build re-attached after a
 * control-plane restart, transient API errors retried, a stale watch (410) listed again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime.js';
import { startHarness, type KubeHarness } from '../testing/harness.js';
import type { JobScript } from '../testing/fakeJobs.js';
import type { FakeApiServerOptions } from '../testing/fakeApiServer.js';
import { buildRequest, COMMIT } from './testing.js';

const ns = 'berth-test';
const DIGEST = `sha256:${'4f'.repeat(32)}`;
const KANIKO_LINES = [
  `Enumerating objects: 42, done.`,
  'INFO[0001] Retrieving image manifest debian:12',
  'INFO[0002] RUN npm ci',
  `INFO[0004] Pushing image to registry.example.com/shop/api:${COMMIT}`,
  `INFO[0005] Pushed registry.example.com/shop/api@${DIGEST}`,
];

const until = async (what: () => boolean, ms = 5000): Promise<void> => {
  for (let i = 0; i < ms / 10 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(what(), String(what)).toBe(true);
};

/** A hold the test releases: the build container runs until then. */
function gate(): { hold: Promise<void>; open: () => void } {
  let open!: () => void;
  const hold = new Promise<void>((r) => (open = r));
  return { hold, open };
}

describe('builds on Kubernetes: a Kaniko Job', () => {
  let h: KubeHarness;
  const retry = { baseMs: 5, maxMs: 50, random: () => 0.5 };
  afterEach(async () => {
    await h.close();
  });

  async function start(script: JobScript, opts: FakeApiServerOptions = {}): Promise<Runtime> {
    h = await startHarness(opts);
    h.server.controllers.jobs.scriptFor = () => script;
    return h.open({ retry });
  }
  const jobs = () => h.server.list('batch/v1', 'Job', ns);
  const buildPods = () => h.server.list('v1', 'Pod', ns, 'berth.dev/build');
  const secrets = () => h.server.list('v1', 'Secret', ns);

  it('runs the Job, streams the kaniko log and returns the digest from the termination message', async () => {
    const rt = await start({ lines: KANIKO_LINES, message: `${DIGEST}\n` });
    const lines: string[] = [];
    const built = await rt.buildImage!(buildRequest(), { onLog: (l) => lines.push(l) });
    expect(built).toEqual({ image: `registry.example.com/shop/api:${COMMIT}`, digest: DIGEST });
    expect(lines[0]).toMatch(/^\[berth\] started the build's Job api-build-[0-9a-f]{12} in namespace berth-test/);
    expect(lines.slice(1)).toEqual(KANIKO_LINES);
    const [job] = jobs();
    expect(job?.metadata.labels).toMatchObject({ 'berth.dev/app': 'shop', 'berth.dev/service': 'api' });
    expect(job?.status?.conditions).toEqual([{ type: 'Complete', status: 'True' }]);
    // Applied with server-side apply as Berth's field manager; the credentials' Secret owned by the Job,
    // then deleted once the push is over.
    const applies = h.server.requests.filter((r) => r.method === 'PATCH');
    expect(applies.map((r) => [r.path.replace(/api-build-\w+/, 'JOB'), r.query.fieldManager])).toEqual([
      [`/api/v1/namespaces/${ns}/secrets/JOB`, 'berth'],
      [`/apis/batch/v1/namespaces/${ns}/jobs/JOB`, 'berth'],
      [`/api/v1/namespaces/${ns}/secrets/JOB`, 'berth'],
    ]);
    expect(secrets()).toEqual([]);
    const log = h.server.requests.find((r) => r.path.endsWith('/log'));
    expect(log?.query).toMatchObject({ container: 'kaniko', follow: 'true' });
  });

  it('fails with the service, the exit and the log tail when kaniko fails; building again runs a new Job', async () => {
    const failing = [
      ...KANIKO_LINES.slice(0, 3),
      'npm ERR! missing script: build',
      'error building image: exit status 1',
    ];
    const rt = await start({ lines: failing, exitCode: 1 });
    const err = await rt.buildImage!(buildRequest(), { onLog: () => {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'RUNTIME',
      message: expect.stringMatching(
        /^api: the build of registry\.example\.com\/shop\/api:\w+ failed: kaniko exited with code 1 \(Error\) \(Job api-build-\w+\)$/,
      ),
      details: { service: 'api', namespace: ns, logTail: failing },
    });
    const first = jobs()[0]!;
    expect(first.status?.conditions).toMatchObject([{ type: 'Failed', reason: 'BackoffLimitExceeded' }]);
    expect(secrets()).toEqual([]);
    // The same build asked for again (the Dockerfile's fault was in the registry, say) runs again.
    h.server.controllers.jobs.scriptFor = () => ({ lines: ['ok'], message: DIGEST });
    const built = await rt.buildImage!(buildRequest(), { onLog: () => {} });
    expect(built.digest).toBe(DIGEST);
    expect(jobs()).toHaveLength(1);
    expect(jobs()[0]!.metadata.uid).not.toBe(first.metadata.uid);
  });

  it('waits for a failed Job still being deleted (a finalizer) before running the build again', async () => {
    const rt = await start({ lines: ['no space left on device'], exitCode: 1 });
    await expect(rt.buildImage!(buildRequest(), { onLog: () => {} })).rejects.toThrow(/kaniko exited with code 1/);
    const [failed] = jobs();
    // Something holds the failed Job (a finalizer): its deletion waits until that lets go.
    h.server.seed({ ...failed!, metadata: { ...failed!.metadata, finalizers: ['example.com/hold'] } });
    h.server.controllers.jobs.scriptFor = () => ({ lines: ['ok'], message: DIGEST });
    const again = rt.buildImage!(buildRequest(), { onLog: () => {} });
    await until(() => jobs()[0]?.metadata.deletionTimestamp !== undefined);
    await new Promise((r) => setTimeout(r, 150));
    h.server.finalize('batch/v1', 'Job', ns, failed!.metadata.name);
    expect((await again).digest).toBe(DIGEST);
    expect(jobs()[0]!.metadata.uid).not.toBe(failed!.metadata.uid);
  });

  it('refuses a termination message that is not a digest', async () => {
    const rt = await start({ lines: ['done'], message: 'sha256:xyz' });
    await expect(rt.buildImage!(buildRequest(), { onLog: () => {} })).rejects.toThrow(
      /termination message is not an image digest \(sha256: and 64 hex digits\): "sha256:xyz"/,
    );
  });

  it('deletes the Job (propagation Background) and rejects when the build is cancelled', async () => {
    const g = gate();
    const rt = await start({ lines: KANIKO_LINES.slice(0, 2), hold: g.hold });
    const abort = new AbortController();
    const lines: string[] = [];
    const build = rt.buildImage!(buildRequest(), { onLog: (l) => lines.push(l), signal: abort.signal });
    await until(() => lines.length === 3);
    abort.abort(new Error('the pipeline run was cancelled'));
    await expect(build).rejects.toThrow(/^api: the build of .* was cancelled; its Job api-build-\w+ was deleted$/);
    const deletes = h.server.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => [r.path.replace(/api-build-\w+/, 'JOB'), r.query.propagationPolicy])).toEqual([
      [`/apis/batch/v1/namespaces/${ns}/jobs/JOB`, 'Background'],
      [`/api/v1/namespaces/${ns}/secrets/JOB`, 'Background'],
    ]);
    expect(jobs()).toEqual([]);
    expect(buildPods()).toEqual([]);
    expect(secrets()).toEqual([]);
    g.open();
  });

  it('re-attaches to the running Job after a control-plane restart instead of starting a second one', async () => {
    const g = gate();
    const rt1 = await start({ lines: KANIKO_LINES, hold: g.hold, message: DIGEST });
    const first: string[] = [];
    const build1 = rt1.buildImage!(buildRequest(), { onLog: (l) => first.push(l) });
    await until(() => first.length === 1 + KANIKO_LINES.length);
    await rt1.close(); // the control plane stops mid-build
    await expect(build1).rejects.toThrow(/the runtime is closing; the build's Job api-build-\w+ keeps running/);
    expect(jobs()).toHaveLength(1);
    const rt2 = h.open({ retry }); // the control plane started again
    const second: string[] = [];
    const build2 = rt2.buildImage!(buildRequest(), { onLog: (l) => second.push(l) });
    await until(() => second.length === 1 + KANIKO_LINES.length);
    g.open();
    expect(await build2).toEqual({ image: buildRequest().image, digest: DIGEST });
    expect(second[0]).toMatch(/^\[berth\] re-attached to the build's Job api-build-\w+/);
    expect(second.slice(1)).toEqual(KANIKO_LINES);
    const jobApplies = h.server.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/jobs/'));
    expect(jobApplies).toHaveLength(1);
    expect(buildPods()).toHaveLength(1);
  });

  it('retries 429 and 5xx answers on apply, list, read and watch, and reopens a log that failed', async () => {
    const rt = await start({ lines: KANIKO_LINES, message: DIGEST });
    h.server.inject({ method: 'GET', path: /\/log$/, status: 503 });
    h.server.inject({ method: 'GET', path: /\/jobs\/api-build-\w+$/, status: 503 });
    h.server.inject({ method: 'PATCH', path: '/secrets/', status: 500 });
    h.server.inject({ method: 'PATCH', path: '/jobs/', status: 429, retryAfterSeconds: 0 });
    h.server.inject({ method: 'GET', path: /\/pods$/, watch: false, status: 502 });
    h.server.inject({ method: 'GET', path: /\/jobs$/, watch: true, status: 429 });
    const lines: string[] = [];
    const built = await rt.buildImage!(buildRequest(), { onLog: (l) => lines.push(l) });
    expect(built.digest).toBe(DIGEST);
    expect(h.server.injected).toBe(6);
    expect(lines.slice(1)).toEqual(KANIKO_LINES); // every line once
    expect(jobs()).toHaveLength(1);
  });

  it('lists again after a stale watch (410 Gone) and still sees the build end', async () => {
    const g = gate();
    // Watches end every 100 ms, as API servers end them: the build re-watches from the last version seen.
    const rt = await start({ lines: KANIKO_LINES.slice(0, 1), hold: g.hold, message: DIGEST }, { watchTimeoutMs: 100 });
    const lines: string[] = [];
    const build = rt.buildImage!(buildRequest(), { onLog: (l) => lines.push(l) });
    await until(() => lines.length === 2);
    const lists = () =>
      h.server.requests.filter((r) => r.method === 'GET' && /\/(pods|jobs)$/.test(r.path) && r.query.watch !== 'true');
    const listedBefore = lists().length;
    // Other changes in the namespace, then the history compacted: the next re-watch is refused with 410.
    h.server.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: ns } });
    h.server.compact();
    await until(() => lists().length >= listedBefore + 2); // the Job's and the pods' lists, again
    g.open();
    expect((await build).digest).toBe(DIGEST);
  });

  it('fails fast, deleting the Job, when the kaniko image cannot be pulled', async () => {
    const rt = await start({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } });
    await expect(rt.buildImage!(buildRequest(), { onLog: () => {} })).rejects.toThrow(
      /failed: its pod api-build-\w+-\w+-\w+ cannot start kaniko: ImagePullBackOff: Back-off pulling image/,
    );
    expect(jobs()).toEqual([]);
  });

  it('fails when the build runs past its deadline (activeDeadlineSeconds)', async () => {
    h = await startHarness({ msPerDeadlineSecond: 100 });
    h.server.controllers.jobs.scriptFor = () => ({ lines: ['INFO[0001] RUN make'], hold: new Promise(() => {}) });
    const rt = h.open({ retry, builder: { deadlineSeconds: 2 } });
    const err = await rt.buildImage!(buildRequest(), { onLog: () => {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      message: expect.stringMatching(/ran longer than its deadline \(activeDeadlineSeconds 2\)/),
      details: { logTail: ['INFO[0001] RUN make'] },
    });
    expect(jobs()[0]?.status?.conditions).toMatchObject([{ type: 'Failed', reason: 'DeadlineExceeded' }]);
    expect(buildPods()).toEqual([]);
  });
});
