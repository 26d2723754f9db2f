/** The ERP sandbox's employee register: cost centres, and employees with their cost-centre assignment and dated termination. */
import { NotFoundError, RefusalError } from './erp-errors';
import type { LedgerHandle } from './ledger/ledger-database';
import { pathParameter, type SandboxRoute } from './sandbox-routes';
import { type ChangeWindow, changeWindow } from './vendor-master';

/** The fields the HRIS writes (system-of-record.json, entity employee); the register refuses any other on a change. */
export const hrisEmployeeFields = [
  'firstName',
  'lastName',
  'displayName',
  'workEmail',
  'phone',
  'jobTitle',
  'department',
  'costCentre',
] as const;
type HrisEmployeeField = (typeof hrisEmployeeFields)[number];

/** The payroll and cost-accounting fields the ERP keeps (set by its own users, /_admin/employees/{number}/payroll). */
export const erpEmployeeFields = ['payrollGrade', 'costAccount'] as const;

/** An employee as the register answers it. */
export interface EmployeeView {
  employeeNumber: string;
  hrisId: string;
  firstName: string;
  lastName: string;
  displayName?: string;
  workEmail?: string;
  phone?: string;
  jobTitle?: string;
  department?: string;
  costCentre: string;
  payrollGrade?: string;
  costAccount?: string;
  startDate: string;
  terminationDate?: string;
  terminationReason?: string;
  /** As of today: ACTIVE, TERMINATION_SCHEDULED (a termination dated in the future) or TERMINATED. */
  status: 'ACTIVE' | 'TERMINATION_SCHEDULED' | 'TERMINATED';
  version: number;
  updatedAt: string;
}

/** A cost centre as the register answers it. */
export interface CostCentreView {
  code: string;
  name: string;
  status: 'OPEN' | 'CLOSED';
}

interface EmployeeRow {
  employee_number: string;
  hris_id: string;
  first_name: string;
  last_name: string;
  display_name: string | null;
  work_email: string | null;
  phone: string | null;
  job_title: string | null;
  department: string | null;
  cost_centre: string;
  payroll_grade: string | null;
  cost_account: string | null;
  start_date: string;
  termination_date: string | null;
  termination_reason: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

const columnOf: Record<HrisEmployeeField, string> = {
  firstName: 'first_name',
  lastName: 'last_name',
  displayName: 'display_name',
  workEmail: 'work_email',
  phone: 'phone',
  jobTitle: 'job_title',
  department: 'department',
  costCentre: 'cost_centre',
};

const schema = `
CREATE TABLE IF NOT EXISTS cost_centres (code TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS employees (employee_number TEXT PRIMARY KEY, hris_id TEXT NOT NULL UNIQUE, first_name TEXT NOT NULL,
  last_name TEXT NOT NULL, display_name TEXT, work_email TEXT, phone TEXT, job_title TEXT, department TEXT, cost_centre TEXT NOT NULL,
  payroll_grade TEXT, cost_account TEXT, start_date TEXT NOT NULL, termination_date TEXT, termination_reason TEXT,
  version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);`;

/** Cost centres every fresh sandbox books, so that hires have somewhere to go; CC-9000 is closed, for refusals. */
export const seedCostCentres: readonly CostCentreView[] = [
  { code: 'CC-1000', name: 'Engineering', status: 'OPEN' },
  { code: 'CC-2000', name: 'Sales', status: 'OPEN' },
  { code: 'CC-3000', name: 'Operations', status: 'OPEN' },
  { code: 'CC-9000', name: 'Retired programme', status: 'CLOSED' },
];

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const codePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

function invalid(message: string): never {
  throw new RefusalError('invalid_employee_change', message, 422);
}

function isoDate(value: unknown, name: string): string {
  if (typeof value !== 'string' || !datePattern.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    invalid(`${name} must be an ISO 8601 date (YYYY-MM-DD)`);
  return value;
}

function fieldText(value: unknown, name: string, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength)
    invalid(`${name} must be a non-empty string of at most ${maxLength} characters`);
  return value;
}

/**
 * The HRIS fields of a request, each checked; a field the ERP owns is refused by name (the HRIS may not write it),
 * and an unknown one as invalid, so that nothing is dropped silently.
 */
function hrisFields(value: unknown): Partial<Record<HrisEmployeeField, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid('fields must be an object');
  const fields: Partial<Record<HrisEmployeeField, string>> = {};
  const foreign = Object.keys(value).filter((name) =>
    (erpEmployeeFields as readonly string[]).includes(name),
  );
  if (foreign.length > 0)
    throw new RefusalError(
      'field_owned_by_erp',
      `The ERP owns ${foreign.join(', ')}: the HRIS may not change ${foreign.length > 1 ? 'them' : 'it'}`,
      422,
    );
  for (const [name, raw] of Object.entries(value)) {
    if (!(hrisEmployeeFields as readonly string[]).includes(name))
      invalid(`fields.${name} is not an employee field`);
    fields[name as HrisEmployeeField] = fieldText(raw, `fields.${name}`, name === 'displayName' ? 200 : 100);
  }
  return fields;
}

