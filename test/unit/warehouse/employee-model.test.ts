import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openLocalWarehouse, queryObjects } from '../../../local/warehouse/duckdb-warehouse';
import { deliver, erpEvent } from '../../support/warehouse-files';

const t = (minutes: number) => Date.UTC(2026, 10, 27, 10, minutes);
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const synced = (minutes: number, erpVersion: number, extra: Record<string, unknown>) =>
  erpEvent('erp.employee.synced.v1', 'employee/bob-1', t(minutes), {
    employeeNumber: 'E-000001',
    hrisEmployeeId: 'bob-1',
    firstName: 'Ada',
    lastName: 'Lovelace',
    workEmail: 'ada@example.com',
    jobTitle: 'Engineer',
    costCentre: 'CC-1000',
    startDate: '2026-11-02',
    status: 'ACTIVE',
    erpVersion,
    appliedFields: [],
    refusedFields: [],
    syncedAt: new Date(t(minutes)).toISOString(),
    action: 'changed',
    ...extra,
  });

let bucketDir: string;
let connection: DuckDBConnection;

beforeAll(async () => {
  bucketDir = mkdtempSync(path.join(tmpdir(), 'concord-warehouse-employees-'));
  // The termination (version 3) is delivered before the change (version 2) it follows; the hire twice.
  const hired = synced(0, 1, { action: 'hired' });
  deliver(bucketDir, '2026-11-27T10:05:00Z', [
    hired,
    synced(3, 3, {
      action: 'terminated',
      jobTitle: 'Staff Engineer',
      terminationDate: '2026-12-31',
      status: 'TERMINATION_SCHEDULED',
    }),
  ]);
  deliver(bucketDir, '2026-11-27T10:10:00Z', [
    hired,
    synced(2, 2, { jobTitle: 'Staff Engineer', costCentre: 'CC-2000' }),
  ]);
  connection = await openLocalWarehouse(bucketDir);
});

afterAll(() => {
  connection?.closeSync();
  rmSync(bucketDir, { recursive: true, force: true });
});

describe('employees warehouse model', () => {
  it('gives each employee the state of its latest register version, whatever order the events arrived in', async () => {
    // Act
    const rows = await queryObjects(
      connection,
      'select employee_number, hris_employee_id, job_title, cost_centre, start_date, termination_date, status, erp_version from employees',
    );

    // Assess
    expect(rows).toEqual([
      {
        employee_number: 'E-000001',
        hris_employee_id: 'bob-1',
        job_title: 'Staff Engineer',
        cost_centre: 'CC-1000',
        start_date: '2026-11-02',
        termination_date: '2026-12-31',
        status: 'TERMINATION_SCHEDULED',
        erp_version: '3',
      },
    ]);
  });

  it('keeps personal fields only as their SHA-256, and none it was not sent', async () => {
    // Act
    const [row] = await queryObjects(
      connection,
      'select first_name_hash, last_name_hash, display_name_hash, work_email_hash, phone_hash from employees',
    );

    // Assess
    expect(row).toEqual({
      first_name_hash: sha256('Ada'),
      last_name_hash: sha256('Lovelace'),
      display_name_hash: null,
      work_email_hash: sha256('ada@example.com'),
      phone_hash: null,
    });
  });

  it('carries the lineage of the latest version', async () => {
    // Act
    const [row] = await queryObjects(
      connection,
      'select correlation_id, source_event_id, entity_version from employees',
    );

    // Assess
    expect(row).toEqual({
      correlation_id: 'corr-employee/bob-1',
      source_event_id: 'saas-employee/bob-1',
      entity_version: String(t(3)),
    });
  });
});
