/** The filter options `concord dlq show` and `concord replay` share. */
import type { DeadLetterFilter } from '../functions/replay/dead-letters';
import { parseTimeBound } from '../functions/shared/ops/time-window';

export const filterOptions = {
  type: { type: 'string' },
  source: { type: 'string' },
  error: { type: 'string' },
  entity: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  max: { type: 'string' },
} as const;

export const filterOptionsHelp = `  --type T       event type, exact or a prefix with * (commerce.order.*)
  --source S      source URI or platform (shopify)
  --error CODE    error code (ErpUnavailableError, ForeignFieldRefused, …)
  --entity E      entity (order/5820741173332)
  --since T       messages that failed since T: a duration (15m, 2h, 3d) or an ISO timestamp
  --until T       … until T
  --max N         at most N messages`;

export function filterFrom(values: {
  type?: string;
  source?: string;
  error?: string;
  entity?: string;
  since?: string;
  until?: string;
}): DeadLetterFilter {
  return {
    ...(values.type ? { type: values.type } : {}),
    ...(values.source ? { source: values.source } : {}),
    ...(values.error ? { error: values.error } : {}),
    ...(values.entity ? { entity: values.entity } : {}),
    ...(values.since ? { since: parseTimeBound(values.since) } : {}),
    ...(values.until ? { until: parseTimeBound(values.until) } : {}),
  };
}

export function maxFrom(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const max = Number(value);
  if (!Number.isInteger(max) || max < 1) throw new Error(`--max must be a positive integer, not "${value}"`);
  return max;
}
