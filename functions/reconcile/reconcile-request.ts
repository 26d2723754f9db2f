/** What the Reconcile function is asked: its schedule's event, or an operator's window. */
import { namedWindow } from '../shared/ops/time-window';

export interface ReconcileRequest {
  date?: string;
  since?: string;
  until?: string;
  /** Set by EventBridge on a scheduled run. */
  'detail-type'?: string;
  time?: string;
}

/** The window a request names; a scheduled run reconciles the UTC day before it fired. */
export function requestedWindow(request: ReconcileRequest, now: Date): { from: Date; to: Date } {
  if (request['detail-type'] !== 'Scheduled Event') return namedWindow(request, now);
  const fired = new Date(request.time ?? now.toISOString());
  const to = new Date(Date.UTC(fired.getUTCFullYear(), fired.getUTCMonth(), fired.getUTCDate()));
  return { from: new Date(to.getTime() - 86_400_000), to };
}
