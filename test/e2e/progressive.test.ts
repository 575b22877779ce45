/**
 * Progressive delivery on one machine, through the real control plane, gateway and processes
 * (examples/canary): a healthy canary is promoted step by step on its own; a version answering
 * 500s is aborted by analysis with traffic back on stable within 2 s, under a steady keep-alive
 * load; manual gates wait for `berth promote` and `berth abort`; blue-green switches all traffic at
 * once; an A/B test sends only matching requests to the new version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyExample, keepAliveLoad, startBerth, waitFor, type Berth } from './harness.js';

interface Track {
  track: string;
  desiredReplicas: number;
  readyReplicas: number;
  weight: number;
}
interface Status {
  edge?: { url: string };
  services: { service: string; tracks?: Track[]; replicas: { id: string }[] }[];
}
interface Release {
  revision: number;
  kind: string;
  status: string;
  reason: string | null;
}
interface Check {
  step: number;
  weight: number;
  scope: 'interval' | 'step';
  verdict: string;
  requests: number;
  errors: number;
  errorRate: number;
  message: string;
  repeats?: number;
}
interface ReleaseEvent {
  time: string;
  service: string | null;
  reason: string;
  message: string;
}

const APP = 'canary-demo';
let berth: Berth;
let dir: string;
let edge: string;
let original: string;

/** Replaces the `strategy:` block of the api service. */
async function useStrategy(yaml: string): Promise<void> {
  const text = original.replace(/ {4}strategy:\n(?: {6}.*\n)+/, `    strategy:\n${yaml.replace(/^/gm, '      ')}\n`);
  await writeFile(join(dir, 'berth.yaml'), text);
}

async function events(revision: number): Promise<ReleaseEvent[]> {
  const res = await fetch(`${berth.url}/api/v1/apps/${APP}/envs/local/releases/${revision}/events`, {
    headers: { authorization: `Bearer ${berth.token}` },
  });
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((b) => b.includes('event: event'))
    .map(
      (b) =>
        JSON.parse(
          b
            .split('\n')
            .find((l) => l.startsWith('data: '))!
            .slice(6),
        ) as ReleaseEvent,
    );
}

async function status(): Promise<Status> {
  return berth.json<Status>(['status', APP]);
}

async function history(): Promise<Release[]> {
  return berth.json<Release[]>(['history', APP]);
}

/** Versions the edge answers with over `n` requests. */
async function versions(n: number, headers: Record<string, string> = {}): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const body = (await (await fetch(edge, { headers })).json()) as { version: string };
    seen.add(body.version);
  }
  return seen;
}

