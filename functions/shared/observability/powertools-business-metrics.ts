/** The business-metrics port on Powertools Metrics: points kept during an invocation, published as EMF to stdout at its end. */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type BusinessMetrics, type MetricPoint, metricsNamespace } from './business-metrics';

/**
 * Powertools Metrics in namespace Concord whose one default dimension is `stage`: Powertools' own `service` dimension
 * is dropped, so that a metric has exactly the dimensions its alarms and the dashboard name. For a metric outside the
 * catalogue (the reconciliation's); the catalogue's go through `PowertoolsBusinessMetrics`.
 */
export function stageMetrics(options: { stage: string; serviceName: string }): Metrics {
  const metrics = new Metrics({ namespace: metricsNamespace, serviceName: options.serviceName });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ stage: options.stage });
  return metrics;
}

/** Below Powertools' 100 values of one metric (and 100 metrics) per document, at which it publishes on its own. */
const maxPointsPerDocument = 99;

/**
 * Keeps the points an invocation records and publishes them in `flush()`, one EMF document per dimension set
 * (Powertools gives one document one dimension set). Create one per container; call `flush()` in the handler's
 * `finally`, so a failed invocation still reports what it did.
 */
export class PowertoolsBusinessMetrics implements BusinessMetrics {
  readonly #metrics: Metrics;
  #points: MetricPoint[] = [];

  /** `stage` becomes the one default dimension; Powertools' own `service` dimension is dropped so that every metric has exactly the dimensions the catalogue names, which the alarms match. */
  constructor(options: { stage: string; serviceName: string }) {
    this.#metrics = stageMetrics(options);
  }

  record(...points: readonly MetricPoint[]): void {
    this.#points.push(...points);
  }

  /** Publishes and forgets the points recorded since the last flush; nothing at all (and no Powertools warning) when there are none. */
  flush(): void {
    const points = this.#points;
    this.#points = [];
    const byDimensions = new Map<string, MetricPoint[]>();
    for (const point of points) {
      const key = JSON.stringify(Object.entries(point.dimensions).sort(([a], [b]) => a.localeCompare(b)));
      byDimensions.set(key, [...(byDimensions.get(key) ?? []), point]);
    }
    for (const group of byDimensions.values()) {
      // Powertools publishes by itself at its 100th value of a metric and then forgets the dimensions, so the rest
      // would go out without them: each document takes fewer points than that.
      for (let start = 0; start < group.length; start += maxPointsPerDocument) {
        const chunk = group.slice(start, start + maxPointsPerDocument);
        const [first] = chunk;
        if (!first) continue;
        for (const [name, value] of Object.entries(first.dimensions)) this.#metrics.addDimension(name, value);
        for (const point of chunk) this.#metrics.addMetric(point.name, point.unit, point.value);
        this.#metrics.publishStoredMetrics();
      }
    }
  }
}
