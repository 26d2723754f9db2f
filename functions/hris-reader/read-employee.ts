/**
 * employee-sync's HRIS step: the values a hire or a change needs, read from the HRIS because its webhook carried
 * only ids. A hire reads every HRIS-owned field; a change reads the fields it reported, split by ownership.
 */
import { ErpRefusedError } from '../shared/erp/erp-errors';
import type { HrisPort } from '../shared/hris/hris-port';

/** The step's request, as the state machine passes it. */
export interface HrisReadRequest {
  operation: 'readHire' | 'readChange';
  hrisEmployeeId: string;
  /** For readChange: the HRIS field ids the change reported (hr.employee.changed `changedFields`). */
  changedFields?: string[];
}

/** Reads what the step needs; invalid requests are refused (ErpRefusedError: the workflow does not retry them). */
export async function readEmployee(
  request: HrisReadRequest,
  hris: HrisPort,
): Promise<Record<string, unknown>> {
  if (typeof request?.hrisEmployeeId !== 'string' || request.hrisEmployeeId === '')
    throw new ErpRefusedError('invalid_step_input', 'hrisEmployeeId must be a non-empty string');
  if (request.operation === 'readHire') {
    const employee = await hris.readEmployee(request.hrisEmployeeId);
    return { fields: employee.fields, foreignChanges: [], ignoredFields: [] };
  }
  if (request.operation === 'readChange') {
    const changed = request.changedFields;
    if (!Array.isArray(changed) || changed.length === 0 || changed.some((field) => typeof field !== 'string'))
      throw new ErpRefusedError('invalid_step_input', 'changedFields must be a non-empty list of field ids');
    return { ...(await hris.readChangedFields(request.hrisEmployeeId, changed)) };
  }
  throw new ErpRefusedError(
    'invalid_step_input',
    `Not an HRIS read: ${JSON.stringify(request)?.slice(0, 200)}`,
  );
}
