import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { announceOutcome } from '../../../functions/reconcile/announce-outcome';
import { buildReplayPlan } from '../../../functions/reconcile/plan-replays';
import { requestedWindow } from '../../../functions/reconcile/reconcile-request';
import { reconcile } from '../../../functions/reconcile/reconciliation';
import type { CanonicalEvent } from '../../../functions/shared/events/envelope';
import { stageMetrics } from '../../../functions/shared/observability/powertools-business-metrics';
import { captureEmf } from '../../support/emf';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);

/** A report with 12 mismatches: orders the ERP never booked. */
function reportWithUnbookedOrders(count: number) {
  const report = reconcile({
    id: 'rec-7',
    window: { from: new Date('2026-11-27T00:00:00Z'), to: new Date('2026-11-28T00:00:00Z') },
    ranAt: new Date('2026-11-28T03:00:00Z'),
    allowedLagMs: 0,
    saas: Array.from({ length: count }, (_, index) => ({
      entity: 'order' as const,
      key: String(index).padStart(3, '0'),
      status: 'OPEN' as const,
      time: '2026-11-27T10:00:00.000Z',
      correlationId: `c-${index}`,
      eventIds: [`e-${index}`],
    })),
    erp: [],
    warehouse: [],
  });
  return { report, plan: buildReplayPlan(report, () => [], new Date('2026-11-28T03:00:00Z')) };
}

function dependencies(published: CanonicalEvent[], maxExceptionMessages = 1000) {
  return {
    s3: new S3Client({}),
    sqs: new SQSClient({}),
    metrics: stageMetrics({ stage: 'prod', serviceName: 'reconcile' }),
    publish: async (events: readonly CanonicalEvent[]) => {
      published.push(...events);
    },
    resultsBucket: 'warehouse',
    exceptionsQueueUrl: 'https://sqs/exceptions',
    sourceUri: 'concord://reconcile',
    maxExceptionMessages,
  };
}

beforeEach(() => {
  s3.reset();
  sqs.reset();
  s3.on(PutObjectCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => jest.restoreAllMocks());

describe('announceOutcome', () => {
  it('keeps the report and the plan, announces a valid completion event and queues each mismatch ten at a time', async () => {
    const { report, plan } = reportWithUnbookedOrders(12);
    const published: CanonicalEvent[] = [];

    const kept = await announceOutcome(dependencies(published), report, plan);

    expect(kept).toEqual({
      reportKey: 'reconciliations/2026-11-27/rec-7/report.json',
      planKey: 'reconciliations/2026-11-27/rec-7/plan.json',
      exceptionsSent: 12,
    });
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      kept.reportKey,
      kept.planKey,
    ]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: 'governance.reconciliation.completed.v1',
      subject: 'reconciliation/rec-7',
      data: {
        reconciliationId: 'rec-7',
        mismatchCount: 12,
        byClass: { missing_in_erp: 12 },
        plan: { republish: 12 },
      },
    });
    const batches = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(batches.map((entries) => entries.length)).toEqual([10, 2]);
    expect(JSON.parse(batches[0]?.[0]?.MessageBody ?? '{}')).toMatchObject({
      kind: 'reconciliation-mismatch',
      reconciliationId: 'rec-7',
      remedy: 'republish',
      plan: kept.planKey,
      mismatch: { class: 'missing_in_erp', entity: 'order', key: '000' },
    });
  });

  it('counts the mismatches with the stage dimension, in total and per class, without Powertools’ service', async () => {
    // Prepare
    const { report, plan } = reportWithUnbookedOrders(3);
    const emf = captureEmf();
    // Act
    await announceOutcome(dependencies([]), report, plan);
    // Assess
    const counted = emf
      .metrics()
      .map(({ namespace, name, value, dimensions }) => ({ namespace, name, value, dimensions }));
    expect(counted.slice(0, 2)).toEqual([
      { namespace: 'Concord', name: 'ReconciliationMismatches', value: 3, dimensions: { stage: 'prod' } },
      {
        namespace: 'Concord',
        name: 'ReconciliationMismatches',
        value: 3,
        dimensions: { stage: 'prod', class: 'missing_in_erp' },
      },
    ]);
    // Every class is counted, zeros too, so that a class's graph shows a clean run as 0 rather than a gap.
    expect(counted.slice(1).map((metric) => metric.dimensions.class)).toEqual(Object.keys(report.byClass));
    expect(counted.filter((metric) => 'service' in metric.dimensions)).toEqual([]);
  });

  it('queues at most the configured number of mismatches in a flood; the report keeps them all', async () => {
    const { report, plan } = reportWithUnbookedOrders(25);
    const kept = await announceOutcome(dependencies([], 15), report, plan);
    expect(kept.exceptionsSent).toBe(15);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });

  it('fails loudly when the exceptions queue refuses a mismatch', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '3', SenderFault: false, Code: 'InternalError', Message: 'try again' }] });
    const { report, plan } = reportWithUnbookedOrders(4);
    await expect(announceOutcome(dependencies([]), report, plan)).rejects.toThrow(
      'the exceptions queue refused 1 mismatch(es): try again',
    );
  });
});

describe('the window a Reconcile request names', () => {
  const now = new Date('2026-11-28T03:00:07Z');

  it('is the UTC day before a scheduled run fired', () => {
    expect(requestedWindow({ 'detail-type': 'Scheduled Event', time: '2026-11-28T03:00:00Z' }, now)).toEqual({
      from: new Date('2026-11-27T00:00:00Z'),
      to: new Date('2026-11-28T00:00:00Z'),
    });
  });

  it('is the day or the span an operator asks for, and a clear refusal otherwise', () => {
    expect(requestedWindow({ date: '2026-11-20' }, now).from).toEqual(new Date('2026-11-20T00:00:00Z'));
    expect(requestedWindow({ since: '2h' }, now)).toEqual({
      from: new Date('2026-11-28T01:00:07Z'),
      to: now,
    });
    expect(() => requestedWindow({ date: '20-11-2026' }, now)).toThrow('is not a day such as 2026-11-27');
    expect(() => requestedWindow({}, now)).toThrow('which window?');
  });
});
