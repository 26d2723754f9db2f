/** What governed replays count for, per dead-letter queue by its logical name: replayed, refused, parked. */
import { type MetricPoint, metricPoint, queueShortName } from '../shared/observability/business-metrics';
import type { ReplayResult } from './replay';

/**
 * A replay run: the letters it delivered (including those an interrupted run had delivered and this one deleted)
 * and those it selected but could not deliver. Zeros are counted too: a run that replayed nothing is a data point.
 */
export function replayRunMetrics(
  result: Pick<ReplayResult, 'queue' | 'published' | 'resumedDeletes' | 'failed' | 'notReplayable'>,
): MetricPoint[] {
  const queue = queueShortName(result.queue);
  return [
    metricPoint('MessagesReplayed', { queue }, result.published + result.resumedDeletes),
    metricPoint('MessagesRefused', { queue }, result.failed.length + result.notReplayable),
  ];
}

/** An edited letter replayed from its queue. */
export function editedReplayMetrics(queueUrl: string): MetricPoint[] {
  return [metricPoint('MessagesReplayed', { queue: queueShortName(queueUrl) })];
}

/** Letters parked from a queue. */
export function parkedMetrics(queueUrl: string, parked: number): MetricPoint[] {
  return parked > 0 ? [metricPoint('MessagesParked', { queue: queueShortName(queueUrl) }, parked)] : [];
}
