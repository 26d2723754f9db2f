/**
 * The AWS/ApiGateway metrics CloudWatch keeps for an HTTP API (Count, 4xx, 5xx, Latency per ApiId), counted in memory
 * as answers are sent and published once per evaluation, so that the API 5xx alarm works locally.
 */
import { aggregateOf, type CloudWatchService } from './cloudwatch-service';

interface Counts {
  clientErrors: number[];
  serverErrors: number[];
  latenciesMs: number[];
}

/** Counts HTTP API answers per API until they are published. */
export class ApiMetrics {
  private counts = new Map<string, Counts>();

  /** Records one answer: its status and how long the API took to send it. */
  count(apiId: string, status: number, latencyMs: number): void {
    let counts = this.counts.get(apiId);
    if (!counts) {
      counts = { clientErrors: [], serverErrors: [], latenciesMs: [] };
      this.counts.set(apiId, counts);
    }
    // Every request counts 0 or 1 in 4xx and 5xx, as API Gateway publishes them (their Average is the error rate).
    counts.clientErrors.push(status >= 400 && status < 500 ? 1 : 0);
    counts.serverErrors.push(status >= 500 ? 1 : 0);
    counts.latenciesMs.push(latencyMs);
  }

  /** Writes what was counted as datapoints at `nowMs` and starts counting afresh. */
  publish(cloudwatch: Pick<CloudWatchService, 'record'>, nowMs: number): void {
    const counted = this.counts;
    this.counts = new Map();
    for (const [apiId, { clientErrors, serverErrors, latenciesMs }] of counted) {
      const dimensions = [{ Name: 'ApiId', Value: apiId }];
      const record = (metric: string, values: number[], unit: string) =>
        cloudwatch.record('AWS/ApiGateway', metric, dimensions, nowMs, aggregateOf(values), unit);
      record(
        'Count',
        clientErrors.map(() => 1),
        'Count',
      );
      record('4xx', clientErrors, 'Count');
      record('5xx', serverErrors, 'Count');
      record('Latency', latenciesMs, 'Milliseconds');
    }
  }
}
