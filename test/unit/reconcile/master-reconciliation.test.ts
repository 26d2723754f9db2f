import {
  type MasterErpFact,
  type MasterReconcileInput,
  type MasterSaasFact,
  type MasterWarehouseFact,
  reconcileMasters,
} from '../../../functions/reconcile/master-reconciliation';
import { personalHash } from '../../../functions/reconcile/master-sources';
import { buildReplayPlan } from '../../../functions/reconcile/plan-replays';
import { supplierFields } from '../../../functions/reconcile/supplier-sources';
import { mismatchClasses, type ReconciliationReport } from '../../../functions/shared/reconciliation/report';

const window = { from: new Date('2026-11-27T00:00:00Z'), to: new Date('2026-11-28T00:00:00Z') };
const ranAt = new Date('2026-11-28T03:00:00Z');
const hash = (value: string) => personalHash(value) as string;

function vendorFields(email: string): Record<string, string | null> {
  return {
    legalName: 'Nordlicht GmbH',
    displayName: null,
    contactName: hash('Greta'),
    contactEmail: hash(email),
    contactPhone: null,
    address: null,
    paymentTerms: 'net-30',
    taxId: null,
    blocked: 'false',
  };
}

const saas = (key: string, email: string, time = '2026-11-27T10:00:00.000Z'): MasterSaasFact => ({
  entity: 'supplier',
  key,
  status: 'created',
  fields: { legalName: 'Nordlicht GmbH', contactEmail: hash(email) },
  time,
  correlationId: `corr-${key}`,
  eventIds: [`ev-${key}`],
});
const erp = (
  key: string,
  version: number,
  email: string,
  updatedAt = '2026-11-27T10:01:00.000Z',
): MasterErpFact => ({
  entity: 'supplier',
  key,
  number: `V-${key}`,
  version,
  status: 'ACTIVE',
  fields: vendorFields(email),
  updatedAt,
});
const warehouse = (key: string, version: number, email: string): MasterWarehouseFact => ({
  entity: 'supplier',
  key,
  number: `V-${key}`,
  version,
  status: 'ACTIVE',
  fields: vendorFields(email),
  syncedAt: '2026-11-27T10:01:00.000Z',
  correlationId: `corr-${key}`,
});

function input(overrides: Partial<MasterReconcileInput>): MasterReconcileInput {
  return {
    entity: 'supplier',
    fields: supplierFields,
    window,
    ranAt,
    allowedLagMs: 120_000,
    saas: [],
    erp: [],
    warehouse: [],
    unreadable: [],
    ...overrides,
  };
}

/** A report around master mismatches, as run-reconciliation assembles it. */
function reportOf(mismatches: ReconciliationReport['mismatches']): ReconciliationReport {
  const none = { erp: { count: 0, sums: {} }, warehouse: { count: 0, sums: {} } };
  return {
    id: 'rec-1',
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    ranAt: ranAt.toISOString(),
    totals: { order: none, invoice: none, payment: none },
    mismatches,
    byClass: Object.fromEntries(mismatchClasses.map((name) => [name, 0])) as ReconciliationReport['byClass'],
  };
}

describe('reconcileMasters', () => {
  it('finds nothing when the platform, the ERP and the warehouse hold the same record', () => {
    // Act
    const { mismatches, totals } = reconcileMasters(
      input({
        saas: [saas('1', 'a@x.example')],
        erp: [erp('1', 1, 'a@x.example')],
        warehouse: [warehouse('1', 1, 'a@x.example')],
      }),
    );

    // Assess
    expect(mismatches).toEqual([]);
    expect(totals).toEqual({
      saas: { count: 1, sums: {} },
      erp: { count: 1, sums: {} },
      warehouse: { count: 1, sums: {} },
    });
  });

  it('names a supplier the ERP lacks as missing_in_erp, or stale while its flow may still be running', () => {
    // Act
    const { mismatches } = reconcileMasters(
      input({
        saas: [saas('1', 'a@x.example'), saas('2', 'b@x.example', '2026-11-27T10:00:30.000Z')],
        ranAt: new Date('2026-11-27T10:01:00.000Z'),
        allowedLagMs: 45_000,
      }),
    );

    // Assess
    expect(mismatches.map((mismatch) => `${mismatch.class} ${mismatch.key}`)).toEqual([
      'missing_in_erp 1',
      'stale 2',
    ]);
    expect(mismatches[0]?.detail).toBe(
      "the procurement platform's supplier reached Concord at 2026-11-27T10:00:00.000Z but the ERP holds no vendor for it",
    );
  });

  it('compares personal fields by hash and never puts a plain value in the mismatch', () => {
    // Act
    const { mismatches } = reconcileMasters(
      input({
        saas: [saas('1', 'greta@nordlicht.example')],
        erp: [erp('1', 1, 'other@x.example')],
        warehouse: [warehouse('1', 1, 'other@x.example')],
      }),
    );

    // Assess
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0]).toMatchObject({
      class: 'fields_differ',
      erpDocument: 'V-1',
      saas: { status: 'created' },
      fields: [
        {
          field: 'contactEmail',
          personal: true,
          saas: `sha256:${hash('greta@nordlicht.example')}`,
          erp: `sha256:${hash('other@x.example')}`,
        },
      ],
    });
    expect(mismatches[0]?.detail).toContain('contactEmail (by hash)');
    expect(JSON.stringify(mismatches)).not.toContain('@');
  });

  it('names a warehouse behind the ERP (another version) and a record the warehouse lacks', () => {
    // Act
    const { mismatches } = reconcileMasters(
      input({
        erp: [erp('1', 3, 'a@x.example'), erp('2', 1, 'b@x.example')],
        warehouse: [warehouse('1', 2, 'a@x.example')],
      }),
    );

    // Assess
    expect(mismatches.map((mismatch) => `${mismatch.class} ${mismatch.key}`)).toEqual([
      'fields_differ 1',
      'missing_in_warehouse 2',
    ]);
    expect(mismatches[0]?.fields).toEqual([{ field: 'version', personal: false, erp: '3', warehouse: '2' }]);
    expect(mismatches[0]?.records).toEqual({
      erp: { number: 'V-1', version: 3, status: 'ACTIVE', updatedAt: '2026-11-27T10:01:00.000Z' },
      warehouse: { number: 'V-1', version: 2, status: 'ACTIVE', updatedAt: '2026-11-27T10:01:00.000Z' },
    });
  });

  it('names a warehouse row for a record the ERP does not hold', () => {
    // Act
    const { mismatches } = reconcileMasters(input({ warehouse: [warehouse('9', 1, 'z@x.example')] }));

    // Assess
    expect(mismatches).toMatchObject([
      {
        class: 'missing_in_erp',
        key: '9',
        erpDocument: 'V-9',
        detail: 'the warehouse shows vendor V-9 but the ERP does not hold it',
      },
    ]);
  });

  it('reports an unreadable warehouse row once, not also as missing', () => {
    // Act
    const { mismatches } = reconcileMasters(
      input({
        erp: [erp('1', 2, 'a@x.example')],
        unreadable: [
          {
            side: 'warehouse',
            entity: 'supplier',
            key: '1',
            erpDocument: 'V-1',
            time: '2026-11-27T10:01:00.000Z',
            updatedAt: '2026-11-27T10:01:00.000Z',
            row: { number: 'V-1', version: null },
            reason: 'it has no version',
          },
        ],
      }),
    );

    // Assess
    expect(mismatches).toMatchObject([
      {
        class: 'unreadable',
        key: '1',
        erpDocument: 'V-1',
        unreadable: { side: 'warehouse', reason: 'it has no version' },
      },
    ]);
  });
});

