/**
 * The AWS/Lambda metrics CloudWatch keeps for every function (Invocations, Errors, Throttles, Duration), counted in
 * memory as invocations end and published once per evaluation: one row per function and metric per local minute,
 * not one per invocation, so that a busy runtime does not pay a store write for each.
 */
import type { InvocationOutcome } from '../lambda/lambda-service';
import { aggregateOf, type CloudWatchService } from './cloudwatch-service';

interface Counts {
  /** One value per invocation: 1 if it failed, else 0 (AWS publishes Errors for every invocation). */
  errors: number[];
  throttles: number;
  durationsMs: number[];
}

/** Counts invocations per function until they are published. */
export class LambdaMetrics {
  private counts = new Map<string, Counts>();

  /** Records one invocation's outcome. */
  count(functionName: string, outcome: InvocationOutcome): void {
    let counts = this.counts.get(functionName);
    if (!counts) {
      counts = { errors: [], throttles: 0, durationsMs: [] };
      this.counts.set(functionName, counts);
    }
    if (outcome === 'throttled') counts.throttles += 1;
    else {
      counts.errors.push(outcome.error ? 1 : 0);
      counts.durationsMs.push(outcome.durationMs);
    }
  }

  /** Writes what was counted as datapoints at `nowMs` and starts counting afresh. */
  publish(cloudwatch: Pick<CloudWatchService, 'record'>, nowMs: number): void {
    const counted = this.counts;
    this.counts = new Map();
    for (const [functionName, { errors, throttles, durationsMs }] of counted) {
      const dimensions = [{ Name: 'FunctionName', Value: functionName }];
      if (errors.length > 0) {
        cloudwatch.record(
          'AWS/Lambda',
          'Invocations',
          dimensions,
          nowMs,
          aggregateOf(errors.map(() => 1)),
          'Count',
        );
        cloudwatch.record('AWS/Lambda', 'Errors', dimensions, nowMs, aggregateOf(errors), 'Count');
        cloudwatch.record(
          'AWS/Lambda',
          'Duration',
          dimensions,
          nowMs,
          aggregateOf(durationsMs),
          'Milliseconds',
        );
      }
      if (throttles > 0)
        cloudwatch.record(
          'AWS/Lambda',
          'Throttles',
          dimensions,
          nowMs,
          aggregateOf(new Array(throttles).fill(1)),
          'Count',
        );
    }
  }
}
