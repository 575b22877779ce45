import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Release, TrackAutoscale } from '../api/types';
import { App } from '../App';
import { AutoscaleCell, CircuitTag, RolloutStep, TracksCell, rolloutOf } from './Rollout';

const running = {
  revision: 4,
  status: 'running',
  steps: [
    { service: 'db', level: 0, status: 'succeeded', message: null, startedAt: null, finishedAt: null },
    {
      service: 'api',
      level: 1,
      status: 'running',
      message: null,
      startedAt: null,
      finishedAt: null,
      progress: {
        strategy: 'canary',
        step: 1,
        of: 3,
        weight: 50,
        phase: 'waiting for promote',
        stepStartedAt: '2025-01-01T00:00:00Z',
      },
    },
  ],
} as Release;

describe('rollout cells', () => {
  it('shows each track with ready/desired and its weight as a bar', () => {
    render(
      <App>
        <TracksCell
          tracks={[
            { track: 'stable', readyReplicas: 2, desiredReplicas: 2, weight: 50 },
            { track: 'canary', readyReplicas: 1, desiredReplicas: 1, weight: 50 },
          ]}
          traffic={{ canaryWeight: 50, match: { header: 'x-canary', value: 'yes' } }}
        />
      </App>,
    );
    const canary = document.querySelector('[data-track="canary"]')!;
    expect(canary.getAttribute('data-weight')).toBe('50');
    expect(canary.textContent).toContain('1/1');
    expect(canary.querySelector('.ant-progress')).not.toBeNull();
    expect(canary.textContent).toContain('50%');
    expect(screen.getByText('always canary: header x-canary: yes')).toBeTruthy();
  });

  it('says stable when a service runs one track', () => {
    render(<TracksCell tracks={undefined} />);
    expect(screen.getByText('stable')).toBeTruthy();
  });

  it('finds the step of a running progressive rollout, and nothing once the release has finished', () => {
    expect(rolloutOf(running, 'api')?.phase).toBe('waiting for promote');
    expect(rolloutOf(running, 'db')).toBeUndefined();
    expect(rolloutOf({ ...running, status: 'succeeded' }, 'api')).toBeUndefined();
    render(<RolloutStep progress={rolloutOf(running, 'api')} />);
    expect(screen.getByText('canary step 2/3: waiting for promote')).toBeTruthy();
  });

  it("shows the rollout's latest analysis check with its numbers: a step waiting for requests", () => {
    const progress = {
      ...rolloutOf(running, 'api')!,
      phase: 'waiting: 3 requests < minRequests 20',
      checks: [
        {
          at: '2025-01-01T00:00:05Z',
          step: 1,
          weight: 50,
          scope: 'step' as const,
          verdict: 'inconclusive' as const,
          requests: 3,
          errors: 1,
          errorRate: 1 / 3,
          message: '3 requests < minRequests 20 (3 requests, 1 errors (33.3%)): no verdict',
          repeats: 4,
        },
      ],
    };
    render(<RolloutStep progress={progress} />);
    expect(screen.getByText('canary step 2/3: waiting: 3 requests < minRequests 20')).toBeTruthy();
    const check = document.querySelector('[data-check]')!;
    expect(check.getAttribute('data-check')).toBe('inconclusive');
    expect(check.textContent).toBe('Last check: not enough requests · 3 requests, 1 errors (33.3%), p99 - ms');
  });

  it('shows the circuit only when it is not closed', () => {
    const { container, rerender } = render(<CircuitTag circuit={{ state: 'closed' }} />);
    expect(container.textContent).toBe('');
    rerender(<CircuitTag circuit={{ state: 'open', reason: '5 failures in a row' }} />);
    expect(screen.getByText('circuit open').getAttribute('data-circuit')).toBe('open');
    rerender(<CircuitTag circuit={{ state: 'halfOpen' }} />);
    expect(screen.getByText('circuit half-open')).toBeTruthy();
  });

  it('shows autoscaling per track: replicas, bounds and the last scale', () => {
    const a: TrackAutoscale = {
      app: 'shop',
      env: 'local',
      service: 'api',
      track: 'stable',
      revision: 3,
      minReplicas: 1,
      maxReplicas: 4,
      syncPeriodMs: 15_000,
      currentReplicas: 3,
      desiredReplicas: 3,
      readyReplicas: 3,
      metrics: [{ name: 'requestsPerSecond', target: 20, current: 31.26 }],
      reason: 'requestsPerSecond above target',
      events: [
        {
          time: new Date().toISOString(),
          app: 'shop',
          env: 'local',
          service: 'api',
          track: 'stable',
          from: 1,
          to: 3,
          reason: 'requestsPerSecond above target',
        },
      ],
    };
    render(<AutoscaleCell tracks={[a]} />);
    const cell = document.querySelector('[data-autoscale="stable"]')!;
    expect(cell.textContent).toContain('3 (min 1, max 4)');
    expect(cell.textContent).toMatch(/scaled 1→3 .*: requestsPerSecond above target/);
  });
});