/** The employee register over the ledger's database: each call runs inside the caller's transaction. */
export class EmployeeRegister {
  constructor(
    private readonly ledger: LedgerHandle,
    private readonly today: () => string = () => new Date().toISOString().slice(0, 10),
  ) {
    ledger.db.exec(schema);
    const seeded = ledger.db.prepare('SELECT COUNT(*) AS n FROM cost_centres').get() as { n: number };
    if (seeded.n === 0)
      for (const centre of seedCostCentres) this.writeCostCentre(centre.code, centre.name, centre.status);
  }

  private get db() {
    return this.ledger.db;
  }

  private writeCostCentre(code: string, name: string, status: CostCentreView['status']): void {
    this.db
      .prepare(
        'INSERT INTO cost_centres (code, name, status, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET name = excluded.name, status = excluded.status, updated_at = excluded.updated_at',
      )
      .run(code, name, status, new Date().toISOString());
  }

  /** Creates or changes a cost centre (a controller's admin action). */
  putCostCentre(code: string, body: Record<string, unknown>, actor: string): CostCentreView {
    if (!codePattern.test(code)) invalid(`Cost centre code ${JSON.stringify(code)} is not valid`);
    const name = fieldText(body.name, 'name', 100);
    if (body.status !== 'OPEN' && body.status !== 'CLOSED') invalid('status must be OPEN or CLOSED');
    this.writeCostCentre(code, name, body.status);
    this.ledger.audit(actor, 'put', 'cost-centre', code, body);
    return { code, name, status: body.status };
  }

  /** Every cost centre, by code. */
  costCentres(): CostCentreView[] {
    return this.db
      .prepare('SELECT code, name, status FROM cost_centres ORDER BY code')
      .all() as CostCentreView[];
  }

  /** Refuses an assignment to a cost centre that does not exist or is closed. */
  private assertAssignable(code: string): void {
    const centre = this.db.prepare('SELECT status FROM cost_centres WHERE code = ?').get(code) as
      | { status: string }
      | undefined;
    if (!centre)
      throw new RefusalError('cost_centre_unknown', `Cost centre ${code} does not exist in the ERP`, 422);
    if (centre.status !== 'OPEN')
      throw new RefusalError('cost_centre_closed', `Cost centre ${code} is closed to new assignments`, 422);
  }

  private row(employeeNumber: string): EmployeeRow {
    const row = this.db.prepare('SELECT * FROM employees WHERE employee_number = ?').get(employeeNumber) as
      | EmployeeRow
      | undefined;
    if (!row) throw new NotFoundError(`No employee ${employeeNumber}`);
    return row;
  }

  private view(row: EmployeeRow): EmployeeView {
    const today = this.today();
    const status =
      row.termination_date === null
        ? 'ACTIVE'
        : row.termination_date < today
          ? 'TERMINATED'
          : 'TERMINATION_SCHEDULED';
    const optional = (name: keyof EmployeeView, value: string | null) =>
      value === null ? {} : { [name]: value };
    return {
      employeeNumber: row.employee_number,
      hrisId: row.hris_id,
      firstName: row.first_name,
      lastName: row.last_name,
      ...optional('displayName', row.display_name),
      ...optional('workEmail', row.work_email),
      ...optional('phone', row.phone),
      ...optional('jobTitle', row.job_title),
      ...optional('department', row.department),
      costCentre: row.cost_centre,
      ...optional('payrollGrade', row.payroll_grade),
      ...optional('costAccount', row.cost_account),
      startDate: row.start_date,
      ...optional('terminationDate', row.termination_date),
      ...optional('terminationReason', row.termination_reason),
      status,
      version: row.version,
      updatedAt: row.updated_at,
    } as EmployeeView;
  }

