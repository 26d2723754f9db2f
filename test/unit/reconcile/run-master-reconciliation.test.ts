import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { runReconciliation } from '../../../functions/reconcile/run-reconciliation';
import type { EmployeeRecord } from '../../../functions/shared/erp/erp-employee-port';
import type { VendorRecord } from '../../../functions/shared/erp/erp-vendor-port';
import { duckdbWarehouseQuery, openLocalWarehouse } from '../../../local/warehouse/duckdb-warehouse';
import { deliver, erpEvent } from '../../support/warehouse-files';

const t = (minutes: number) => Date.UTC(2026, 10, 27, 10, minutes);
const window = { from: new Date('2026-11-27T00:00:00Z'), to: new Date('2026-11-28T00:00:00Z') };
const at = (minutes: number) => new Date(t(minutes)).toISOString();

const greta = { contactName: 'Greta Lindqvist', contactEmail: 'greta@nordlicht.example' };
const supplierEvent = (
  type: 'created' | 'changed',
  key: string,
  version: number,
  supplier: Record<string, unknown>,
  id: string,
) => ({
  ...erpEvent(
    `procurement.supplier.${type}.v1`,
    `supplier/${key}`,
    t(version),
    { sourceSupplierId: key, sourceCompanyId: 'co', changedFields: Object.keys(supplier), supplier },
    id,
  ),
  source: 'spendesk://co',
});
const vendor = (key: string, version: number, fields: Partial<VendorRecord>): VendorRecord => ({
  vendorNumber: `V-${key}`,
  sourceSupplierId: key,
  legalName: `${key} GmbH`,
  paymentTerms: 'net-30',
  blocked: false,
  version,
  createdAt: at(1),
  updatedAt: at(version),
  ...fields,
});
const synced = (record: VendorRecord, causation: string) => ({
  ...erpEvent('erp.supplier.synced.v1', `supplier/${record.sourceSupplierId}`, t(record.version), {
    vendorNumber: record.vendorNumber,
    sourceSupplierId: record.sourceSupplierId,
    action: 'created',
    appliedFields: [],
    refusedFields: [],
    vendor: {
      legalName: record.legalName,
      ...(record.contactName ? { contactName: record.contactName } : {}),
      ...(record.contactEmail ? { contactEmail: record.contactEmail } : {}),
      paymentTerms: record.paymentTerms,
      blocked: record.blocked,
      version: record.version,
    },
    syncedAt: at(record.version),
  }),
  causationid: causation,
});
const employee: EmployeeRecord = {
  employeeNumber: 'E-1',
  hrisId: '1001',
  firstName: 'Ada',
  lastName: 'Tester',
  workEmail: 'ada@acme.example',
  costCentre: 'CC-1000',
  startDate: '2026-11-02',
  terminationDate: '2026-11-30',
  status: 'TERMINATION_SCHEDULED',
  version: 2,
  updatedAt: at(6),
};
const bob = (type: 'hired' | 'terminated', minute: number, effectiveDate: string, id: string) => ({
  ...erpEvent(
    `hr.employee.${type}.v1`,
    'employee/1001',
    t(minute),
    { sourceEmployeeId: '1001', sourceCompanyId: '636192', changedBy: 'user-7', effectiveDate },
    id,
  ),
  source: 'hibob://636192',
});

let bucketDir: string;
let connection: DuckDBConnection;

beforeAll(async () => {
  bucketDir = mkdtempSync(path.join(tmpdir(), 'concord-run-master-reconciliation-'));
  const agreed = vendor('A', 1, greta);
  const behind = vendor('B', 1, greta);
  deliver(bucketDir, '2026-11-27T10:20:00Z', [
    // A: the platform, the ERP and the warehouse agree.
    supplierEvent('created', 'A', 1, { legalName: 'A GmbH', ...greta }, 'ev-A1'),
    synced(agreed, 'ev-A1'),
    // B: created and synced; its change (another contact) never reached the ERP.
    supplierEvent('created', 'B', 1, { legalName: 'B GmbH', ...greta }, 'ev-B1'),
    synced(behind, 'ev-B1'),
    supplierEvent('changed', 'B', 2, { contactEmail: 'jonas@nordlicht.example' }, 'ev-B2'),
    // C: the ERP never booked it.
    supplierEvent('created', 'C', 3, { legalName: 'C GmbH' }, 'ev-C1'),
    // An event without the supplier id: nothing can key it.
    { ...supplierEvent('created', '?', 4, { legalName: 'X' }, 'ev-keyless'), data: { changedFields: [] } },
    // The employee: hired, terminated; the warehouse has only the hire's sync.
    bob('hired', 2, '2026-11-02', 'ev-H1'),
    bob('terminated', 5, '2026-11-30', 'ev-H2'),
    erpEvent('erp.employee.synced.v1', 'employee/1001', t(3), {
      employeeNumber: 'E-1',
      hrisEmployeeId: '1001',
      action: 'hired',
      firstName: 'Ada',
      lastName: 'Tester',
      workEmail: 'ada@acme.example',
      costCentre: 'CC-1000',
      startDate: '2026-11-02',
      status: 'ACTIVE',
      erpVersion: 1,
      syncedAt: at(3),
    }),
  ]);
  connection = await openLocalWarehouse(bucketDir);
});

