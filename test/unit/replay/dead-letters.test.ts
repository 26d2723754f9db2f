import type { Message } from '@aws-sdk/client-sqs';
import { matchesFilter, readDeadLetter } from '../../../functions/replay/dead-letters';
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
