import { buildReplayPlan } from '../../../functions/reconcile/plan-replays';
import {
  type ErpFact,
  type ReconcileInput,
  reconcile,
  type SaasFact,
  type UnreadableRow,
  type WarehouseFact,
} from '../../../functions/reconcile/reconciliation';
import { parseReplayPlan } from '../../../functions/shared/reconciliation/replay-plan';

const window = { from: new Date('2026-11-27T00:00:00Z'), to: new Date('2026-11-28T00:00:00Z') };
const ranAt = new Date('2026-11-28T03:00:00Z');

function saasOrder(key: string, overrides: Partial<SaasFact> = {}): SaasFact {
  return {
    entity: 'order',
    key,
    status: 'OPEN',
    time: '2026-11-27T10:00:00.000Z',
    correlationId: `corr-${key}`,
    eventIds: [`ev-${key}`],
    ...overrides,
  };
}

function erpOrder(key: string, overrides: Partial<ErpFact> = {}): ErpFact {
  return {
    entity: 'order',
    number: `SO-${key}`,
    externalRef: key,
    status: 'INVOICED',
    amount: '100.00',
    currency: 'USD',
    createdAt: '2026-11-27T10:00:01.000Z',
    updatedAt: '2026-11-27T10:00:02.000Z',
    ...overrides,
  };
}

function warehouseOrder(key: string, overrides: Partial<WarehouseFact> = {}): WarehouseFact {
  return {
    entity: 'order',
    number: `SO-${key}`,
    status: 'INVOICED',
    amount: '100.0000',
    currency: 'USD',
    firstAt: '2026-11-27T10:00:01.000Z',
    updatedAt: '2026-11-27T10:00:02.000Z',
    correlationId: `corr-${key}`,
    ...overrides,
  };
}

function run(sides: Partial<Pick<ReconcileInput, 'saas' | 'erp' | 'warehouse'>>, allowedLagMs = 120_000) {
  return reconcile({
    id: 'rec-1',
    window,
    ranAt,
    allowedLagMs,
    saas: sides.saas ?? [],
    erp: sides.erp ?? [],
    warehouse: sides.warehouse ?? [],
  });
}

const classes = (report: ReturnType<typeof run>) =>
  report.mismatches.map((mismatch) => `${mismatch.class} ${mismatch.entity} ${mismatch.key}`);

