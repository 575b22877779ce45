/**
 * A service's progressive delivery and traffic at a glance, for the services table: its tracks with
 * their live weights as bars, the running rollout's step, the circuit breaker when it is not closed,
 * and the autoscaler's view of each track.
 */
import { Progress, Space, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { CircuitStatus, Release, StepProgress, TrackAutoscale, TrafficSplit, Track } from '../api/types';
import { formatAgo, formatTime } from '../components/format';
import { reasonText } from '../components/reason';

/** The step progress of `service` in a release that is under way, if it rolls out progressively. */
export function rolloutOf(release: Release | null | undefined, service: string): StepProgress | undefined {
  if (!release || (release.status !== 'running' && release.status !== 'pending')) return undefined;
  return release.steps.find((s) => s.service === service && s.status === 'running')?.progress;
}

/** Each track with ready/desired replicas and its share of traffic as a small bar; `stable` alone when there is one. */
export function TracksCell({ tracks, traffic }: { tracks: Track[] | undefined; traffic?: TrafficSplit | undefined }) {
  const { t } = useTranslation();
  if (!tracks || tracks.length === 0)
    return <Typography.Text type="secondary">{t('services.stableTrack')}</Typography.Text>;
  const match = traffic?.match;
  return (
    <Space orientation="vertical" size={0} style={{ minWidth: 180 }}>
      {tracks.map((tr) => (
        <span key={tr.track} data-track={tr.track} data-weight={tr.weight} style={{ display: 'flex', gap: 6 }}>
          <Tag color={tr.track === 'stable' ? 'blue' : 'gold'} style={{ minWidth: 56, textAlign: 'center' }}>
            {t(`services.track.${tr.track}`)}
          </Tag>
          <span data-track-ready={tr.track}>{`${tr.readyReplicas}/${tr.desiredReplicas}`}</span>
          <Tooltip title={t('services.weight', { weight: tr.weight })}>
            <Progress
              percent={tr.weight}
              size={{ width: 80, height: 6 }}
              strokeColor={tr.track === 'stable' ? '#1677ff' : '#faad14'}
              format={(p) => `${p ?? 0}%`}
              style={{ margin: 0, width: 130 }}
            />
          </Tooltip>
        </span>
      ))}
      {match ? (
        <Typography.Text type="secondary" data-match>
          {'header' in match
            ? t('services.matchHeader', { name: match.header, value: match.value })
            : t('services.matchCookie', { name: match.cookie, value: match.value })}
        </Typography.Text>
      ) : null}
    </Space>
  );
}

/** `canary step 2/3: waiting for promote`; the phase is the control plane's, translated from its code. */
export function RolloutStep({ progress }: { progress: StepProgress | undefined }) {
  const { t } = useTranslation();
  if (!progress) return null;
  const strategy = t(`services.strategy.${progress.strategy}`);
  const phase = reasonText(t, progress.phaseMessage, progress.phase);
  const check = progress.checks?.at(-1);
  return (
    <>
      <Tag color="processing" data-rollout>
        {progress.step >= progress.of
          ? t('services.rolloutFinal', { strategy, phase })
          : t('services.rolloutStep', { strategy, step: progress.step + 1, of: progress.of, phase })}
      </Tag>
      {check ? (
        <Tooltip title={reasonText(t, check.messageDetail, check.message)}>
          <Typography.Text
            type={check.verdict === 'fail' ? 'danger' : 'secondary'}
            style={{ display: 'block' }}
            data-check={check.verdict}
          >
            {t('services.lastCheck', {
              verdict: t(`services.verdict.${check.verdict}`),
              requests: check.requests,
              errors: check.errors,
              rate: (check.errorRate * 100).toFixed(1),
              p99: check.p99Ms === undefined ? '-' : Math.round(check.p99Ms),
            })}
          </Typography.Text>
        </Tooltip>
      ) : null}
    </>
  );
}

/** The circuit breaker's state as a tag, only when it is open or half-open. */
export function CircuitTag({ circuit }: { circuit: CircuitStatus | undefined }) {
  const { t, i18n } = useTranslation();
  if (!circuit || circuit.state === 'closed') return null;
  // A route's breaker: its label stays as it is, the reason is translated.
  const reason = circuit.reasonMessage
    ? `${circuit.route ? `${circuit.route}: ` : ''}${reasonText(t, circuit.reasonMessage, circuit.reasonMessage.text)}`
    : circuit.reason;
  const why = [
    reason,
    circuit.openedAt ? t('services.openedAt', { time: formatTime(circuit.openedAt, i18n.language) }) : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <Tooltip title={why || undefined}>
      <Tag color={circuit.state === 'open' ? 'red' : 'orange'} data-circuit={circuit.state}>
        {t(`services.circuit.${circuit.state}`)}
      </Tag>
    </Tooltip>
  );
}

/** Per autoscaled track: replicas now (min–max), metrics against targets, and the last scale. */
export function AutoscaleCell({ tracks }: { tracks: TrackAutoscale[] }) {
  const { t, i18n } = useTranslation();
  if (tracks.length === 0) return <Typography.Text type="secondary">{t('services.noAutoscale')}</Typography.Text>;
  return (
    <Space orientation="vertical" size={0}>
      {tracks.map((a) => {
        const last = a.events.at(-1);
        const metrics = a.metrics
          .map((m) => `${m.name} ${m.current === undefined ? '?' : Math.round(m.current * 10) / 10}/${m.target}`)
          .join(', ');
        return (
          <span key={a.track} data-autoscale={a.track}>
            <Tooltip
              title={
                [metrics, reasonText(t, a.reasonMessage, a.reason), a.error].filter(Boolean).join(' · ') || undefined
              }
            >
              <span>
                {tracks.length > 1 ? <Tag>{t(`services.track.${a.track}`)}</Tag> : null}
                {t('services.autoscaleRange', { current: a.currentReplicas, min: a.minReplicas, max: a.maxReplicas })}
              </span>
            </Tooltip>
            {last ? (
              <Typography.Text type="secondary" style={{ display: 'block' }}>
                {t('services.lastScale', {
                  from: last.from,
                  to: last.to,
                  ago: formatAgo(last.time, i18n.language),
                  reason: reasonText(t, last.reasonMessage, last.reason),
                })}
              </Typography.Text>
            ) : null}
            {a.error ? <Typography.Text type="danger">{a.error}</Typography.Text> : null}
          </span>
        );
      })}
    </Space>
  );
}
