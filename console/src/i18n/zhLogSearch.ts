/** 简体中文: the logs page's tabs and its search (`logSearch` of zh-CN.ts); the same keys as enLogSearch.ts. */
import type { enLogSearch } from './enLogSearch';

export const zhLogSearch: typeof enLogSearch = {
  tabs: { tail: '实时日志', search: '搜索' },
  text: '行中的文字',
  service: '全部服务',
  replica: '全部副本',
  stream: '两种输出',
  level: '任意级别',
  levelAtLeast: '{{level}} 及以上',
  start: '开始时间',
  end: '结束时间',
  trace: '追踪 ID',
  search: '搜索',
  reset: '重置',
  found: '{{count}} 行，最早的在前',
  truncated: '只显示最新的 {{count}} 行：缩小搜索范围可看到更早的行。',
  none: '没有匹配的已索引日志行',
  toTrace: '追踪',
  toTraceTitle: '打开追踪 {{traceId}}',
  levels: { trace: '跟踪', debug: '调试', info: '信息', warn: '警告', error: '错误', fatal: '致命' },
};
