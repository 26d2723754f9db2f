import {
  BatchGetTracesCommand,
  GetTraceSummariesCommand,
  type Trace,
  XRayClient,
} from '@aws-sdk/client-xray';
import { mockClient } from 'aws-sdk-client-mock';
import {
  maxSummaryWindowMs,
  traceDocuments,
  withXRaySteps,
  workflowRuns,
  workflowsReadFromXRay,
  XRayFilterError,
  xrayFilterExpression,
  xrayTransaction,
} from '../../../cli/xray-trace';
import {
  bookedOrderTrace,
  executionArn,
  refusedOrderTrace,
  stateMachineName,
  traceId,
} from '../../fixtures/xray/order-to-cash-trace';

const xrayMock = mockClient(XRayClient);
const now = new Date('2024-11-29T18:00:00Z');
const ids = { correlationIds: ['01JDXK6TQ3M5V8N2P4R7S9W1Y3'], entities: ['order/5820741173332'] };

beforeEach(() => xrayMock.reset());

describe('xrayFilterExpression', () => {
  it('finds traces by correlation id, an order by its order id and any other entity by its business key', () => {
    // Act
    const filter = xrayFilterExpression({
      correlationIds: ['01JDX'],
      entities: ['order/42', 'payment/pi_"1'],
    });

    // Assess
    expect(filter).toBe(
      'annotation.correlationId = "01JDX" OR annotation.orderId = "42" OR annotation.businessKey = "payment/pi_\\"1"',
    );
  });

  it('rejects a transaction with no id to look up', () => {
    // Act / Assess
    expect(() => xrayFilterExpression({ correlationIds: [], entities: [] })).toThrow(XRayFilterError);
  });
});

describe('workflowRuns', () => {
  it('reads the states in the order they started, each with the annotated Lambda operation it invoked', () => {
    // Prepare
    const warnings: string[] = [];

    // Act
    const [run] = workflowRuns(traceId, traceDocuments(bookedOrderTrace(), warnings));

    // Assess
    expect(warnings).toEqual([]);
    expect(run).toMatchObject({ traceId, stateMachineName, executionArn, status: 'SUCCEEDED' });
    expect(run?.visits.map((visit) => visit.state)).toEqual([
      'Route',
      'Init',
      'Gate',
      'IsCurrent',
      'AdoptNewerState',
      'FindCustomer',
      'KnownCustomer',
      'CheckCredit',
      'CreditDecision',
      'Reserve',
      'CreateSalesOrder',
      'PostInvoice',
    ]);
    const operations = Object.fromEntries(
      (run?.visits ?? []).map((visit) => [visit.state, visit.operations.map((op) => op.operation)]),
    );
    expect(operations).toMatchObject({
      Route: [],
      Gate: ['gate'],
      CreateSalesOrder: ['createSalesOrder'],
      PostInvoice: ['postInvoice'],
    });
    expect(run?.visits.filter((visit) => visit.error !== undefined)).toEqual([]);
  });

  it("names a state's error by its exception and fails the run whose segment faulted", () => {
    // Act
    const [run] = workflowRuns(traceId, traceDocuments(refusedOrderTrace(), []));

    // Assess
    expect(run?.status).toBe('FAILED');
    const refused = run?.visits.find((visit) => visit.state === 'CreateSalesOrder');
    expect(refused).toMatchObject({ error: 'ErpRejectedError', cause: 'customer blocked' });
    expect(refused?.operations).toEqual([
      expect.objectContaining({ operation: 'createSalesOrder', error: 'ErpRejectedError' }),
    ]);
    expect(run?.visits.at(-1)).toMatchObject({ state: 'Rejected', error: 'Error' });
  });

  it('attaches a function segment to the state whose span holds it when its parent chain is not in the trace', () => {
    // Prepare
    const documents = traceDocuments(bookedOrderTrace(), []).filter(
      (document) => document.origin !== 'AWS::Lambda',
    );

    // Act
    const [run] = workflowRuns(traceId, documents);

    // Assess
    expect(run?.visits.find((visit) => visit.state === 'Reserve')?.operations).toEqual([
      expect.objectContaining({ operation: 'reserveInventory' }),
    ]);
  });

  it('skips a segment document that is not JSON and says so', () => {
    // Prepare
    const trace: Trace = {
      ...bookedOrderTrace(),
      Segments: [...(bookedOrderTrace().Segments ?? []), { Id: 'broken', Document: '{"id":' }],
    };
    const warnings: string[] = [];

    // Act
    const runs = workflowRuns(traceId, traceDocuments(trace, warnings));

    // Assess
    expect(runs).toHaveLength(1);
    expect(warnings).toEqual([expect.stringContaining('segment broken is not JSON')]);
  });
});

