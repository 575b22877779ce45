/** How the alerts page shows states and values. */
import type { AlertView } from '../api/types';

export const PHASE_COLORS: Record<AlertView['phase'], string> = {
  inactive: 'default',
  pending: 'warning',
  firing: 'error',
  resolved: 'success',
};

/** A measured value as people read it: at most three decimals. */
export function formatValue(v: number | undefined): string {
  return v === undefined ? '–' : String(Math.round(v * 1000) / 1000);
}
