/** The names of the operations the ERP adapter performs, as the state machines send them in `operation`. */
import { employeeOperations } from './employee-steps';
import { purchaseOrderOperations, purchaseOrderReadOperations } from './purchase-order-steps';
import { vendorOperations } from './vendor-steps';

/** Every operation the adapter performs; operation-table.ts has one handler for each. */
export const erpOperations = [
  'resolveCustomer',
  'findCustomer',
  'awaitSalesOrder',
  'checkCredit',
  'quote',
  'reserveInventory',
  'releaseInventory',
  'createSalesOrder',
  'amendSalesOrder',
  'cancelSalesOrder',
  'postInvoice',
  'applyPayment',
  'refund',
  'upsertCustomer',
  'emitRejected',
  ...employeeOperations,
  ...vendorOperations,
  ...purchaseOrderOperations,
] as const;
/** One operation the adapter performs. */
export type ErpOperation = (typeof erpOperations)[number];

/** Whether a value names an operation the adapter performs. */
export function isErpOperation(value: unknown): value is ErpOperation {
  return (erpOperations as readonly unknown[]).includes(value);
}

/** Operations that only read the ERP; every other one changes it (or publishes) and runs once per idempotency key. */
const readOnlyOperations: ReadonlySet<ErpOperation> = new Set([
  'findCustomer',
  'awaitSalesOrder',
  'checkCredit',
  'quote',
  ...purchaseOrderReadOperations,
]);

/** Operations the handler runs under a Powertools idempotency record, keyed by stepIdempotencyKey. */
export const mutatingOperations: ReadonlySet<ErpOperation> = new Set(
  erpOperations.filter((operation) => !readOnlyOperations.has(operation)),
);