describe('reconcile', () => {
  it('finds nothing when the three sides agree, the warehouse writing amounts with four decimals', () => {
    const report = run({ saas: [saasOrder('1')], erp: [erpOrder('1')], warehouse: [warehouseOrder('1')] });
    expect(report.mismatches).toEqual([]);
    expect(report.totals.order).toEqual({
      saas: { count: 1, sums: {} },
      erp: { count: 1, sums: { USD: '100.00' } },
      warehouse: { count: 1, sums: { USD: '100.00' } },
    });
  });

  it('names an order the ERP never booked, and one the warehouse lacks', () => {
    const report = run({
      saas: [saasOrder('1'), saasOrder('2')],
      erp: [erpOrder('1'), erpOrder('3')],
      warehouse: [warehouseOrder('1')],
    });
    expect(classes(report)).toEqual(['missing_in_erp order 2', 'missing_in_warehouse order 3']);
    expect(report.byClass).toMatchObject({ missing_in_erp: 1, missing_in_warehouse: 1, stale: 0 });
  });

  it('does not expect the ERP to book an order the shop cancelled before it was booked', () => {
    expect(run({ saas: [saasOrder('1', { status: 'CANCELLED' })] }).mismatches).toEqual([]);
  });

  it('names a status the shop and the ERP disagree on', () => {
    const report = run({
      saas: [saasOrder('1', { status: 'CANCELLED' })],
      erp: [erpOrder('1')],
      warehouse: [warehouseOrder('1')],
    });
    expect(classes(report)).toEqual(['status_differs order 1']);
    expect(report.mismatches[0]?.detail).toBe('the shop says CANCELLED, the ERP says INVOICED');
  });

  it('names amount and status differences between the ERP and the warehouse, compared as decimals', () => {
    const report = run({
      erp: [
        erpOrder('1', { amount: '120.50' }),
        erpOrder('2', { status: 'CANCELLED' }),
        erpOrder('3', { amount: '7.5' }),
      ],
      warehouse: [warehouseOrder('1'), warehouseOrder('2'), warehouseOrder('3', { amount: '7.5000' })],
    });
    expect(classes(report)).toEqual(['amount_differs order 1', 'status_differs order 2']);
    expect(report.mismatches[0]?.detail).toBe('the ERP says 120.50 USD, the warehouse says 100.0000 USD');
  });

  it('calls a difference younger than the allowed lag stale, not a disagreement', () => {
    const fresh = new Date(ranAt.getTime() - 30_000).toISOString();
    const report = run({
      erp: [erpOrder('1', { status: 'CANCELLED', updatedAt: fresh }), erpOrder('2', { updatedAt: fresh })],
      warehouse: [warehouseOrder('1')],
    });
    expect(classes(report)).toEqual(['stale order 1', 'stale order 2']);
    expect(classes(run({ erp: [erpOrder('2', { updatedAt: fresh })] }, 0))).toEqual([
      'missing_in_warehouse order 2',
    ]);
    // An order taken in moments ago may still be in its flow.
    const duringTheDay = (allowedLagMs: number) =>
      reconcile({
        id: 'rec-2',
        window,
        ranAt: new Date('2026-11-27T12:00:00Z'),
        allowedLagMs,
        saas: [saasOrder('3', { time: '2026-11-27T11:59:30.000Z' })],
        erp: [],
        warehouse: [],
      });
    expect(classes(duringTheDay(120_000))).toEqual(['stale order 3']);
    expect(classes(duringTheDay(0))).toEqual(['missing_in_erp order 3']);
  });

  it('compares payments by amount and currency with the billing platform', () => {
    const payment: SaasFact = {
      ...saasOrder('pi_1'),
      entity: 'payment',
      amount: '50.00',
      currency: 'EUR',
    };
    const booked: ErpFact = { ...erpOrder('pi_1'), entity: 'payment', number: 'PAY-1', status: 'APPLIED' };
    const report = run({
      saas: [payment],
      erp: [{ ...booked, amount: '50.00', currency: 'USD' }],
      warehouse: [
        { ...warehouseOrder('x'), entity: 'payment', number: 'PAY-1', status: 'APPLIED', amount: '50.00' },
      ],
    });
    expect(classes(report)).toEqual(['amount_differs payment pi_1']);
  });

  it('sums per currency, and leaves out documents outside the window unless another side places them in it', () => {
    const report = run({
      saas: [saasOrder('3')],
      erp: [
        erpOrder('1', { amount: '10.10' }),
        erpOrder('2', { amount: '5.00', currency: 'EUR' }),
        erpOrder('3', { createdAt: '2026-11-26T23:59:59.000Z' }),
        erpOrder('4', { createdAt: '2026-11-25T10:00:00.000Z' }),
      ],
      warehouse: [
        warehouseOrder('1', { amount: '10.10' }),
        warehouseOrder('2', { amount: '5', currency: 'EUR' }),
      ],
    });
    expect(report.totals.order.erp).toEqual({ count: 2, sums: { EUR: '5.00', USD: '10.10' } });
    // Order 3 was booked just before midnight for an order Concord took in the window; order 4 is another day's.
    expect(classes(report)).toEqual(['missing_in_warehouse order 3']);
  });

  it('names a warehouse row the ERP does not hold', () => {
    expect(classes(run({ warehouse: [warehouseOrder('9')] }))).toEqual(['missing_in_erp order SO-9']);
  });
});

