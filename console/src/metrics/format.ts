/** A metric's value in its unit, in the console's language (1.2/s, 3.4%, 12 ms, 48 MiB). */
import type { TFunction } from 'i18next';

/** `v` with `digits` decimals, two more below 1 (an axis of 0.05% steps keeps them apart), zeros dropped. */
const round = (v: number, digits: number): string => String(Number(v.toFixed(Math.abs(v) < 1 ? digits + 2 : digits)));

export function formatMetric(t: TFunction, v: number, unit: string): string {
  switch (unit) {
    case '1/s':
      return t('metrics.unit.perSecond', { v: round(v, 2) });
    case 'ratio':
      return t('metrics.unit.percent', { v: round(v * 100, 1) });
    case 'percent':
      return t('metrics.unit.percent', { v: round(v, 1) });
    case 'ms':
      return t('metrics.unit.ms', { v: round(v, 1) });
    case 'bytes':
      return t('metrics.unit.mib', { v: round(v / (1 << 20), 1) });
    default:
      return round(v, 2);
  }
}
