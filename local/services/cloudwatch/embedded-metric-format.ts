/** Embedded Metric Format: the metrics a log line declares under `_aws.CloudWatchMetrics`, as CloudWatch extracts them from Lambda logs. */

/** One datapoint an EMF document declares. */
export interface EmfDatapoint {
  namespace: string;
  metricName: string;
  dimensions: { Name: string; Value: string }[];
  timestampMs: number;
  values: number[];
  unit?: string;
}

interface EmfDirective {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

/** The JSON object of a log line, whether it stands alone or follows Lambda's tab-separated prefix. */
function jsonOf(line: string): Record<string, unknown> | undefined {
  const start = line.indexOf('{');
  if (start < 0 || !line.includes('_aws')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line.slice(start));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The datapoints of an EMF log line; none when the line is not an EMF document (or is malformed, which CloudWatch also drops). */
export function emfDatapoints(line: string): EmfDatapoint[] {
  const document = jsonOf(line);
  const aws = document?._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!document || !aws || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const timestampMs = typeof aws.Timestamp === 'number' ? aws.Timestamp : Date.now();
  const datapoints: EmfDatapoint[] = [];
  for (const directive of aws.CloudWatchMetrics as EmfDirective[]) {
    if (typeof directive?.Namespace !== 'string' || !Array.isArray(directive.Metrics)) continue;
    // Each dimension set is its own metric; an empty set (or none) publishes the metric without dimensions.
    const dimensionSets = Array.isArray(directive.Dimensions) ? (directive.Dimensions as unknown[]) : [[]];
    for (const metric of directive.Metrics as { Name?: unknown; Unit?: unknown }[]) {
      if (typeof metric?.Name !== 'string') continue;
      const raw = document[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (value): value is number => typeof value === 'number' && Number.isFinite(value),
      );
      if (values.length === 0) continue;
      for (const set of dimensionSets) {
        const names = Array.isArray(set) ? (set as unknown[]).filter((name) => typeof name === 'string') : [];
        datapoints.push({
          namespace: directive.Namespace,
          metricName: metric.Name,
          dimensions: (names as string[]).map((name) => ({
            Name: name,
            Value: String(document[name] ?? ''),
          })),
          timestampMs,
          values,
          ...(typeof metric.Unit === 'string' ? { unit: metric.Unit } : {}),
        });
      }
    }
  }
  return datapoints;
}
