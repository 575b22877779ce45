/** A traffic policy at a glance: one tag per part (rate limit, timeout, retries, circuit breaker, fallback). */
import { Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { TrafficPolicy } from '../api/types';
import { formatDuration } from '../../../src/model/durations.js';

export function PolicySummary({ policy }: { policy: TrafficPolicy | null }) {
  const { t } = useTranslation();
  if (!policy || Object.keys(policy).length === 0)
    return <Typography.Text type="secondary">{t('policies.none')}</Typography.Text>;
  const c = policy.circuitBreaker;
  const opensOn = c
    ? [
        c.consecutiveFailures === undefined ? '' : t('policies.inARow', { count: c.consecutiveFailures }),
        c.errorRate === undefined ? '' : t('policies.errorRate', { percent: Math.round(c.errorRate * 1000) / 10 }),
      ]
        .filter(Boolean)
        .join(t('policies.or'))
    : '';
  return (
    <Space size={[0, 4]} wrap data-policy-summary>
      {policy.rateLimit ? (
        <Tag color="blue" data-part="rateLimit">
          {t('policies.rateLimit', { rps: policy.rateLimit.requestsPerSecond, burst: policy.rateLimit.burst })}
        </Tag>
      ) : null}
      {policy.timeoutMs !== undefined ? (
        <Tag data-part="timeout">{t('policies.timeout', { timeout: formatDuration(policy.timeoutMs) })}</Tag>
      ) : null}
      {policy.retries ? (
        <Tag data-part="retries">
          {t('policies.retries', { attempts: policy.retries.attempts, statuses: policy.retries.onStatus.join('/') })}
        </Tag>
      ) : null}
      {c ? (
        <Tag color="orange" data-part="circuitBreaker">
          {t('policies.circuitBreaker', { when: opensOn, openFor: formatDuration(c.openMs) })}
        </Tag>
      ) : null}
      {policy.fallback ? (
        <Tag data-part="fallback">{t('policies.fallback', { status: policy.fallback.status })}</Tag>
      ) : null}
    </Space>
  );
}