afterAll(() => {
  connection?.closeSync();
  rmSync(bucketDir, { recursive: true, force: true });
});

describe('runReconciliation (suppliers and employees)', () => {
  it('reconciles suppliers and employees beside the transactions, by hash, and plans what mends them', async () => {
    // Prepare: the ERP's vendor master and employee register; only B and the employee changed in the range.
    const vendors = [vendor('A', 1, greta), vendor('B', 1, greta)];
    const asked: string[] = [];

    // Act
    const { report, plan } = await runReconciliation(
      {
        warehouse: duckdbWarehouseQuery(connection),
        erp: { listDocuments: async () => [] },
        vendors: {
          listVendors: async (range) => {
            asked.push(`vendors ${range?.fromIso}…${range?.toIso}`);
            return vendors.filter((record) => record.sourceSupplierId === 'B');
          },
          findVendor: async (key) => {
            asked.push(`vendor ${key}`);
            return vendors.find((record) => record.sourceSupplierId === key);
          },
        },
        employees: {
          listEmployees: async () => [employee],
          findEmployee: async (key) => (key === employee.hrisId ? employee : undefined),
        },
        now: () => new Date('2026-11-28T03:00:00Z'),
        newId: () => 'rec-1',
        allowedLagMs: 120_000,
      },
      window,
    );

    // Assess
    expect(
      report.mismatches.map((mismatch) => `${mismatch.class} ${mismatch.entity} ${mismatch.key}`),
    ).toEqual([
      'fields_differ employee 1001',
      'fields_differ supplier B',
      'missing_in_erp supplier C',
      'unreadable supplier ev-keyless',
    ]);
    const [employeeBehind, supplierB, , keyless] = report.mismatches;
    // The warehouse shows the hire (version 1); the ERP holds the termination (version 2).
    expect(employeeBehind?.fields).toEqual([
      { field: 'terminationDate', personal: false, erp: '2026-11-30', warehouse: null },
      { field: 'version', personal: false, erp: '2', warehouse: '1' },
    ]);
    expect(keyless?.unreadable).toMatchObject({ side: 'saas', reason: 'it has no sourceSupplierId' });
    expect(supplierB?.fields).toEqual([
      {
        field: 'contactEmail',
        personal: true,
        saas: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        erp: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      },
    ]);
    expect(JSON.stringify(report)).not.toMatch(/Greta|greta@|jonas@|Ada|ada@/);
    expect(asked).toEqual([
      'vendors 2026-11-26T00:00:00.000Z…2026-11-29T00:00:00.000Z',
      'vendor A',
      'vendor C',
    ]);
    // A was read by key (its record did not change in the range) and agrees; C the ERP does not hold.
    expect(report.totals.supplier).toEqual({
      saas: { count: 3, sums: {} },
      erp: { count: 2, sums: {} },
      warehouse: { count: 2, sums: {} },
    });
    expect(report.byClass).toMatchObject({ fields_differ: 2, missing_in_erp: 1, unreadable: 1 });
    expect(
      plan.republish.map((entry) => `${entry.entity} ${entry.key} ${entry.events.map((event) => event.id)}`),
    ).toEqual(['supplier B ev-B1,ev-B2', 'supplier C ev-C1']);
    expect(plan.archiveReplays).toEqual([
      { target: 'warehouse', from: at(1), to: at(8), documents: ['employee:E-1'] },
    ]);
    expect(plan.review.map((entry) => `${entry.class} ${entry.key}`)).toEqual(['unreadable ev-keyless']);
  });
});
