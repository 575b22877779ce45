/** 指标页面（console/src/metrics/）的简体中文文本：zh-CN.ts 的 `metrics`。 */
import type { enMetrics } from './enMetrics';

export const zhMetrics: typeof enMetrics = {
  title: '{{app}} 在 {{env}} 的指标',
  allServices: '全部服务',
  empty: '此时间范围内还没有采样：控制平面每 10 秒采样一次',
  markersHelp: '竖线：发布（部署为蓝色，回滚为橙色，中止为红色）',
  marker: '版本 {{revision}} {{kind}}',
  kind: { deploy: '部署', rollback: '回滚', abort: '中止' },
  range: { '1h': '1 小时', '6h': '6 小时', '24h': '24 小时', '7d': '7 天', '30d': '30 天' },
  chart: {
    rps: '每秒请求数',
    errorRate: '错误率（状态码 ≥ 500）',
    latency: '延迟',
    cpu: '处理器',
    memory: '内存',
    restarts: '重启次数',
    replicas: '副本',
  },
  series: {
    requests: '请求数',
    rps: '请求/秒',
    errors: '错误数',
    errorRate: '错误率',
    p50: 'p50',
    p99: 'p99',
    cpu: '处理器',
    memory: '内存',
    restarts: '重启次数',
    ready: '就绪',
    desired: '期望',
  },
  unit: { perSecond: '{{v}}/秒', percent: '{{v}}%', ms: '{{v}} 毫秒', mib: '{{v}} MiB' },
};
