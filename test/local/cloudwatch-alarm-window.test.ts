import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalClock } from '../../local/clock';
import { aggregateOf, CloudWatchService } from '../../local/services/cloudwatch/cloudwatch-service';
import type { LocalEnvironment } from '../../local/services/local-environment';
import { DurableStore } from '../../local/store/durable-store';
import { UsageMeter } from '../../local/usage/usage-meter';

/** A clock that stands still, so that a datapoint and the evaluation share one millisecond. */
class FrozenClock extends LocalClock {
  constructor(private readonly atMs: number) {
    super();
  }
  override now(): number {
    return this.atMs;
  }
}

describe('CloudWatchService alarm evaluation', () => {
  const nowMs = Date.UTC(2026, 10, 30, 3, 0, 0);
  let dataDir: string;
  let store: DurableStore;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'concord-cw-window-'));
    store = new DurableStore(dataDir);
  });

  afterEach(() => {
    store.db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function cloudwatchAt(atMs: number): CloudWatchService {
    const env: LocalEnvironment = {
      accountId: '000000000000',
      region: 'us-east-1',
      usage: new UsageMeter(),
      edgeUrl: () => 'http://127.0.0.1:4566',
    };
    const service = new CloudWatchService(store, new FrozenClock(atMs), env);
    service.putMetricAlarm({
      AlarmName: 'fails-errors',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: 'fails' }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    return service;
  }

  it('counts a datapoint published at the very millisecond of the evaluation (service metrics are)', () => {
    // Prepare
    const cloudwatch = cloudwatchAt(nowMs);
    const dimensions = [{ Name: 'FunctionName', Value: 'fails' }];
    cloudwatch.record('AWS/Lambda', 'Errors', dimensions, nowMs, aggregateOf([0, 1]), 'Count');
    // Act
    cloudwatch.evaluateAlarms();
    // Assess
    expect(store.getResource<{ StateValue: string }>('cloudwatch-alarm', 'fails-errors')?.StateValue).toBe(
      'ALARM',
    );
  });

  it('leaves a datapoint one whole period old to the evaluation before', () => {
    // Prepare
    const cloudwatch = cloudwatchAt(nowMs);
    const dimensions = [{ Name: 'FunctionName', Value: 'fails' }];
    cloudwatch.record('AWS/Lambda', 'Errors', dimensions, nowMs - 60_000, aggregateOf([1]), 'Count');
    // Act
    cloudwatch.evaluateAlarms();
    // Assess
    expect(store.getResource<{ StateValue: string }>('cloudwatch-alarm', 'fails-errors')?.StateValue).toBe(
      'OK',
    );
  });
});
