import type { Message } from '@aws-sdk/client-sqs';
import { caseOutcomeOf, matchesFilter, readDeadLetter } from '../../../functions/replay/dead-letters';
import { createRateLimiter } from '../../../functions/replay/rate-limiter';
import { parseTimeBound } from '../../../functions/shared/ops/time-window';

const canonical = {
  specversion: '1.0',
  id: '01JD0000000000000000000000',
  source: 'shopify://acme.myshopify.com',
  type: 'commerce.order.placed.v1',
  subject: 'order/1001',
  correlationid: 'corr-1',
  entityversion: 5,
  data: {},
};
const busEvent = { 'detail-type': 'commerce.order.placed.v1', source: 'concord.ingest', detail: canonical };
const sent = { SentTimestamp: '1795000000000', ApproximateReceiveCount: '3' };

function message(body: unknown, attributes: Record<string, string> = {}): Message {
  return {
    MessageId: 'm-1',
    ReceiptHandle: 'r-1',
    Body: JSON.stringify(body),
    Attributes: sent,
    MessageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
    ),
  };
}

describe('reading dead letters', () => {
  it('reads an EventBridge rule target dead letter with its error attributes', () => {
    const letter = readDeadLetter(
      message(busEvent, {
        ERROR_CODE: 'SFN.ExecutionLimitExceeded',
        ERROR_MESSAGE: 'limit',
        RULE_ARN: 'arn:aws:events:us-east-1:1:rule/concord-local/OrderToCashRule',
        TARGET_ARN: 'arn:aws:states:us-east-1:1:stateMachine:OrderToCash',
      }),
    );
    expect(letter).toMatchObject({
      kind: 'rule-target',
      eventType: 'commerce.order.placed.v1',
      source: 'shopify://acme.myshopify.com',
      entity: 'order/1001',
      correlationId: 'corr-1',
      errorCode: 'SFN.ExecutionLimitExceeded',
      rule: 'OrderToCashRule',
      target: 'OrderToCash',
      receiveCount: 3,
      entry: { source: 'concord.ingest', detailType: 'commerce.order.placed.v1', detail: canonical },
    });
  });

  it('reads a Lambda on-failure record around the bus event', () => {
    const letter = readDeadLetter(
      message({
        requestContext: {
          condition: 'RetriesExhausted',
          functionArn: 'arn:aws:lambda:us-east-1:1:function:WriteBack:$LATEST',
        },
        requestPayload: busEvent,
        responsePayload: { errorType: 'PlatformUnavailableError', errorMessage: 'Shopify 503' },
      }),
    );
    expect(letter).toMatchObject({
      kind: 'lambda-destination',
      errorCode: 'PlatformUnavailableError',
      errorMessage: 'Shopify 503',
      entity: 'order/1001',
      entry: { detailType: 'commerce.order.placed.v1' },
    });
  });

  it('reads a workflow exception and re-publishes its event under the bus source of its domain', () => {
    const erpEvent = { ...canonical, type: 'erp.order.credit-released.v1', source: 'erp://sandbox' };
    const letter = readDeadLetter(
      message({
        flow: 'order-to-cash',
        businessKey: 'order/1001',
        failedStep: 'PostReleasedInvoice',
        error: { Error: 'ErpUnavailableError', Cause: 'ERP down' },
        event: erpEvent,
      }),
    );
    expect(letter).toMatchObject({
      kind: 'exception',
      errorCode: 'ErpUnavailableError',
      failedStep: 'PostReleasedInvoice',
      target: 'order-to-cash',
      entry: { source: 'concord.erp', detailType: 'erp.order.credit-released.v1' },
    });
  });

  it('reads a reconciliation mismatch as information: its class, entity and remedy, nothing to re-publish', () => {
    const letter = readDeadLetter(
      message({
        kind: 'reconciliation-mismatch',
        reconciliationId: 'rec-1',
        remedy: 'archive-replay',
        mismatch: {
          class: 'missing_in_warehouse',
          entity: 'invoice',
          key: 'INV-000001',
          correlationId: 'corr-9',
          detail: 'the ERP booked INV-000001 but the warehouse has no row for it',
        },
      }),
    );
    expect(letter).toMatchObject({
      kind: 'mismatch',
      errorCode: 'missing_in_warehouse',
      errorMessage: 'the ERP booked INV-000001 but the warehouse has no row for it',
      target: 'reconciliation rec-1 (archive-replay)',
      entity: 'invoice/INV-000001',
      correlationId: 'corr-9',
    });
    expect(letter.entry).toBeUndefined();
    expect(matchesFilter(letter, { error: 'missing_in_warehouse', entity: 'invoice/INV-000001' })).toBe(true);
  });

  it('keeps a message it cannot read, with nothing to re-publish', () => {
    const letter = readDeadLetter({ MessageId: 'm-2', Body: 'not json', Attributes: sent });
    expect(letter).toMatchObject({ kind: 'unknown', messageId: 'm-2' });
    expect(letter.entry).toBeUndefined();
  });

  it('filters by type prefix, platform, error, entity and time', () => {
    const letter = readDeadLetter(message(busEvent, { ERROR_CODE: 'E1' }));
    expect(matchesFilter(letter, { type: 'commerce.order.*', source: 'shopify', error: 'E1' })).toBe(true);
    expect(matchesFilter(letter, { type: 'commerce.order' })).toBe(false);
    expect(matchesFilter(letter, { source: 'stripe' })).toBe(false);
    expect(matchesFilter(letter, { entity: 'order/1002' })).toBe(false);
    expect(matchesFilter(letter, { since: new Date(1795000000001) })).toBe(false);
    expect(matchesFilter(letter, { until: new Date(1795000000001) })).toBe(true);
  });
});

