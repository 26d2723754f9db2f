/** The HRIS port: what employee-sync reads from an HRIS whose webhooks carry ids but no values (HiBob v2). */

import type { EmployeeFields } from '../erp/erp-employee-port';
import { ConcordError } from '../errors';

/** An employee's current values in the HRIS, by canonical field (only those the HRIS holds and lets Concord read). */
export interface HrisEmployee {
  hrisEmployeeId: string;
  fields: EmployeeFields;
}

/** What the HRIS reported as changed, in canonical terms. */
export interface ChangedFieldsReading {
  /** Canonical fields the HRIS owns, with their current values. */
  fields: EmployeeFields;
  /** Canonical fields the HRIS changed that another system owns (refused visibly, never applied). */
  foreignChanges: string[];
  /** HRIS field ids the ERP keeps nothing of (a site, a manager): not synced, and said so. */
  ignoredFields: string[];
}

/** Reads an HRIS. */
export interface HrisPort {
  /** The employee's current HRIS-owned values; HrisEmployeeNotFoundError when the HRIS has no such employee. */
  readEmployee(hrisEmployeeId: string): Promise<HrisEmployee>;
  /** The current values of the fields a change reported (its HRIS field ids), split by ownership. */
  readChangedFields(
    hrisEmployeeId: string,
    changedFieldIds: readonly string[],
  ): Promise<ChangedFieldsReading>;
}

/** The HRIS has no employee with this id (deleted, or the service user may not see them). */
export class HrisEmployeeNotFoundError extends ConcordError {
  override readonly name = 'HrisEmployeeNotFoundError';
}

/** The HRIS could not be read (down, throttling, credentials refused): retried by the workflow. */
export class HrisUnavailableError extends ConcordError {
  override readonly name = 'HrisUnavailableError';
}