describe('reconcile with rows it cannot read', () => {
  it('reports a malformed fact of each side as unreadable and reconciles every other row', () => {
    // Prepare
    const sides = {
      saas: [saasOrder('1'), saasOrder('2', { time: 'yesterday' })],
      erp: [
        erpOrder('1'),
        erpOrder('3', { amount: null as unknown as string }),
        erpOrder('4', { status: 'CANCELLED' }),
      ],
      warehouse: [warehouseOrder('1'), warehouseOrder('4'), warehouseOrder('5', { amount: 'n/a' })],
    };

    // Act
    const report = run(sides);

    // Assess
    expect(classes(report)).toEqual([
      'unreadable order 2',
      'unreadable order 3',
      'status_differs order 4',
      'unreadable order SO-5',
    ]);
    expect(report.byClass).toMatchObject({ unreadable: 3, status_differs: 1 });
    expect(report.mismatches.find((mismatch) => mismatch.key === '3')).toMatchObject({
      erpDocument: 'SO-3',
      unreadable: { side: 'erp', reason: 'it has no amount', row: { number: 'SO-3', amount: null } },
      detail: "the ERP's document for order SO-3 cannot be compared: it has no amount",
    });
    expect(report.mismatches.find((mismatch) => mismatch.key === '2')?.unreadable).toMatchObject({
      side: 'saas',
      reason: 'its time "yesterday" is not a time',
    });
    // The unreadable rows are in no side's totals.
    expect(report.totals.order.erp.count).toBe(2);
    expect(report.totals.order.warehouse.count).toBe(2);
  });

  it('names an incomplete warehouse row beside the ERP document, instead of calling the document missing', () => {
    // Prepare
    const unreadable: UnreadableRow = {
      side: 'warehouse',
      entity: 'order',
      key: 'SO-1',
      erpDocument: 'SO-1',
      correlationId: 'corr-1',
      time: '2026-11-27T10:00:01.000Z',
      updatedAt: '2026-11-27T10:00:02.000Z',
      row: { entity: 'order', number: 'SO-1', status: 'INVOICED', amount: null, currency: 'USD' },
      reason: 'it has no amount',
    };

    // Act
    const report = reconcile({
      id: 'rec-1',
      window,
      ranAt,
      allowedLagMs: 120_000,
      saas: [saasOrder('1')],
      erp: [erpOrder('1')],
      warehouse: [],
      unreadable: [unreadable],
    });

    // Assess
    expect(report.mismatches).toEqual([
      {
        class: 'unreadable',
        entity: 'order',
        key: '1',
        erpDocument: 'SO-1',
        correlationId: 'corr-1',
        erp: expect.objectContaining({ status: 'INVOICED', amount: '100.00' }),
        unreadable: { side: 'warehouse', row: unreadable.row, reason: 'it has no amount' },
        detail: "the warehouse's row for order SO-1 cannot be compared: it has no amount",
      },
    ]);
  });

  it('calls an incomplete warehouse row younger than the allowed lag stale: its events may still be arriving', () => {
    // Prepare
    const fresh = new Date(ranAt.getTime() - 30_000).toISOString();
    const unreadable: UnreadableRow = {
      side: 'warehouse',
      entity: 'order',
      key: 'SO-1',
      erpDocument: 'SO-1',
      time: '2026-11-27T10:00:01.000Z',
      updatedAt: fresh,
      row: { number: 'SO-1', amount: null },
      reason: 'it has no amount',
    };

    // Act
    const report = reconcile({
      id: 'rec-1',
      window,
      ranAt,
      allowedLagMs: 120_000,
      saas: [],
      erp: [erpOrder('1', { updatedAt: fresh })],
      warehouse: [],
      unreadable: [unreadable],
    });

    // Assess
    expect(classes(report)).toEqual(['stale order 1']);
  });
});