describe('xrayTransaction', () => {
  it('finds the traces by annotation in six-hour slices, every page, and reads them whole', async () => {
    // Prepare
    xrayMock
      .on(GetTraceSummariesCommand)
      .resolvesOnce({ TraceSummaries: [{ Id: traceId }], NextToken: 'page-2' })
      .resolvesOnce({ TraceSummaries: [{ Id: traceId }] })
      .resolves({ TraceSummaries: [] });
    xrayMock.on(BatchGetTracesCommand).resolves({ Traces: [bookedOrderTrace()], UnprocessedTraceIds: [] });
    const window = { from: new Date(now.getTime() - 8 * 3_600_000), to: now };

    // Act
    const found = await xrayTransaction(new XRayClient({ region: 'us-east-1' }), ids, window, now);

    // Assess
    const summaries = xrayMock.commandCalls(GetTraceSummariesCommand).map((call) => call.args[0].input);
    expect(summaries).toEqual([
      expect.objectContaining({
        StartTime: window.from,
        EndTime: new Date(window.from.getTime() + maxSummaryWindowMs),
        FilterExpression:
          'annotation.correlationId = "01JDXK6TQ3M5V8N2P4R7S9W1Y3" OR annotation.orderId = "5820741173332"',
      }),
      expect.objectContaining({ NextToken: 'page-2' }),
      expect.objectContaining({
        StartTime: new Date(window.from.getTime() + maxSummaryWindowMs),
        EndTime: now,
      }),
    ]);
    expect(xrayMock.commandCalls(BatchGetTracesCommand).map((call) => call.args[0].input.TraceIds)).toEqual([
      [traceId],
    ]);
    expect(found.traceIds).toEqual([traceId]);
    expect(found.runs).toHaveLength(1);
    expect(found.warnings).toEqual([]);
  });

  it('says the transaction was not sampled when no trace names it, and fetches nothing', async () => {
    // Prepare
    xrayMock.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [] });

    // Act
    const found = await xrayTransaction(
      new XRayClient({ region: 'us-east-1' }),
      ids,
      { from: new Date(now.getTime() - 3_600_000), to: now },
      now,
    );

    // Assess
    expect(found.runs).toEqual([]);
    expect(found.warnings).toEqual([expect.stringContaining('it was not sampled')]);
    expect(xrayMock.commandCalls(BatchGetTracesCommand)).toHaveLength(0);
  });

  it('asks for at most five traces at a time, follows their pages and reports the ones X-Ray could not process', async () => {
    // Prepare
    const traceIds = Array.from({ length: 7 }, (_, index) => `1-6749a8c0-00000000000000000000000${index}`);
    xrayMock.on(GetTraceSummariesCommand).resolves({ TraceSummaries: traceIds.map((Id) => ({ Id })) });
    xrayMock
      .on(BatchGetTracesCommand)
      .resolvesOnce({ Traces: [], NextToken: 'more' })
      .resolvesOnce({ Traces: [refusedOrderTrace()] })
      .resolves({ Traces: [], UnprocessedTraceIds: [traceIds[6] as string] });

    // Act
    const found = await xrayTransaction(
      new XRayClient({ region: 'us-east-1' }),
      ids,
      { from: new Date(now.getTime() - 3_600_000), to: now },
      now,
    );

    // Assess
    const batches = xrayMock.commandCalls(BatchGetTracesCommand).map((call) => call.args[0].input);
    expect(batches).toEqual([
      { TraceIds: traceIds.slice(0, 5), NextToken: undefined },
      { TraceIds: traceIds.slice(0, 5), NextToken: 'more' },
      { TraceIds: traceIds.slice(5), NextToken: undefined },
    ]);
    expect(found.runs.map((run) => run.status)).toEqual(['FAILED']);
    expect(found.warnings).toEqual([expect.stringContaining(`could not return trace(s) ${traceIds[6]}`)]);
  });

  it('reads no further back than the 30 days X-Ray keeps, and says so', async () => {
    // Prepare
    xrayMock.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [] });

    // Act
    const found = await xrayTransaction(
      new XRayClient({ region: 'us-east-1' }),
      ids,
      { from: new Date(now.getTime() - 45 * 86_400_000), to: now },
      now,
    );

    // Assess
    const first = xrayMock.commandCalls(GetTraceSummariesCommand)[0]?.args[0].input;
    expect(first?.StartTime).toEqual(new Date(now.getTime() - 30 * 86_400_000));
    expect(found.warnings).toContain('X-Ray keeps traces 30 days: older ones cannot be read');
  });
});

