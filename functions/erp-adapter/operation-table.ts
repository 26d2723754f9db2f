/**
 * The table from operation name to handler: the one place an ERP operation is registered. Typed over ErpOperation, so
 * an operation named in erp-operations.ts without a handler (or a handler without a name) does not compile.
 */

import type { ErpOperation } from './erp-operations';
import type { OperationHandler } from './erp-step';
import { findCustomer, resolveCustomer, upsertCustomer } from './operations/customer-operations';
import { applyPayment, postInvoice, refund } from './operations/finance-operations';
import {
  changeEmployee,
  hireEmployee,
  terminateEmployee,
  upsertVendor,
} from './operations/master-data-operations';
import {
  cancelPurchaseOrder,
  checkPurchaseOrder,
  createPurchaseOrder,
  emitPurchaseOrderRefused,
  releasePurchaseOrder,
} from './operations/purchase-order-operations';
import {
  amendSalesOrder,
  awaitSalesOrder,
  cancelSalesOrder,
  checkCredit,
  createSalesOrder,
  emitRejected,
  quote,
  releaseInventory,
  reserveInventory,
} from './operations/sales-order-operations';

/** Every operation's handler, keyed by the name the state machines send. */
export const operationHandlers: Readonly<Record<ErpOperation, OperationHandler>> = {
  resolveCustomer,
  findCustomer,
  upsertCustomer,
  quote,
  checkCredit,
  reserveInventory,
  releaseInventory,
  createSalesOrder,
  awaitSalesOrder,
  amendSalesOrder,
  cancelSalesOrder,
  emitRejected,
  postInvoice,
  applyPayment,
  refund,
  hireEmployee,
  changeEmployee,
  terminateEmployee,
  upsertVendor,
  checkPurchaseOrder,
  createPurchaseOrder,
  releasePurchaseOrder,
  cancelPurchaseOrder,
  emitPurchaseOrderRefused,
};

/** The handler of `operation`, or undefined when the adapter has none (an own key only: never `toString`). */
export function handlerOf(operation: unknown): OperationHandler | undefined {
  return typeof operation === 'string' && Object.hasOwn(operationHandlers, operation)
    ? operationHandlers[operation as ErpOperation]
    : undefined;
}