describe('buildReplayPlan', () => {
  it('re-publishes what the ERP never booked, replays the archive for what the warehouse lacks, and lists the rest for review', () => {
    const fresh = new Date(ranAt.getTime() - 30_000).toISOString();
    const report = run({
      saas: [saasOrder('1'), saasOrder('2', { status: 'CANCELLED' })],
      erp: [
        erpOrder('2'),
        erpOrder('3', { createdAt: '2026-11-27T10:00:00.000Z', updatedAt: '2026-11-27T10:05:00.000Z' }),
        erpOrder('4', {
          createdAt: '2026-11-27T10:03:00.000Z',
          updatedAt: '2026-11-27T10:06:00.000Z',
          status: 'CANCELLED',
        }),
        erpOrder('5', { amount: '1.00' }),
        erpOrder('6', { updatedAt: fresh }),
        erpOrder('7', { createdAt: '2026-11-27T20:00:00.000Z', updatedAt: '2026-11-27T20:00:00.000Z' }),
      ],
      warehouse: [
        warehouseOrder('2'),
        warehouseOrder('4', { updatedAt: '2026-11-27T10:03:00.000Z' }),
        warehouseOrder('5', { updatedAt: '2026-11-27T11:00:00.000Z' }),
      ],
    });
    const events = { '1': [{ id: 'ev-1', type: 'commerce.order.placed.v1' }] };
    const plan = buildReplayPlan(report, (mismatch) => events[mismatch.key as '1'] ?? [], ranAt);
    expect(plan.republish).toEqual([
      { class: 'missing_in_erp', entity: 'order', key: '1', events: events['1'] },
    ]);
    // Orders 3 and 4 changed within minutes of each other: one window, two minutes either side.
    expect(plan.archiveReplays).toEqual([
      {
        target: 'warehouse',
        from: '2026-11-27T09:58:00.000Z',
        to: '2026-11-27T10:08:00.000Z',
        documents: ['order:SO-3', 'order:SO-4'],
      },
      {
        target: 'warehouse',
        from: '2026-11-27T19:58:00.000Z',
        to: '2026-11-27T20:02:00.000Z',
        documents: ['order:SO-7'],
      },
    ]);
    // The shop/ERP disagreement, an ERP change the warehouse never heard of (the warehouse is newer), a fresh one.
    expect(plan.review.map((item) => `${item.class} ${item.key}`)).toEqual([
      'status_differs 2',
      'amount_differs 5',
      'stale 6',
    ]);
    expect(parseReplayPlan(JSON.stringify(plan))).toEqual(plan);
  });

  it('replays the archive for an incomplete warehouse row the ERP holds, and lists other unreadable rows for review', () => {
    // Prepare
    const incomplete: UnreadableRow = {
      side: 'warehouse',
      entity: 'order',
      key: 'SO-1',
      erpDocument: 'SO-1',
      time: '2026-11-27T10:00:01.000Z',
      row: { number: 'SO-1', amount: null },
      reason: 'it has no amount',
    };
    const keyless: UnreadableRow = {
      side: 'saas',
      entity: 'order',
      key: 'ev-9',
      row: { id: 'ev-9', source_order_id: null },
      reason: 'it has no source_order_id',
    };
    const report = reconcile({
      id: 'rec-1',
      window,
      ranAt,
      allowedLagMs: 120_000,
      saas: [],
      erp: [erpOrder('1', { createdAt: '2026-11-27T10:00:00.000Z', updatedAt: '2026-11-27T10:05:00.000Z' })],
      warehouse: [],
      unreadable: [incomplete, keyless],
    });

    // Act
    const plan = buildReplayPlan(report, () => [], ranAt);

    // Assess
    expect(plan.archiveReplays).toEqual([
      {
        target: 'warehouse',
        from: '2026-11-27T09:58:00.000Z',
        to: '2026-11-27T10:07:00.000Z',
        documents: ['order:SO-1'],
      },
    ]);
    expect(plan.review).toEqual([
      {
        class: 'unreadable',
        entity: 'order',
        key: 'ev-9',
        detail: 'the SaaS event for order ev-9 cannot be compared: it has no source_order_id',
      },
    ]);
  });

  it('refuses a file that is not a replay plan, naming what is wrong', () => {
    expect(() => parseReplayPlan('{')).toThrow(/not JSON/);
    expect(() => parseReplayPlan('{"kind":"x"}')).toThrow('not a replay plan');
    const plan = {
      kind: 'concord.replay-plan',
      version: 1,
      republish: [],
      archiveReplays: [{ from: 'b', to: 'a' }],
    };
    expect(() => parseReplayPlan(JSON.stringify(plan))).toThrow('is not a time window');
    const noType = { ...plan, archiveReplays: [], republish: [{ entity: 'order', key: '1', events: [{}] }] };
    expect(() => parseReplayPlan(JSON.stringify(noType))).toThrow('order 1 has an event without a type');
  });
});