describe('withXRaySteps', () => {
  it("adds each workflow step to the trace's timeline in time order", async () => {
    // Prepare
    xrayMock.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [{ Id: traceId }] });
    xrayMock.on(BatchGetTracesCommand).resolves({ Traces: [refusedOrderTrace()] });
    const timeline = {
      subject: ids,
      entries: [{ at: '2024-11-29T17:06:39.000Z', where: 'Ingest', what: 'webhook accepted' }],
      warnings: [],
    };

    // Act
    const traced = await withXRaySteps(
      timeline,
      new XRayClient({ region: 'us-east-1' }),
      { from: new Date(now.getTime() - 3_600_000), to: now },
      now,
    );

    // Assess
    expect(traced.entries[0]?.where).toBe('Ingest');
    expect(traced.entries.map((entry) => entry.what)).toContain(
      `CreateSalesOrder entered (X-Ray ${traceId}): ErpRejectedError customer blocked · createSalesOrder (ErpRejectedError)`,
    );
    const times = traced.entries.map((entry) => entry.at);
    expect(times).toEqual([...times].sort());
    expect(traced.entries.filter((entry) => entry.where === 'OrderToCash')).toHaveLength(15);
  });

  it('keeps the timeline and warns when X-Ray refuses', async () => {
    // Prepare
    xrayMock.on(GetTraceSummariesCommand).rejects(
      Object.assign(new Error('not authorized to perform xray:GetTraceSummaries'), {
        name: 'AccessDeniedException',
      }),
    );
    const timeline = { subject: ids, entries: [], warnings: [] };

    // Act
    const traced = await withXRaySteps(
      timeline,
      new XRayClient({ region: 'us-east-1' }),
      { from: new Date(now.getTime() - 3_600_000), to: now },
      now,
    );

    // Assess
    expect(traced.entries).toEqual([]);
    expect(traced.warnings).toEqual([
      'the workflow steps could not be read from X-Ray (AccessDeniedException: not authorized to perform xray:GetTraceSummaries)',
    ]);
  });
});

describe('workflowsReadFromXRay', () => {
  it.each([
    ['local', false, false],
    ['dev', true, false],
    ['dev', false, true],
    ['prod', false, true],
  ])(
    'reads the workflows of stage %s with a custom endpoint %s from X-Ray: %s',
    (stage, endpoint, expected) => {
      // Act / Assess
      expect(workflowsReadFromXRay(stage, endpoint)).toBe(expected);
    },
  );
});
