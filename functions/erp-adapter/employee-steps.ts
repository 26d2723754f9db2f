/**
 * employee-sync's ERP steps: a hire onto the ERP's employee register with its cost-centre assignment, a change of the
 * fields the HRIS owns, and a dated termination. A change or termination for an employee the ERP has not hired yet
 * is held by the workflow (EmployeeNotYetKnownError), as an amendment that arrives before its order is.
 */

import {
  type EmployeeFields,
  type EmployeeRecord,
  type ErpEmployeePort,
  hrisOwnedEmployeeFields,
} from '../shared/erp/erp-employee-port';
import { ErpRefusedError } from '../shared/erp/erp-errors';
import { ConcordError } from '../shared/errors';
import type { ErpEmployeeSyncedV1 } from '../shared/generated/types';
import { loadSystemOfRecord, type SystemOfRecord } from '../shared/governance/system-of-record';
import {
  changeResolvingLostAnswers,
  type LostAnswerObserver,
  type ResolutionBudget,
} from './resolve-outcome';
import { requiredText } from './step-input';

/** The operations this module performs for the ERP adapter. */
export const employeeOperations = ['hireEmployee', 'changeEmployee', 'terminateEmployee'] as const;
/** One employee operation. */
export type EmployeeOperation = (typeof employeeOperations)[number];

/** The employee a change or termination is about is not in the ERP yet: the flow holds it and tries again. */
export class EmployeeNotYetKnownError extends ConcordError {
  override readonly name = 'EmployeeNotYetKnownError';
}

/** What erp-steps.ts lends a step: the ERP's register, the step's idempotency key and its announcer. */
export interface EmployeeStepContext {
  employees: ErpEmployeePort | undefined;
  /** The step's key (stepIdempotencyKey): the ERP commits each change once under it, and a lost answer is read back by it. */
  idempotencyKey: string;
  /** How long a lost answer is looked for before the unknown outcome goes back to the workflow. */
  resolution?: ResolutionBudget;
  /** Told what a lost answer turned out to be (the LostAnswersResolved metric). */
  onLostAnswerResolved?: LostAnswerObserver;
  /** Publishes erp.employee.synced.v1 about employee/<hrisEmployeeId> (one id per step: repeats are deduplicated downstream). */
  announce(data: ErpEmployeeSyncedV1): Promise<void>;
  now(): Date;
  /** The system-of-record registry (loaded from schemas/governance/system-of-record.json unless given). */
  systemOfRecord?: SystemOfRecord;
}

/** What one step did to the employee, as erp.employee.synced.v1 announces it. */
export interface SyncDetails {
  action: 'hired' | 'changed' | 'terminated';
  appliedFields: string[];
  refusedFields: string[];
}

let registry: SystemOfRecord | undefined;

/** The registry, loaded (and checked) once per container. */
function defaultRegistry(): SystemOfRecord {
  registry ??= loadSystemOfRecord();
  return registry;
}

/**
 * Splits what the HRIS reported into the fields it may write and those it may not: a field the registry gives to
 * another system, or one it does not know, is refused by name; nothing is dropped silently.
 */
export function classifyEmployeeFields(
  input: Record<string, unknown>,
  systemOfRecord: SystemOfRecord,
): { fields: EmployeeFields; refused: string[] } {
  const raw = input.fields ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ErpRefusedError('invalid_step_input', 'Step input fields must be an object');
  const foreign = input.foreignChanges ?? [];
  if (!Array.isArray(foreign) || foreign.some((field) => typeof field !== 'string'))
    throw new ErpRefusedError(
      'invalid_step_input',
      'Step input foreignChanges must be a list of field names',
    );
  const fields: EmployeeFields = {};
  const refused = new Set<string>();
  const ownedByHris = (field: string) => {
    try {
      return (
        systemOfRecord.ownerOf('employee', field) === 'hr' &&
        (hrisOwnedEmployeeFields as readonly string[]).includes(field)
      );
    } catch {
      return false;
    }
  };
  for (const [field, value] of Object.entries(raw)) {
    if (!ownedByHris(field)) refused.add(field);
    else if (typeof value === 'string' && value !== '') fields[field as keyof EmployeeFields] = value;
    else
      throw new ErpRefusedError(
        'invalid_step_input',
        `Step input fields.${field} must be a non-empty string`,
      );
  }
  for (const field of foreign as string[]) if (!ownedByHris(field)) refused.add(field);
  return { fields, refused: [...refused].sort() };
}

function registerOf(context: EmployeeStepContext): ErpEmployeePort {
  if (!context.employees)
    throw new ErpRefusedError(
      'employees_not_supported',
      'The ERP connector has no employee register (ErpEmployeePort): employee-sync cannot run against it',
    );
  return context.employees;
}

async function knownEmployee(employees: ErpEmployeePort, hrisId: string): Promise<EmployeeRecord> {
  const employee = await employees.findEmployee(hrisId);
  if (!employee) throw new EmployeeNotYetKnownError(`Employee ${hrisId} has not been hired in the ERP yet`);
  return employee;
}