  /**
   * Hires: one employee per HRIS id, assigned to an open cost centre. Hiring an HRIS id the register already holds
   * answers that employee unchanged (the HRIS may send the same hire twice under different delivery ids).
   */
  hire(body: Record<string, unknown>, actor: string): EmployeeView {
    const hrisId = fieldText(body.hrisId, 'hrisId', 100);
    const startDate = isoDate(body.startDate, 'startDate');
    const fields = hrisFields(body.fields);
    const existing = this.db.prepare('SELECT * FROM employees WHERE hris_id = ?').get(hrisId) as
      | EmployeeRow
      | undefined;
    if (existing) return this.view(existing);
    for (const required of ['firstName', 'lastName', 'costCentre'] as const)
      if (fields[required] === undefined) invalid(`fields.${required} is required to hire`);
    this.assertAssignable(fields.costCentre as string);
    const number = this.ledger.next('employee', 'E');
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO employees (employee_number, hris_id, first_name, last_name, display_name, work_email, phone, job_title, department,
          cost_centre, start_date, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
      )
      .run(
        number,
        hrisId,
        fields.firstName,
        fields.lastName,
        fields.displayName ?? null,
        fields.workEmail ?? null,
        fields.phone ?? null,
        fields.jobTitle ?? null,
        fields.department ?? null,
        fields.costCentre,
        startDate,
        now,
        now,
      );
    this.ledger.audit(actor, 'hire', 'employee', number, { hrisId, startDate, fields: Object.keys(fields) });
    return this.view(this.row(number));
  }

  /** Changes HRIS-owned fields; a new cost centre must be open. A field the ERP owns is refused (field_owned_by_erp). */
  change(employeeNumber: string, body: Record<string, unknown>, actor: string): EmployeeView {
    const row = this.row(employeeNumber);
    const fields = hrisFields(body.fields);
    if (Object.keys(fields).length === 0) invalid('fields must name at least one field');
    if (fields.costCentre !== undefined && fields.costCentre !== row.cost_centre)
      this.assertAssignable(fields.costCentre);
    const entries = Object.entries(fields) as [HrisEmployeeField, string][];
    this.db
      .prepare(
        `UPDATE employees SET ${entries.map(([name]) => `${columnOf[name]} = ?`).join(', ')}, version = version + 1, updated_at = ? WHERE employee_number = ?`,
      )
      .run(...entries.map(([, value]) => value), new Date().toISOString(), employeeNumber);
    this.ledger.audit(actor, 'change', 'employee', employeeNumber, { fields: Object.keys(fields) });
    return this.view(this.row(employeeNumber));
  }

  /**
   * Dates the employee's termination (the last day employed). Not before the start date; a later termination
   * replaces an earlier-dated one (the HRIS corrected it), the same one changes nothing.
   */
  terminate(employeeNumber: string, body: Record<string, unknown>, actor: string): EmployeeView {
    const row = this.row(employeeNumber);
    const terminationDate = isoDate(body.terminationDate, 'terminationDate');
    const reason = body.reason === undefined ? null : fieldText(body.reason, 'reason', 200);
    if (terminationDate < row.start_date)
      throw new RefusalError(
        'termination_before_start',
        `Employee ${employeeNumber} starts on ${row.start_date}; a termination dated ${terminationDate} is before it`,
        422,
      );
    if (row.termination_date === terminationDate && row.termination_reason === reason) return this.view(row);
    this.db
      .prepare(
        'UPDATE employees SET termination_date = ?, termination_reason = ?, version = version + 1, updated_at = ? WHERE employee_number = ?',
      )
      .run(terminationDate, reason, new Date().toISOString(), employeeNumber);
    this.ledger.audit(actor, 'terminate', 'employee', employeeNumber, { terminationDate, reason });
    return this.view(this.row(employeeNumber));
  }

