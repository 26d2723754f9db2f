/** The warehouse's employee model: the ERP's employee register as erp.employee.synced.v1 announced it, personal fields hashed. */
import { hashedColumn, latestBy, latestLineageBy, lineage, lineageSelect, piiHash, text } from './model-sql';
import type { WarehouseModel } from './models';

/**
 * The `employees` model, with personal data hashed by `piiHash`, as every model hashes it. One row per ERP employee,
 * each column from the register's latest version (`erp_version`), so a change delivered after a later termination
 * never brings back an older state.
 */
export function employeesModel(): WarehouseModel {
  const pii = ['firstName', 'lastName', 'displayName', 'workEmail', 'phone'] as const;
  const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  const latest = latestBy('erp_version');
  const plain = [
    'hris_employee_id',
    'job_title',
    'department',
    'cost_centre',
    'start_date',
    'termination_date',
    'status',
  ];
  return {
    name: 'employees',
    description:
      'Each ERP employee as the ERP last announced it after an HRIS hire, change or termination; names, e-mail and phone hashed (x-pii).',
    columns: [
      { name: 'employee_number', type: 'string', comment: "the ERP's employee number" },
      { name: 'hris_employee_id', type: 'string', comment: "the employee's id in the HRIS" },
      ...pii.map((field) => hashedColumn(`${snake(field)}_hash`)),
      { name: 'job_title', type: 'string', comment: 'HRIS-owned' },
      { name: 'department', type: 'string', comment: 'HRIS-owned' },
      { name: 'cost_centre', type: 'string', comment: 'the ERP cost centre the employee is assigned to' },
      { name: 'start_date', type: 'string', comment: 'ISO 8601 date' },
      {
        name: 'termination_date',
        type: 'string',
        comment: 'ISO 8601 date: the last day employed, once terminated',
      },
      {
        name: 'status',
        type: 'string',
        comment:
          'as of the latest change: ACTIVE, TERMINATION_SCHEDULED or TERMINATED (a scheduled one ends on its date)',
      },
      {
        name: 'erp_version',
        type: 'bigint',
        comment: "the employee's version in the ERP register, which orders the rows",
      },
      { name: 'synced_at', type: 'timestamp', comment: 'the latest synchronisation' },
      ...lineage,
    ],
    sql: `SELECT employee_number, ${[...plain.slice(0, 1), ...pii.map((field) => `${snake(field)}_hash`), ...plain.slice(1)].map(latest).join(', ')},
  max(erp_version) AS erp_version, max(event_time) AS synced_at,
  ${latestLineageBy('erp_version')}
FROM (
  SELECT ${text('employeeNumber')} AS employee_number, ${text('hrisEmployeeId')} AS hris_employee_id,
    ${pii.map((field) => `${piiHash(text(field))} AS ${snake(field)}_hash`).join(', ')},
    ${text('jobTitle')} AS job_title, ${text('department')} AS department, ${text('costCentre')} AS cost_centre,
    ${text('startDate')} AS start_date, ${text('terminationDate')} AS termination_date, ${text('status')} AS status,
    CAST(${text('erpVersion')} AS BIGINT) AS erp_version,
    event_time, ${lineageSelect}
  FROM erp_events
  WHERE event_type = 'erp.employee.synced.v1'
) synced
GROUP BY employee_number`,
  };
}
