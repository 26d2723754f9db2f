/** What one item write-back batch counts for: changes in, coalesced, written, dead-lettered, the platform's 429s and the stock lag. */
import {
  itemWriteBackFlow,
  type MetricPoint,
  metricPoint,
} from '../../shared/observability/business-metrics';
import type { ItemWriteBackResult } from './item-write-back';

/** One batch as the handler saw it: the changes it read, what accepting and flushing came to, the platform's 429s. */
export interface ItemWriteBackBatch {
  /** Stock and price changes read from the queue (flush requests and unreadable messages are not changes). */
  received: number;
  accepted: ItemWriteBackResult;
  flushed: ItemWriteBackResult;
  /** 429 answers the platform gave during the batch. */
  throttled: number;
}

/**
 * The batch's points, all under `flow` item-write-back: a count only when it is not zero (an idle flush says
 * nothing), and one StockWrittenLatency value per stock level written.
 */
export function itemWriteBackMetrics(batch: ItemWriteBackBatch): MetricPoint[] {
  const flow = { flow: itemWriteBackFlow };
  const { accepted, flushed } = batch;
  const counts = [
    metricPoint('ItemChangesReceived', flow, batch.received),
    metricPoint('ItemChangesCoalesced', flow, accepted.stale + flushed.stale),
    metricPoint('ItemWritesApplied', flow, accepted.written + flushed.written),
    metricPoint('ItemWritesDeadLettered', flow, accepted.deadLettered + flushed.deadLettered),
    metricPoint('PlatformThrottled', flow, batch.throttled),
  ].filter((point) => point.value > 0);
  const lags = [...accepted.stockLagMs, ...flushed.stockLagMs].map((lagMs) =>
    metricPoint('StockWrittenLatency', flow, lagMs),
  );
  return [...counts, ...lags];
}
