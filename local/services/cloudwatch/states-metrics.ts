/**
 * The AWS/States execution metrics CloudWatch keeps for every state machine (ExecutionsStarted, ExecutionsSucceeded,
 * ExecutionsFailed, ExecutionsAborted, ExecutionsTimedOut, ExecutionTime), counted in memory as executions start and
 * end and published once per evaluation, so that the failed and timed-out execution alarms work locally.
 */
import { aggregateOf, type CloudWatchService } from './cloudwatch-service';

/** How an execution ended, as DescribeExecution reports it. */
export type ExecutionEndStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** The metric each end status counts in (AWS publishes one per closed execution). */
const endMetrics: Record<ExecutionEndStatus, string> = {
  SUCCEEDED: 'ExecutionsSucceeded',
  FAILED: 'ExecutionsFailed',
  ABORTED: 'ExecutionsAborted',
  TIMED_OUT: 'ExecutionsTimedOut',
};

interface Counts {
  started: number;
  ended: Map<ExecutionEndStatus, number>;
  executionTimesMs: number[];
}

/**
 * Counts executions per state machine until they are published. The local runtime never throttles executions,
 * so ExecutionThrottled, which AWS publishes only when it does, never appears.
 */
export class StatesMetrics {
  private counts = new Map<string, Counts>();

  private countsOf(stateMachineArn: string): Counts {
    let counts = this.counts.get(stateMachineArn);
    if (!counts) {
      counts = { started: 0, ended: new Map(), executionTimesMs: [] };
      this.counts.set(stateMachineArn, counts);
    }
    return counts;
  }

  /** Records a new execution (not one resumed after a restart: AWS counted it when it started). */
  started(stateMachineArn: string): void {
    this.countsOf(stateMachineArn).started += 1;
  }

  /** Records a closed execution: its end status and the time from its start to its close. */
  ended(stateMachineArn: string, status: ExecutionEndStatus, executionTimeMs: number): void {
    const counts = this.countsOf(stateMachineArn);
    counts.ended.set(status, (counts.ended.get(status) ?? 0) + 1);
    counts.executionTimesMs.push(executionTimeMs);
  }

  /** Writes what was counted as datapoints at `nowMs` and starts counting afresh. */
  publish(cloudwatch: Pick<CloudWatchService, 'record'>, nowMs: number): void {
    const counted = this.counts;
    this.counts = new Map();
    for (const [stateMachineArn, { started, ended, executionTimesMs }] of counted) {
      const dimensions = [{ Name: 'StateMachineArn', Value: stateMachineArn }];
      const count = (metric: string, times: number) =>
        cloudwatch.record(
          'AWS/States',
          metric,
          dimensions,
          nowMs,
          aggregateOf(new Array(times).fill(1)),
          'Count',
        );
      if (started > 0) count('ExecutionsStarted', started);
      for (const [status, times] of ended) count(endMetrics[status], times);
      if (executionTimesMs.length > 0)
        cloudwatch.record(
          'AWS/States',
          'ExecutionTime',
          dimensions,
          nowMs,
          aggregateOf(executionTimesMs),
          'Milliseconds',
        );
    }
  }
}