/** An exceptions queue message as the workflows' ToExceptions states send it (statemachines/*.asl.json). */
function exceptionMessage(fields: Record<string, unknown>): Message {
  return message({
    flow: 'order-to-cash',
    businessKey: 'order/1001',
    correlationId: 'corr-1',
    failedStep: 'Reserve',
    error: { Error: 'ErpRefusedError', Cause: 'out_of_stock: TENT-2P has 2 available, 3 requested' },
    event: canonical,
    ...fields,
  });
}

describe("reading a workflow case's outcome", () => {
  it('reads the outcome and the compensations that ran, and calls a refused, compensated case settled', () => {
    // Prepare
    const body = exceptionMessage({
      outcome: 'failed',
      compensated: ['CancelSalesOrder', 'ReleaseInventory'],
      compensationFailure: null,
    });
    // Act
    const letter = readDeadLetter(body);
    const summary = caseOutcomeOf(letter);
    // Assess
    expect(letter).toMatchObject({
      outcome: 'failed',
      compensated: ['CancelSalesOrder', 'ReleaseInventory'],
    });
    expect(letter.compensationFailure).toBeUndefined();
    expect(summary).toMatchObject({
      severity: 'settled',
      headline: 'failed; compensated CancelSalesOrder, ReleaseInventory',
    });
  });

  it('singles out an unknown outcome: the ERP may have booked, nothing is to be compensated or replayed blindly', () => {
    // Prepare
    const body = exceptionMessage({
      outcome: 'unknown-outcome',
      failedStep: 'PostInvoice',
      error: { Error: 'ErpOutcomeUnknownError', Cause: 'socket hang up; still unknown after 3 reads' },
      compensated: [],
      compensationFailure: null,
    });
    // Act
    const summary = caseOutcomeOf(readDeadLetter(body));
    // Assess
    expect(summary?.severity).toBe('unknown');
    expect(summary?.headline).toBe('UNKNOWN OUTCOME at PostInvoice; nothing compensated');
    expect(summary?.advice).toMatch(/may have booked what PostInvoice sent.*replay nothing blindly/s);
  });

  it('reads a failed compensation as Step Functions records it, and says a document may be left', () => {
    // Prepare
    const body = exceptionMessage({
      outcome: 'refused',
      flow: 'procure-to-pay',
      compensated: [],
      compensationFailure: { Error: 'ErpUnavailableError', Cause: 'ERP down' },
    });
    // Act
    const letter = readDeadLetter(body);
    const summary = caseOutcomeOf(letter);
    // Assess
    expect(letter.compensationFailure).toEqual({
      errorCode: 'ErpUnavailableError',
      errorMessage: 'ERP down',
    });
    expect(summary).toMatchObject({
      severity: 'compensation-failed',
      headline: 'refused; nothing compensated; COMPENSATION FAILED (ErpUnavailableError)',
    });
    expect(summary?.advice).toContain('a document may be left in the ERP');
  });

  it('keeps the outcome of a parked case, and records none for a dead letter that is not a workflow case', () => {
    // Prepare
    const parked = exceptionMessage({ outcome: 'unknown-outcome', compensated: [] });
    parked.MessageAttributes = {
      PARKED_REASON: { DataType: 'String', StringValue: 'waiting on the ERP team' },
    };
    // Act
    const parkedLetter = readDeadLetter(parked);
    const ruleTarget = readDeadLetter(message(busEvent, { ERROR_CODE: 'SFN.ExecutionLimitExceeded' }));
    const withoutOutcome = readDeadLetter(exceptionMessage({}));
    // Assess
    expect(parkedLetter).toMatchObject({ kind: 'parked', outcome: 'unknown-outcome' });
    expect(caseOutcomeOf(parkedLetter)?.severity).toBe('unknown');
    expect(ruleTarget).not.toHaveProperty('outcome');
    expect(caseOutcomeOf(ruleTarget)).toBeUndefined();
    expect(caseOutcomeOf(withoutOutcome)).toBeUndefined();
  });
});

describe('operator inputs', () => {
  const now = new Date('2026-11-27T12:00:00Z');

  it('reads durations back from now and ISO timestamps, and explains anything else', () => {
    expect(parseTimeBound('15m', now).toISOString()).toBe('2026-11-27T11:45:00.000Z');
    expect(parseTimeBound('2h', now).toISOString()).toBe('2026-11-27T10:00:00.000Z');
    expect(parseTimeBound('3d', now).toISOString()).toBe('2026-11-24T12:00:00.000Z');
    expect(parseTimeBound('2026-11-26T08:00:00Z', now).toISOString()).toBe('2026-11-26T08:00:00.000Z');
    expect(() => parseTimeBound('yesterday', now)).toThrow(
      '"yesterday" is neither a duration (15m, 2h, 3d) nor an ISO timestamp (2026-11-27T10:00:00Z)',
    );
  });

  it('paces work to the rate: the n-th take waits until n / rate seconds after the first', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = createRateLimiter(4, {
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    for (let i = 0; i < 5; i += 1) await limiter.take();
    expect(waits).toEqual([250, 250, 250, 250]);
    expect(clock).toBe(1000);
    expect(() => createRateLimiter(0)).toThrow('rate must be a positive number per second, not 0');
  });
});
