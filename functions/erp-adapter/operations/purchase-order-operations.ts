/**
 * The ERP adapter's procure-to-pay operations: each hands its step to purchase-order-steps.ts, which holds the rules,
 * lending it the ERP's purchasing, the step's commit (lost answers read back from purchasing) and announcer.
 */
import type { OperationHandler, StepContext } from '../erp-step';
import { type PurchaseOrderOperation, runPurchaseOrderStep } from '../purchase-order-steps';

function purchaseOrderHandler(operation: PurchaseOrderOperation): OperationHandler {
  return ({ step, input, deps, idempotencyKey, commit, announce }: StepContext) =>
    runPurchaseOrderStep(operation, input, {
      purchasing: deps.purchasing,
      commit: (change) => commit(() => change(idempotencyKey), deps.purchasing ?? deps.erp),
      announce: (type, subject, data) => announce(type, subject, data),
      ...(step.origin ? { origin: step.origin } : {}),
      now: deps.now,
    });
}

/** checkPurchaseOrder: the vendor and the cost centre's budget checked for the order (read-only; a verdict). */
export const checkPurchaseOrder = purchaseOrderHandler('checkPurchaseOrder');
/** createPurchaseOrder: the order booked in the ERP under the step's key. */
export const createPurchaseOrder = purchaseOrderHandler('createPurchaseOrder');
/** releasePurchaseOrder: the booked order released, announced as erp.purchase-order.released.v1. */
export const releasePurchaseOrder = purchaseOrderHandler('releasePurchaseOrder');
/** cancelPurchaseOrder: the booked order cancelled (the compensation when a later step refuses it). */
export const cancelPurchaseOrder = purchaseOrderHandler('cancelPurchaseOrder');
/** emitPurchaseOrderRefused: announces erp.purchase-order.refused.v1 with the order as the ERP holds it. */
export const emitPurchaseOrderRefused = purchaseOrderHandler('emitPurchaseOrderRefused');
