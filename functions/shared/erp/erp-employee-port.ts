/**
 * The ERP's employee capabilities: the employee register and its cost-centre assignment. A port of its own beside
 * ErpPort, so that an ERP connector without an HR module still implements ErpPort whole.
 */
import type { ChangeLookup } from './erp-port';

/** The employee fields the HRIS owns (schemas/governance/system-of-record.json, entity employee). */
export const hrisOwnedEmployeeFields = [
  'firstName',
  'lastName',
  'displayName',
  'workEmail',
  'phone',
  'jobTitle',
  'department',
  'costCentre',
] as const;
/** One HRIS-owned employee field. */
export type HrisOwnedEmployeeField = (typeof hrisOwnedEmployeeFields)[number];

/** The HRIS-owned values a hire or a change carries. */
export type EmployeeFields = Partial<Record<HrisOwnedEmployeeField, string>>;

/** An employee as the ERP holds it. */
export interface EmployeeRecord {
  employeeNumber: string;
  /** The HRIS's id of the employee. */
  hrisId: string;
  firstName: string;
  lastName: string;
  displayName?: string;
  workEmail?: string;
  phone?: string;
  jobTitle?: string;
  department?: string;
  costCentre: string;
  /** ERP-owned: payroll. */
  payrollGrade?: string;
  /** ERP-owned: cost accounting. */
  costAccount?: string;
  startDate: string;
  /** The last day employed, once the HRIS terminated the employee. */
  terminationDate?: string;
  terminationReason?: string;
  status: 'ACTIVE' | 'TERMINATION_SCHEDULED' | 'TERMINATED';
  version: number;
  updatedAt: string;
}

/** The ERP's employee register. Every change carries an idempotency key; lost answers are read back with lookupChange. */
export interface ErpEmployeePort {
  /** Hires into an open cost centre; the same HRIS id hired again answers the employee already held. */
  hireEmployee(
    request: { hrisId: string; startDate: string; fields: EmployeeFields },
    idempotencyKey: string,
  ): Promise<EmployeeRecord>;
  /** Changes HRIS-owned fields; a new cost centre must exist and be open. */
  changeEmployee(
    employeeNumber: string,
    request: { fields: EmployeeFields },
    idempotencyKey: string,
  ): Promise<EmployeeRecord>;
  /** Dates the employee's termination (the last day employed). */
  terminateEmployee(
    employeeNumber: string,
    request: { terminationDate: string; reason?: string },
    idempotencyKey: string,
  ): Promise<EmployeeRecord>;
  /** The employee hired for an HRIS id, if any. */
  findEmployee(hrisId: string): Promise<EmployeeRecord | undefined>;
  /** Every employee in the register; given a window, those whose latest change lies in it (from inclusive, to exclusive). */
  listEmployees(changed?: { fromIso: string; toIso: string }): Promise<EmployeeRecord[]>;
  lookupChange(idempotencyKey: string): Promise<ChangeLookup>;
}