/** The authoritative event's data: the employee as the ERP books it after the step. */
export function employeeSyncedData(
  employee: EmployeeRecord,
  details: SyncDetails,
  now: Date,
): ErpEmployeeSyncedV1 {
  const optional = <K extends keyof EmployeeRecord>(name: K) =>
    employee[name] === undefined ? {} : { [name]: employee[name] };
  return {
    employeeNumber: employee.employeeNumber,
    hrisEmployeeId: employee.hrisId,
    action: details.action,
    ...optional('firstName'),
    ...optional('lastName'),
    ...optional('displayName'),
    ...optional('workEmail'),
    ...optional('phone'),
    ...optional('jobTitle'),
    ...optional('department'),
    costCentre: employee.costCentre,
    startDate: employee.startDate,
    ...optional('terminationDate'),
    status: employee.status,
    erpVersion: employee.version,
    appliedFields: details.appliedFields,
    refusedFields: details.refusedFields,
    syncedAt: now.toISOString(),
  };
}

function outcome(employee: EmployeeRecord, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    employeeNumber: employee.employeeNumber,
    costCentre: employee.costCentre,
    status: employee.status,
    ...extra,
  };
}

/** What every employee operation works with: the register, the registry, the employee and the step's commit. */
interface EmployeeStepRun {
  employees: ErpEmployeePort;
  systemOfRecord: SystemOfRecord;
  hrisId: string;
  input: Record<string, unknown>;
  context: EmployeeStepContext;
  /** Sends a change under the step's key; unknown is never read as not done (resolve-outcome.ts). */
  commit<T>(change: (key: string) => Promise<T>): Promise<T>;
}

/** hireEmployee: the HRIS hire onto the register with its cost-centre assignment, announced once. */
async function hireEmployee(run: EmployeeStepRun): Promise<Record<string, unknown>> {
  const { employees, hrisId, input, context } = run;
  const { fields, refused } = classifyEmployeeFields(input, run.systemOfRecord);
  const startDate = requiredText(input, 'startDate');
  // The ERP answers the employee it already holds for a hire sent twice; reading first keeps a second hire
  // (the HRIS re-sent joined) from announcing the hire again as if it were new.
  const existing = await employees.findEmployee(hrisId);
  if (existing) return outcome(existing, { alreadyHired: true, refused });
  const employee = await run.commit((key) => employees.hireEmployee({ hrisId, startDate, fields }, key));
  await context.announce(
    employeeSyncedData(
      employee,
      { action: 'hired', appliedFields: Object.keys(fields).sort(), refusedFields: refused },
      context.now(),
    ),
  );
  return outcome(employee, { refused });
}

/** changeEmployee: the HRIS-owned fields changed on a hired employee; nothing to write answers `unchanged`. */
async function changeEmployee(run: EmployeeStepRun): Promise<Record<string, unknown>> {
  const { employees, hrisId, input, context } = run;
  const { fields, refused } = classifyEmployeeFields(input, run.systemOfRecord);
  const existing = await knownEmployee(employees, hrisId);
  if (Object.keys(fields).length === 0) return outcome(existing, { refused, unchanged: true });
  const employee = await run.commit((key) =>
    employees.changeEmployee(existing.employeeNumber, { fields }, key),
  );
  await context.announce(
    employeeSyncedData(
      employee,
      { action: 'changed', appliedFields: Object.keys(fields).sort(), refusedFields: refused },
      context.now(),
    ),
  );
  return outcome(employee, { refused });
}

/** terminateEmployee: a dated termination of a hired employee, announced. */
async function terminateEmployee(run: EmployeeStepRun): Promise<Record<string, unknown>> {
  const { employees, hrisId, input, context } = run;
  const terminationDate = requiredText(input, 'terminationDate');
  const reason = typeof input.reason === 'string' && input.reason !== '' ? input.reason : undefined;
  const existing = await knownEmployee(employees, hrisId);
  const employee = await run.commit((key) =>
    employees.terminateEmployee(
      existing.employeeNumber,
      { terminationDate, ...(reason ? { reason } : {}) },
      key,
    ),
  );
  await context.announce(
    employeeSyncedData(
      employee,
      { action: 'terminated', appliedFields: ['terminationDate'], refusedFields: [] },
      context.now(),
    ),
  );
  return outcome(employee, { terminationDate: employee.terminationDate, refused: [] });
}

const employeeSteps: Readonly<
  Record<EmployeeOperation, (run: EmployeeStepRun) => Promise<Record<string, unknown>>>
> = { hireEmployee, changeEmployee, terminateEmployee };

/** Runs one employee step; returns what the workflow continues with. Errors keep their class names for Retry/Catch. */
export async function runEmployeeStep(
  operation: EmployeeOperation,
  input: Record<string, unknown>,
  context: EmployeeStepContext,
): Promise<Record<string, unknown>> {
  const employees = registerOf(context);
  return employeeSteps[operation]({
    employees,
    systemOfRecord: context.systemOfRecord ?? defaultRegistry(),
    hrisId: requiredText(input, 'hrisEmployeeId'),
    input,
    context,
    commit: (change) =>
      changeResolvingLostAnswers(
        employees,
        context.idempotencyKey,
        () => change(context.idempotencyKey),
        context.resolution,
        context.onLostAnswerResolved,
      ),
  });
}