describe('buildReplayPlan (master records), a record changed in the ERP after its sync', () => {
  it("reviews what the ERP changed by hand after the flow applied the platform's latest change", () => {
    // Prepare: the warehouse shows the sync of the platform's latest event as version 1; the ERP is at version 2.
    const { mismatches } = reconcileMasters(
      input({
        saas: [saas('1', 'a@x.example')],
        erp: [erp('1', 2, 'hand@x.example')],
        warehouse: [{ ...warehouse('1', 1, 'a@x.example'), sourceEventId: 'ev-1' }],
      }),
    );

    // Act
    const plan = buildReplayPlan(reportOf(mismatches), () => [], ranAt);

    // Assess
    expect(mismatches.map((mismatch) => `${mismatch.class} ${mismatch.key}`)).toEqual([
      'fields_differ 1',
      'fields_differ 1',
    ]);
    expect(mismatches[0]?.detail).toBe(
      "the ERP's vendor V-1 was changed after the flow applied the procurement platform's latest change as version 1 (now version 2); they differ on contactEmail (by hash)",
    );
    expect(plan.republish).toEqual([]);
    expect(plan.review.map((entry) => entry.detail)).toEqual([
      expect.stringMatching(/correct the ERP, or make the change at the platform so that it flows again$/),
    ]);
    // The warehouse is behind the ERP as well: the archive window around the ERP's change is replayed to it.
    expect(plan.archiveReplays.flatMap((replay) => replay.documents)).toEqual(['supplier:V-1']);
  });
});

describe('buildReplayPlan (master records)', () => {
  it('re-publishes what the ERP lacks or holds otherwise, replays the archive for a warehouse behind, reviews the rest', () => {
    // Prepare
    const { mismatches } = reconcileMasters(
      input({
        saas: [saas('1', 'a@x.example'), saas('2', 'new@x.example')],
        erp: [
          erp('2', 2, 'old@x.example', '2026-11-27T11:00:00.000Z'),
          erp('3', 3, 'c@x.example', '2026-11-27T12:00:00.000Z'),
          erp('4', 4, 'd@x.example', '2026-11-27T13:00:00.000Z'),
        ],
        // 3 is behind the ERP; 4 is ahead of it, which no replay mends.
        warehouse: [
          warehouse('2', 2, 'old@x.example'),
          warehouse('3', 2, 'c@x.example'),
          warehouse('4', 5, 'd@x.example'),
        ],
      }),
    );

    // Act
    const plan = buildReplayPlan(
      reportOf(mismatches),
      (mismatch) => [{ type: 'procurement.supplier.created.v1', id: `ev-${mismatch.key}` }],
      ranAt,
    );

    // Assess
    expect(plan.republish.map((entry) => `${entry.class} ${entry.entity} ${entry.key}`)).toEqual([
      'missing_in_erp supplier 1',
      'fields_differ supplier 2',
    ]);
    expect(plan.archiveReplays).toEqual([
      {
        target: 'warehouse',
        from: '2026-11-27T09:59:00.000Z',
        to: '2026-11-27T12:02:00.000Z',
        documents: ['supplier:V-3'],
      },
    ]);
    expect(plan.review.map((entry) => `${entry.class} ${entry.key}`)).toEqual(['fields_differ 4']);
    expect(plan.review[0]?.detail).toMatch(/no replay mends it$/);
  });
});
