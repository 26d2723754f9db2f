/**
 * The ERP adapter's employee-sync and supplier-sync operations: each hands its step to the domain module that holds
 * its rules (employee-steps.ts, vendor-steps.ts), lending it the port, the step's commit and announcer.
 */

import { type EmployeeOperation, runEmployeeStep } from '../employee-steps';
import type { OperationHandler, StepContext } from '../erp-step';
import { runVendorStep, supplierSyncedData } from '../vendor-steps';

function employeeHandler(operation: EmployeeOperation): OperationHandler {
  return ({ input, deps, idempotencyKey, announce, lostAnswerResolved }: StepContext) =>
    runEmployeeStep(operation, input, {
      employees: deps.employees,
      idempotencyKey,
      resolution: deps.resolution,
      onLostAnswerResolved: lostAnswerResolved,
      announce: (data) => announce('erp.employee.synced.v1', `employee/${data.hrisEmployeeId}`, data),
      now: deps.now,
    });
}

/** hireEmployee: an HRIS hire onto the ERP's employee register, announced as erp.employee.synced.v1. */
export const hireEmployee = employeeHandler('hireEmployee');
/** changeEmployee: the HRIS-owned fields of a hired employee changed in the ERP, announced. */
export const changeEmployee = employeeHandler('changeEmployee');
/** terminateEmployee: a dated termination in the ERP, announced. */
export const terminateEmployee = employeeHandler('terminateEmployee');

/**
 * upsertVendor: a procurement platform supplier onto the ERP's vendor master, announced as erp.supplier.synced.v1.
 * A lost answer is read back from the vendor master (the ERP port where the ERP has none, which refuses the step).
 */
export const upsertVendor: OperationHandler = ({ input, deps, idempotencyKey, commit, announce }) =>
  runVendorStep('upsertVendor', input, {
    vendors: deps.vendors,
    commit: (change) => commit(() => change(idempotencyKey), deps.vendors ?? deps.erp),
    announce: (vendor, details) =>
      announce(
        'erp.supplier.synced.v1',
        `supplier/${vendor.sourceSupplierId}`,
        supplierSyncedData(vendor, details, deps.now().toISOString()),
      ),
  });
