/**
 * `kind: job` on the local runtime: a converge runs the job once per hash to completion (exit 0),
 * retries a failing run up to backoffLimit, then fails with the tail of its log; an unchanged job is
 * not run again, not even by a runtime restarted while it ran (the shim is adopted).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import { fixtureState, useLocalRuntime, waitFor } from './testdata/testing.js';

const local = useLocalRuntime();

/** A job whose run appends a line to `counter` (so tests count runs), then runs `script`. */
function jobState(script: string, over: Partial<ServiceState> & { backoffLimit?: number } = {}): ServiceState {
  const { backoffLimit = 0, ...rest } = over;
  const counter = join(local.home, 'runs.txt');
  const base = fixtureState();
  const code = `require('fs').appendFileSync(${JSON.stringify(counter)}, 'run\\n');${script}`;
  return fixtureState({
    service: 'migrate',
    hash: 'job00001',
    workload: { ...base.workload, command: [process.execPath, '-e', code], ports: [], readiness: undefined },
    run: { kind: 'job', backoffLimit },
    restart: { initialBackoffMs: 50, maxBackoffMs: 100, resetAfterMs: 60_000 },
    ...rest,
  });
}

function runs(): number {
  try {
    return readFileSync(join(local.home, 'runs.txt'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

const noop = { signal: new AbortController().signal, onEvent: () => undefined };

describe('kind: job on one machine', () => {
  it('a converge returns once the job exited 0; converging the same hash again does not re-run it', async () => {
    const rt = local.start();
    const events: RuntimeEvent[] = [];
    await rt.converge(jobState(`console.log('migrated 3 tables')`), { ...noop, onEvent: (e) => events.push(e) });
    expect(runs()).toBe(1);
    expect(events.map((e) => e.reason)).toContain('Completed');
    const st = (await rt.observe('shop', 'dev')).services.find((s) => s.service === 'migrate')!;
    expect(st.replicas[0]).toMatchObject({ phase: 'exited', message: 'completed (1 run)' });
    expect(st.replicas[0]!.messageDetail).toEqual({
      code: 'job.completed',
      params: { attempts: 1 },
      text: 'completed (1 run)',
    });
    // A job that succeeded counts as ready (status, health, metrics).
    expect(st).toMatchObject({ desiredReplicas: 1, readyReplicas: 1 });
    // A later deploy (another revision, same workload hash) converges it again: no second run.
    await rt.converge(jobState(`console.log('migrated 3 tables')`, { revision: 2 }), noop);
    expect(runs()).toBe(1);
    // A changed job (new hash) runs again; the old version's run is kept as its record.
    await rt.converge(jobState(`console.log('v2')`, { revision: 3, hash: 'job00002' }), noop);
    expect(runs()).toBe(2);
    const after = (await rt.observe('shop', 'dev')).services.find((s) => s.service === 'migrate')!;
    expect(after.replicas.map((r) => r.hash)).toEqual(['job00001', 'job00002']);
    // So a rollback to the first version does not run it again.
    await rt.converge(jobState(`console.log('migrated 3 tables')`, { revision: 4 }), noop);
    expect(runs()).toBe(2);
  });

  it('a failing job is retried backoffLimit times, then fails the converge with its log tail', async () => {
    const rt = local.start();
    const failing = `console.log('connecting to db'); console.error('relation "users" already exists'); process.exit(3)`;
    const err = await rt.converge(jobState(failing, { backoffLimit: 2 }), noop).then(
      () => new Error('converge succeeded'),
      (e: unknown) => e as Error & { reasonMessage?: { code: string } },
    );
    expect(runs()).toBe(3);
    expect(err.message).toBe(
      'migrate: job failed after 3 runs; last exit: exit code 3; log tail: connecting to db | relation "users" already exists',
    );
    expect((err as { reasonMessage?: { code: string } }).reasonMessage).toMatchObject({
      code: 'release.jobFailed',
      params: { attempts: 3, lastExit: { code: 'exit.shortCode', params: { code: 3 } } },
    });
    const run = (await rt.observe('shop', 'dev')).services.find((s) => s.service === 'migrate')!.replicas[0]!;
    expect(run.message).toBe('failed: exit code 3 (3 runs)');
    expect(run.messageDetail).toMatchObject({
      code: 'job.failed',
      params: { attempts: 3, reason: { code: 'exit.shortCode' } },
      text: run.message,
    });
    // Failed for good: it is not retried by the supervision loop nor by the next converge of the same hash.
    await new Promise((r) => setTimeout(r, 400));
    expect(runs()).toBe(3);
    await expect(rt.converge(jobState(failing, { backoffLimit: 2, revision: 2 }), noop)).rejects.toThrow(
      /job failed after 3 runs/,
    );
    expect(runs()).toBe(3);
  });

  it('a runtime restarted while the job runs adopts the run: it completes once, never twice', async () => {
    let rt = local.start();
    const gate = join(local.home, 'gate');
    writeFileSync(gate, 'wait');
    // The job waits until the test opens the gate, so the runtime can be closed (as if killed) mid-run.
    const script = `const fs=require('fs');const t=setInterval(()=>{if(fs.readFileSync(${JSON.stringify(gate)},'utf8')==='go'){clearInterval(t);console.log('done')}},20)`;
    const state = jobState(script);
    const first = rt.converge(state, noop).catch((e: unknown) => e);
    await waitFor(() => runs() === 1, 10_000, 'the job to start');
    await rt.close();
    await first;
    rt = local.start({ keepHome: true });
    writeFileSync(gate, 'go');
    await rt.converge({ ...state, revision: 2 }, noop);
    expect(runs()).toBe(1);
    const st = (await rt.observe('shop', 'dev')).services.find((s) => s.service === 'migrate')!;
    expect(st.replicas[0]).toMatchObject({ phase: 'exited', message: 'completed (1 run)' });
    // And once more after another restart: the completed run is the record that the hash ran.
    await rt.close();
    rt = local.start({ keepHome: true });
    await rt.converge({ ...state, revision: 3 }, noop);
    expect(runs()).toBe(1);
  });
});

describe('kind: cronjob runs on one machine', () => {
  const cron = (script: string): ServiceState => ({
    ...jobState(script, { backoffLimit: 0 }),
    service: 'report',
    run: { kind: 'cronjob', schedule: '* * * * *', backoffLimit: 0, concurrency: 'forbid' },
  });

  it('a converge starts nothing; each run started by id completes with its exit code and log tail', async () => {
    const rt = local.start();
    await rt.converge(cron(`console.log('rows: 42')`), noop);
    expect(runs()).toBe(0);
    const idle = (await rt.observe('shop', 'dev')).services.find((x) => x.service === 'report')!;
    expect(idle).toMatchObject({ desiredReplicas: 0, readyReplicas: 0 });
    await rt.startJobRun!('shop', 'dev', 'report', 'r1');
    await rt.startJobRun!('shop', 'dev', 'report', 'r1'); // the same run id twice is one run
    const done = await waitFor(async () => {
      const all = await rt.jobRuns!('shop', 'dev', 'report');
      return all[0]?.phase === 'succeeded' ? all : undefined;
    });
    expect(done).toEqual([
      expect.objectContaining({ runId: 'r1', replica: 'report-r1', exitCode: 0, attempts: 1, logTail: ['rows: 42'] }),
    ]);
    expect(runs()).toBe(1);
  });

  it('stopJobRun stops a running run and reports it replaced', async () => {
    const rt = local.start();
    await rt.converge(cron(`setInterval(() => {}, 1000)`), noop);
    await rt.startJobRun!('shop', 'dev', 'report', 'r1');
    await waitFor(() => runs() === 1);
    await rt.stopJobRun!('shop', 'dev', 'report', 'r1');
    expect((await rt.jobRuns!('shop', 'dev', 'report'))[0]).toMatchObject({
      runId: 'r1',
      phase: 'failed',
      reason: 'replaced by a newer run',
      reasonMessage: { code: 'job.replaced', params: {}, text: 'replaced by a newer run' },
    });
  });
});
