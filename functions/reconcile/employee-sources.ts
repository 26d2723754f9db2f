/** The employee kind of master reconciliation: HiBob's lifecycle events, the ERP employee register, the `employees` model. */
import type { EmployeeRecord, ErpEmployeePort } from '../shared/erp/erp-employee-port';
import type { MasterFieldSpec } from './master-reconciliation';
import {
  type ErpMasterKind,
  erpRecordKind,
  masterModelSql,
  personalHash,
  type SaasMasterKind,
  type WarehouseMasterKind,
} from './master-sources';
import { UnreadableRowError } from './reconcile-sources';

/**
 * The fields an employee is compared on. Names, e-mail and phone are personal: compared by hash only. The status is
 * not compared: the ERP answers it as of today (a scheduled termination ends on its date without a change), the
 * warehouse as of the latest change; the termination date they both hold is.
 */
export const employeeFields: readonly MasterFieldSpec[] = [
  { name: 'firstName', personal: true },
  { name: 'lastName', personal: true },
  { name: 'displayName', personal: true },
  { name: 'workEmail', personal: true },
  { name: 'phone', personal: true },
  { name: 'jobTitle', personal: false },
  { name: 'department', personal: false },
  { name: 'costCentre', personal: false },
  { name: 'startDate', personal: false },
  { name: 'terminationDate', personal: false },
];

const personal = ['firstName', 'lastName', 'displayName', 'workEmail', 'phone'] as const;
const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * HiBob's lifecycle events, as ingest published them. Bob's webhooks carry ids, not values (the flow reads them
 * from Bob's API), so what the events state is the lifecycle's date: a hire's start, a termination's last day.
 */
export const employeeSaasKind: SaasMasterKind = {
  entity: 'employee',
  keyName: 'sourceEmployeeId',
  types: {
    'hr.employee.hired.v1': 'hired',
    'hr.employee.changed.v1': 'changed',
    'hr.employee.terminated.v1': 'terminated',
  },
  columns: `json_extract_scalar(data, '$.sourceEmployeeId') AS record_key,
  json_extract_scalar(data, '$.effectiveDate') AS effective_date`,
  valuesOf(row, lifecycle): Record<string, string> {
    const date = row.effective_date;
    if (lifecycle === 'changed') return {};
    if (!date) throw new UnreadableRowError(`its ${lifecycle} event has no effectiveDate`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new UnreadableRowError(`its effectiveDate "${date}" is not a date`);
    return lifecycle === 'hired' ? { startDate: date } : { terminationDate: date };
  },
};

/** The ERP's employee register through its port; personal fields hashed as soon as they are read. */
export function employeeErpKind(
  employees: Pick<ErpEmployeePort, 'listEmployees' | 'findEmployee'>,
): ErpMasterKind<EmployeeRecord> {
  return erpRecordKind<EmployeeRecord>({
    entity: 'employee',
    listChanged: (range) => employees.listEmployees(range),
    find: (key) => employees.findEmployee(key),
    number: 'employeeNumber',
    key: 'hrisId',
    status: (employee) => employee.status,
    fields: (employee) => ({
      ...Object.fromEntries(personal.map((field) => [field, personalHash(employee[field])])),
      jobTitle: employee.jobTitle ?? null,
      department: employee.department ?? null,
      costCentre: employee.costCentre ?? null,
      startDate: employee.startDate ?? null,
      terminationDate: employee.terminationDate ?? null,
    }),
  });
}

/** The `employees` model over every employee synchronisation. */
export const employeeWarehouseKind: WarehouseMasterKind = {
  entity: 'employee',
  sql: `${masterModelSql('employees', ['erp.employee.synced.v1'])}SELECT employee_number AS number,
  hris_employee_id AS record_key, CAST(erp_version AS VARCHAR) AS version, status, synced_at, correlation_id, source_event_id,
  ${personal.map((field) => `${snake(field)}_hash`).join(', ')}, job_title, department, cost_centre, start_date,
  termination_date
FROM employees`,
  fieldsOf(row) {
    return {
      ...Object.fromEntries(personal.map((field) => [field, row[`${snake(field)}_hash`] ?? null])),
      jobTitle: row.job_title ?? null,
      department: row.department ?? null,
      costCentre: row.cost_centre ?? null,
      startDate: row.start_date ?? null,
      terminationDate: row.termination_date ?? null,
    };
  },
};