  /** Sets the ERP's own payroll and cost-accounting fields (a payroll user's admin action). */
  setPayroll(employeeNumber: string, body: Record<string, unknown>, actor: string): EmployeeView {
    this.row(employeeNumber);
    const grade =
      body.payrollGrade === undefined ? undefined : fieldText(body.payrollGrade, 'payrollGrade', 40);
    const account =
      body.costAccount === undefined ? undefined : fieldText(body.costAccount, 'costAccount', 40);
    if (grade === undefined && account === undefined) invalid('payrollGrade or costAccount is required');
    this.db
      .prepare(
        'UPDATE employees SET payroll_grade = COALESCE(?, payroll_grade), cost_account = COALESCE(?, cost_account), version = version + 1, updated_at = ? WHERE employee_number = ?',
      )
      .run(grade ?? null, account ?? null, new Date().toISOString(), employeeNumber);
    this.ledger.audit(actor, 'set-payroll', 'employee', employeeNumber, body);
    return this.view(this.row(employeeNumber));
  }

  /** The employee an HRIS id was hired as; NotFoundError when none. */
  findByHrisId(hrisId: string): EmployeeView {
    const row = this.db.prepare('SELECT * FROM employees WHERE hris_id = ?').get(hrisId) as
      | EmployeeRow
      | undefined;
    if (!row) throw new NotFoundError(`No employee for HRIS id ${hrisId}`);
    return this.view(row);
  }

  /**
   * Every employee, by number; or, given a window, those last changed in it (from inclusive, to exclusive): what a
   * reconciliation compares.
   */
  list(changed?: ChangeWindow): EmployeeView[] {
    const rows = changed
      ? this.db
          .prepare(
            'SELECT * FROM employees WHERE updated_at >= ? AND updated_at < ? ORDER BY employee_number',
          )
          .all(changed.from, changed.to)
      : this.db.prepare('SELECT * FROM employees ORDER BY employee_number').all();
    return (rows as EmployeeRow[]).map((row) => this.view(row));
  }
}

/**
 * The register's HTTP routes (docs/erp-sandbox.openapi.yaml): hires, changes and terminations are changes under an
 * Idempotency-Key, run by the server in one transaction; the admin routes are a controller's and a payroll user's.
 */
export function employeeRoutes(register: EmployeeRegister, ledger: LedgerHandle): SandboxRoute[] {
  return [
    {
      method: 'POST',
      pattern: /^\/employees$/,
      mutation: true,
      handler: (_m, body, _q, actor) => register.hire(body, actor),
    },
    {
      method: 'GET',
      pattern: /^\/employees$/,
      mutation: false,
      handler: (_m, _b, query) => {
        const hrisId = query.get('hrisId');
        return hrisId === null
          ? { employees: register.list(changeWindow(query)) }
          : register.findByHrisId(hrisId);
      },
    },
    {
      method: 'POST',
      pattern: /^\/employees\/([^/]+)\/changes$/,
      mutation: true,
      handler: (m, body, _q, actor) => register.change(pathParameter(m), body, actor),
    },
    {
      method: 'POST',
      pattern: /^\/employees\/([^/]+)\/termination$/,
      mutation: true,
      handler: (m, body, _q, actor) => register.terminate(pathParameter(m), body, actor),
    },
    {
      method: 'GET',
      pattern: /^\/cost-centres$/,
      mutation: false,
      handler: () => ({ costCentres: register.costCentres() }),
    },
    {
      method: 'PUT',
      pattern: /^\/_admin\/cost-centres\/([^/]+)$/,
      mutation: false,
      handler: (m, body, _q, actor) =>
        ledger.transaction(() => register.putCostCentre(pathParameter(m), body, actor)),
    },
    {
      method: 'PUT',
      pattern: /^\/_admin\/employees\/([^/]+)\/payroll$/,
      mutation: false,
      handler: (m, body, _q, actor) =>
        ledger.transaction(() => register.setPayroll(pathParameter(m), body, actor)),
    },
  ];
}