/** Polls status while `run` runs, collecting every `canary weight` seen. */
async function watchWeights<T>(run: () => Promise<T>): Promise<{ result: T; weights: Set<number> }> {
  const weights = new Set<number>();
  let done = false;
  const poll = (async () => {
    while (!done) {
      const api = (await status().catch(() => undefined))?.services.find((s) => s.service === 'api');
      const canary = api?.tracks?.find((t) => t.track === 'canary');
      if (canary) weights.add(canary.weight);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return { result: await run(), weights };
  } finally {
    done = true;
    await poll;
  }
}

beforeAll(async () => {
  dir = await copyExample('canary');
  original = await readFile(join(dir, 'berth.yaml'), 'utf8');
  // On the default data plane: HAProxy where it is installed (as in CI), else Node; both answer alike.
  berth = await startBerth();
  const r = await berth.cli(['deploy', dir]);
  expect(r.code, r.stderr).toBe(0);
  edge = (await status()).edge!.url;
});
afterAll(async () => {
  await berth?.teardown();
});

describe('progressive delivery', () => {
  it('promotes a healthy canary step by step on its own, with no failed request', async () => {
    const seen = new Set<string>();
    const load = keepAliveLoad([edge], {
      connections: 4,
      onAnswer: (b) => seen.add((JSON.parse(b) as { version: string }).version),
    });
    expect((await berth.cli(['config', 'set', 'VERSION=2', '--app', APP])).code).toBe(0);
    const { result, weights } = await watchWeights(() => berth.cli(['deploy', dir]));
    const counts = await load.stop();
    console.log(`healthy canary: ${counts.ok}/${counts.sent} 2xx, weights seen ${[...weights].join(', ')}`);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(counts.failed, JSON.stringify(counts.reasons)).toBe(0);
    expect(seen).toEqual(new Set(['1', '2']));
    expect(weights.has(20) && weights.has(50)).toBe(true);

    const [last] = await history();
    expect(last).toMatchObject({ kind: 'deploy', status: 'succeeded' });
    const reasons = (await events(last!.revision)).map((e) => e.reason);
    expect(reasons.filter((r) => r === 'SetWeight')).toHaveLength(3);
    expect(reasons).toContain('Analysis');
    expect(reasons).toContain('Promoting');
    const api = (await status()).services.find((s) => s.service === 'api')!;
    expect(api.tracks).toBeUndefined();
    expect(api.replicas).toHaveLength(2);
    expect(await versions(20)).toEqual(new Set(['2']));
  });

  it('aborts a version that answers 500s: traffic back on stable within 2 s, then rolled back', async () => {
    const failures: number[] = [];
    const load = keepAliveLoad([edge], {
      connections: 4,
      onResult: (status, _b, at) => {
        if (status !== 200) failures.push(at);
      },
    });
    expect((await berth.cli(['config', 'set', 'VERSION=3', 'ERROR_RATE=1', '--app', APP])).code).toBe(0);
    const deploy = await berth.cli(['deploy', dir]);
    const counts = await load.stop();
    expect(deploy.code).toBe(1);

    const [rollback, failed] = await history();
    expect(failed).toMatchObject({ kind: 'deploy', status: 'failed' });
    expect(failed!.reason).toMatch(/api: analysis failed at 20% on the new version: error rate 100\.0% > 5\.0%/);
    expect(rollback).toMatchObject({ kind: 'auto-rollback', status: 'succeeded' });
    const aborted = (await events(failed!.revision)).find((e) => e.reason === 'Aborted')!;
    const abortedAt = Date.parse(aborted.time);
    const lastFailure = Math.max(...failures);
    console.log(
      `bad canary: ${counts.sent} requests during the episode, ${counts.failed} failed; last failure ${lastFailure - abortedAt} ms after the abort`,
    );
    expect(failures.length).toBeGreaterThan(0);
    expect(lastFailure - abortedAt).toBeLessThan(2000);
    // Only the canary's share failed: at 20% of the traffic for about one analysis interval.
    expect(counts.failed / counts.sent).toBeLessThan(0.25);
    expect(await versions(20)).toEqual(new Set(['2']));
    expect((await status()).services.find((s) => s.service === 'api')!.tracks).toBeUndefined();
  });

  it('waits at a manual gate for promote, and aborts on request', async () => {
    await useStrategy('type: canary\nsteps:\n  - weight: 50\n  - pause: manual\nanalysis: false');
    expect((await berth.cli(['config', 'set', 'VERSION=4', 'ERROR_RATE=0', '--app', APP])).code).toBe(0);
    const promoted = berth.cli(['deploy', dir]);
    await waitFor('the canary at 50%', async () =>
      (await status()).services[0]!.tracks?.find(
        (t) => t.track === 'canary' && t.weight === 50 && t.readyReplicas === 1,
      ),
    );
    const table = await berth.cli(['status', APP]);
    expect(table.stdout).toMatch(/stable 2\/2 50% · canary 1\/1 50%\s+canary step 2\/3: waiting for promote/);
    expect(await versions(40)).toEqual(new Set(['2', '4']));
    const p = await berth.cli(['promote', `${APP}/api`]);
    expect(p.stdout).toMatch(/promotion of api requested in revision \d+/);
    expect((await promoted).code).toBe(0);
    expect(await versions(10)).toEqual(new Set(['4']));

    expect((await berth.cli(['config', 'set', 'VERSION=5', '--app', APP])).code).toBe(0);
    const aborted = berth.cli(['deploy', dir]);
    await waitFor('the canary at 50%', async () =>
      (await status()).services[0]!.tracks?.find(
        (t) => t.track === 'canary' && t.weight === 50 && t.readyReplicas === 1,
      ),
    );
    expect((await berth.cli(['abort', `${APP}/api`])).code).toBe(0);
    expect((await aborted).code).toBe(1);
    const [, failed] = await history();
    expect(failed!.reason).toMatch(/api: aborted by /);
    expect(await versions(10)).toEqual(new Set(['4']));
    const none = await berth.cli(['promote', `${APP}/api`]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/nothing to promote: no release of canary-demo is running in local/);
  });

  it('switches all traffic at once with blue-green, keeping the old version for a while', async () => {
    await useStrategy('type: blueGreen\nkeepOldFor: 2s\nanalysis: { interval: 500ms, minRequests: 5 }');
    expect((await berth.cli(['config', 'set', 'VERSION=6', '--app', APP])).code).toBe(0);
    const load = keepAliveLoad([edge], { connections: 2 });
    const { result, weights } = await watchWeights(() => berth.cli(['deploy', dir]));
    const counts = await load.stop();
    expect(result.code, result.stderr).toBe(0);
    expect(counts.failed, JSON.stringify(counts.reasons)).toBe(0);
    expect([...weights].every((w) => w === 0 || w === 100)).toBe(true);
    expect(weights.has(100)).toBe(true);
    expect(await versions(10)).toEqual(new Set(['6']));
  });

  it('sends only matching requests to the new version in an A/B test', async () => {
    await useStrategy('type: abTest\nmatch: { header: x-variant, value: b }\nanalysis: false');
    expect((await berth.cli(['config', 'set', 'VERSION=7', '--app', APP])).code).toBe(0);
    const deploy = berth.cli(['deploy', dir]);
    await waitFor('the B track', async () =>
      (await status()).services[0]!.tracks?.find((t) => t.track === 'canary' && t.readyReplicas === 1),
    );
    expect(await versions(20, { 'x-variant': 'b' })).toEqual(new Set(['7']));
    expect(await versions(20)).toEqual(new Set(['6']));
    expect((await berth.cli(['promote', `${APP}/api`])).code).toBe(0);
    expect((await deploy).code).toBe(0);
    expect(await versions(10)).toEqual(new Set(['7']));
  });

  it('never promotes a version nobody sent a request to: the step waits, saying why, until traffic judges it', async () => {
    // The repro: a canary answering 500 only, deployed while nobody sends a request.
    await useStrategy(
      'type: canary\nsteps:\n  - weight: 20\n  - pause: 1s\nanalysis: { interval: 500ms, minRequests: 10 }',
    );
    expect((await berth.cli(['config', 'set', 'VERSION=8', 'ERROR_RATE=1', '--app', APP])).code).toBe(0);
    const deploy = berth.cli(['deploy', dir]);
    await waitFor('the step waiting for data', async () =>
      /canary step 1\/3: waiting: 0 requests < minRequests 10/.test((await berth.cli(['status', APP])).stdout),
    );
    // Far longer than the steps take: still waiting, nothing promoted.
    await new Promise((r) => setTimeout(r, 3000));
    const [running] = await history();
    expect(running).toMatchObject({ kind: 'deploy', status: 'running' });
    const table = (await berth.cli(['status', APP])).stdout;
    expect(table).toMatch(/canary step 1\/3: waiting: 0 requests < minRequests 10/);
    expect(table).toMatch(/analysis api: step 1\/3 at 20%: inconclusive: 0 requests < minRequests 10/);
    expect((await events(running!.revision)).map((e) => e.reason)).toContain('WaitingForData');

    // Like a manual pause, promote ends the wait; the next step waits for its own requests.
    expect((await berth.cli(['promote', `${APP}/api`])).code).toBe(0);
    await waitFor('the next step waiting for data', async () =>
      /canary step 2\/3: waiting: 0 requests < minRequests 10/.test((await berth.cli(['status', APP])).stdout),
    );

    // Traffic comes: the new version's 500s fail the check, traffic goes back to the old version.
    const load = keepAliveLoad([edge], { connections: 2 });
    const result = await deploy;
    await load.stop();
    expect(result.code).toBe(1);
    const [rollback, failed] = await history();
    expect(rollback).toMatchObject({ kind: 'auto-rollback', status: 'succeeded' });
    expect(failed!.reason).toMatch(/api: analysis failed at 20% on the new version.*error rate 100\.0% > 5\.0%/);
    expect(await versions(10)).toEqual(new Set(['7']));

    // Every check's numbers are kept on the release, shown by history -o json.
    const full = await berth.json<
      { revision: number; steps: { service: string; progress?: { checks?: Check[] } }[] }[]
    >(['history', APP]);
    const checks = full.find((r) => r.revision === failed!.revision)!.steps[0]!.progress!.checks!;
    const waited = checks.find((c) => c.scope === 'step' && c.verdict === 'inconclusive')!;
    expect(waited).toMatchObject({ step: 0, weight: 20, requests: 0, errors: 0 });
    expect(waited.message).toMatch(/^0 requests < minRequests 10/);
    expect(waited.repeats).toBeGreaterThan(2);
    const verdict = checks.at(-1)!;
    expect(verdict).toMatchObject({ verdict: 'fail', step: 1, weight: 20, errorRate: 1 });
    expect(verdict.requests).toBeGreaterThanOrEqual(10);
    expect(verdict.errors).toBe(verdict.requests);
  });

  it('fails a step without enough requests when the analysis says onNoData: fail', async () => {
    await useStrategy(
      'type: canary\nsteps:\n  - weight: 20\nanalysis: { interval: 500ms, minRequests: 10, onNoData: fail }',
    );
    expect((await berth.cli(['config', 'set', 'VERSION=9', 'ERROR_RATE=1', '--app', APP])).code).toBe(0);
    const result = await berth.cli(['deploy', dir]);
    expect(result.code).toBe(1);
    const [rollback, failed] = await history();
    expect(rollback).toMatchObject({ kind: 'auto-rollback', status: 'succeeded' });
    expect(failed!.reason).toMatch(
      /api: no verdict at 20% on the new version: 0 requests < minRequests 10 over the step \(onNoData: fail\)/,
    );
    expect(await versions(10)).toEqual(new Set(['7']));
  });

  it('exposes per-track traffic, releases and replicas at /metrics, with the token only', async () => {
    expect((await fetch(`${berth.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${berth.url}/metrics`, { headers: { authorization: `Bearer ${berth.token}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      expect(line, series).toBeDefined();
      return Number(line!.split(' ').pop());
    };
    const api = 'app="canary-demo",env="local",service="api"';
    expect(value(`berth_http_requests_total{${api},track="stable"}`)).toBeGreaterThan(100);
    // The canary of the aborted release answered 500s: they are counted on its track.
    expect(value(`berth_http_request_errors_total{${api},track="canary"}`)).toBeGreaterThan(0);
    expect(value(`berth_http_request_duration_seconds_count{${api},track="stable"}`)).toBe(
      value(`berth_http_requests_total{${api},track="stable"}`),
    );
    expect(
      value('berth_releases_total{app="canary-demo",env="local",kind="auto-rollback",status="succeeded"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(value(`berth_replicas{${api},track="stable",state="ready"}`)).toBe(2);
    // The same traffic per edge route: everything here came through the route `/`.
    expect(value(`berth_http_route_requests_total{${api},route="/",track="stable"}`)).toBeGreaterThan(100);
    expect(value(`berth_http_route_request_errors_total{${api},route="/",track="canary"}`)).toBeGreaterThan(0);
    expect(text).toMatch(/^berth_replica_restarts_total\{app="canary-demo",env="local",service="api"\} 0$/m);
    expect(text).toMatch(/^berth_controlplane_process_resident_memory_bytes \d+/m);
  });
});
