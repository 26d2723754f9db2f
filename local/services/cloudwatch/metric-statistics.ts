/** CloudWatch statistics over the datapoints of one period: Sum, Average, Minimum, Maximum, SampleCount and pNN percentiles. */

/** The aggregate of the datapoints in one period, with the raw values kept for percentiles. */
export interface PeriodAggregate {
  sum: number;
  min: number;
  max: number;
  sampleCount: number;
  /** Every raw value (a pre-aggregated StatisticSet brings none): percentiles are computed from these. */
  values: number[];
}

/** Raised for a statistic CloudWatch would refuse. */
export class UnsupportedStatisticError extends Error {
  override readonly name = 'UnsupportedStatisticError';
}

/** Whether a statistic name is one this runtime computes. */
export function isSupportedStatistic(stat: string): boolean {
  return (
    ['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount'].includes(stat) || percentileOf(stat) !== undefined
  );
}

function percentileOf(stat: string): number | undefined {
  const match = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  return match ? Number(match[1]) : undefined;
}

/**
 * The value of a statistic for one period, or undefined when the period has no datapoint (or, for a
 * percentile, no raw value). Percentiles use the nearest-rank method over the raw values, as a stand-in for
 * CloudWatch's own (unpublished) interpolation; they agree on the datasets tests and dashboards use.
 */
export function statisticValue(aggregate: PeriodAggregate, stat: string): number | undefined {
  if (aggregate.sampleCount === 0) return undefined;
  switch (stat) {
    case 'Sum':
      return aggregate.sum;
    case 'Average':
      return aggregate.sum / aggregate.sampleCount;
    case 'Minimum':
      return aggregate.min;
    case 'Maximum':
      return aggregate.max;
    case 'SampleCount':
      return aggregate.sampleCount;
  }
  const percentile = percentileOf(stat);
  if (percentile === undefined) throw new UnsupportedStatisticError(`Unsupported statistic ${stat}`);
  if (aggregate.values.length === 0) return undefined;
  const sorted = [...aggregate.values].sort((left, right) => left - right);
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1];
}
