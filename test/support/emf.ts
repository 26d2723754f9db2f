/** Captures the EMF documents Powertools Metrics writes to stdout, and reads each metric out of them. */

/** One metric as CloudWatch would extract it from an EMF document. */
export interface EmfMetric {
  namespace: string;
  name: string;
  unit: string;
  value: unknown;
  /** The dimension names of the document's (single) dimension set, in order. */
  dimensionNames: string[];
  dimensions: Record<string, unknown>;
}

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

/** Spies on stdout (silencing it); `documents()` answers every EMF document written since, `metrics()` each metric in them. */
export function captureEmf() {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  });
  const documents = (): EmfDocument[] =>
    lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as EmfDocument);
  const metrics = (): EmfMetric[] =>
    documents().flatMap((document) =>
      document._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Metrics.map((metric) => {
          const dimensionNames = directive.Dimensions.flat();
          return {
            namespace: directive.Namespace,
            name: metric.Name,
            unit: metric.Unit,
            value: document[metric.Name],
            dimensionNames,
            dimensions: Object.fromEntries(dimensionNames.map((name) => [name, document[name]])),
          };
        }),
      ),
    );
  return { lines, documents, metrics, restore: () => spy.mockRestore() };
}

/** The only dimensions a business metric may carry: each has a small fixed set of values. */
export const lowCardinalityDimensions = ['stage', 'source', 'flow', 'outcome', 'queue', 'reason', 'status'];

/** Asserts every metric carries only low-cardinality dimensions, none of them valued with an id of the transaction. */
export function expectLowCardinality(metrics: readonly EmfMetric[], ids: readonly string[]): void {
  for (const metric of metrics) {
    expect(lowCardinalityDimensions).toEqual(expect.arrayContaining(metric.dimensionNames));
    for (const value of Object.values(metric.dimensions))
      for (const id of ids) expect(String(value)).not.toContain(id);
  }
}
