/** The filter options `concord dlq show` and `concord replay` share. */
import { OperatorInputError } from './error-output';

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

export function maxFrom(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const max = Number(value);
  if (!Number.isInteger(max) || max < 1)
    throw new OperatorInputError(`--max must be a positive integer, not "${value}"`);
  return max;
}
