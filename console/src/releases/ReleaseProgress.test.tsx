// A release's events and reason in the console's language: what the runtime found (a probe's
// finding, a job's exit) is a message inside the message, translated too; the OS's own words stay.
import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { message, said } from '../../../src/model/messages.js';
import type { Release, ReleaseEvent } from '../api/types';
import { App } from '../App';
import i18n from '../i18n';
import { ReleaseProgress } from './ReleaseProgress';

const at = '2026-03-01T10:00:00.000Z';
const event = (id: number, reason: string, m: ReturnType<typeof message>): ReleaseEvent => ({
  id,
  releaseId: 7,
  time: at,
  service: 'api',
  type: 'Warning',
  reason,
  ...said(m),
});

// As the local runtime makes them (probes.ts, replica.ts, exitReason.ts, jobRun.ts).
const refused = message('probe.httpError', { path: '/healthz', error: 'connect ECONNREFUSED 127.0.0.1:40123' });
const readiness = message('event.readinessFailed', { detail: refused });
const exit3 = message('exit.shortCode', { code: 3 });
const jobEnded = message('event.jobEnded', {
  replica: 'migrate-job01',
  result: message('job.failed', { reason: exit3, attempts: 2 }),
});
const backOff = message('event.backOff', {
  delay: '10s',
  reason: message('exit.withExcerpt', { how: exit3, excerpt: 'Error: relation "users" already exists' }),
});
const jobFailed = message('release.jobFailed', {
  service: 'migrate',
  attempts: 2,
  lastExit: exit3,
  logTail: 'connecting to db | relation "users" already exists',
});

const step = (m: ReturnType<typeof message>) => ({
  message: m.text,
  messageDetail: m,
  startedAt: at,
  finishedAt: at,
});

const release = {
  id: 7,
  app: 'shop',
  env: 'dev',
  revision: 7,
  kind: 'deploy',
  status: 'failed',
  reason: jobFailed.text,
  reasonMessage: jobFailed,
  steps: [
    { service: 'db', level: 0, status: 'succeeded', ...step(message('step.ready', { replicas: 2 })) },
    { service: 'migrate', level: 1, status: 'failed', ...step(jobFailed) },
  ],
  createdAt: at,
  startedAt: at,
  finishedAt: at,
} as unknown as Release;

/** Answers the release's event stream with these events, then the release. */
function streamOf(events: ReleaseEvent[]): void {
  const body = [
    ...events.map((e) => `event: event\ndata: ${JSON.stringify(e)}\n\n`),
    `event: release\ndata: ${JSON.stringify(release)}\n\n`,
  ].join('');
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })),
  );
}

const events = [
  event(1, 'Unhealthy', readiness),
  event(2, 'BackoffLimitExceeded', jobEnded),
  event(3, 'BackOff', backOff),
];

function eventTexts(): string[] {
  return [...document.querySelectorAll('[data-event-text]')].map((e) => e.textContent ?? '');
}

afterEach(async () => {
  vi.unstubAllGlobals();
  await i18n.changeLanguage('en');
});

describe('release progress in simplified Chinese', () => {
  it('shows a readiness failure, a failed job and a back-off in Chinese, the OS error as it is', async () => {
    await i18n.changeLanguage('zh-CN');
    streamOf(events);
    render(
      <App>
        <ReleaseProgress app="shop" env="dev" revision={7} />
      </App>,
    );
    expect(
      await screen.findByText('就绪探针失败：GET /healthz 失败：connect ECONNREFUSED 127.0.0.1:40123'),
    ).toBeTruthy();
    expect(eventTexts()).toEqual([
      '退避 10s 后重启失败的副本（退出码 3：Error: relation "users" already exists）',
      '任务 migrate-job01 失败：退出码 3（运行 2 次）',
      '就绪探针失败：GET /healthz 失败：connect ECONNREFUSED 127.0.0.1:40123',
    ]);
    // the release's reason, and the failed step's state
    expect(
      await screen.findAllByText(
        'migrate：任务在运行 2 次后失败；最后一次退出：退出码 3；日志末尾：connecting to db | relation "users" already exists',
      ),
    ).toHaveLength(2);
    // the events' reasons (tags) too: a job's BackoffLimitExceeded
    expect(screen.getByText('超过重试上限')).toBeTruthy();
    expect(document.body.textContent).not.toContain('BackoffLimitExceeded');
    // each step's state too
    expect(screen.getByText('2 个副本就绪')).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/readiness probe failed|exit code|back-off|job failed|\bready\b/);
  });

  it('in English says what the CLI prints', async () => {
    streamOf(events);
    render(
      <App>
        <ReleaseProgress app="shop" env="dev" revision={7} />
      </App>,
    );
    expect(await screen.findByText(readiness.text)).toBeTruthy();
    expect(screen.getByText('2 replica(s) ready')).toBeTruthy();
    expect(readiness.text).toBe('readiness probe failed: GET /healthz: connect ECONNREFUSED 127.0.0.1:40123');
    expect(backOff.text).toBe(
      'back-off 10s restarting failed replica (exit code 3: Error: relation "users" already exists)',
    );
    // (the console's English writes a count as "run(s)", as its other strings do)
    expect(eventTexts()).toEqual([backOff.text, 'job migrate-job01 failed: exit code 3 (2 run(s))', readiness.text]);
  });
});
