/**
 * procure-to-pay's ERP steps: a procurement platform's purchase order checked against the vendor master and the cost
 * centre's budget, booked and released in the ERP under the step's idempotency key, cancelled when a later step
 * refuses it, and announced as erp.purchase-order.released.v1 or erp.purchase-order.refused.v1.
 */
import { formatDecimal, parseDecimal } from '../shared/decimal';
import { ErpRefusedError } from '../shared/erp/erp-errors';
import {
  type ErpPurchasingPort,
  type PurchaseOrder,
  type PurchaseOrderLineRequest,
  purchaseOrderSnapshot,
} from '../shared/erp/erp-purchasing-port';
import type { CanonicalDataByType } from '../shared/generated/types';

/** The operations this module performs for the ERP adapter. */
export const purchaseOrderOperations = [
  'checkPurchaseOrder',
  'createPurchaseOrder',
  'releasePurchaseOrder',
  'cancelPurchaseOrder',
  'emitPurchaseOrderRefused',
] as const;
/** One purchase-order operation. */
export type PurchaseOrderOperation = (typeof purchaseOrderOperations)[number];

/** The operations that only read the ERP (no idempotency record, no change). */
export const purchaseOrderReadOperations: readonly PurchaseOrderOperation[] = ['checkPurchaseOrder'];

/** The events this module announces. */
export type PurchaseOrderEventType = 'erp.purchase-order.released.v1' | 'erp.purchase-order.refused.v1';

/** What erp-steps.ts lends the steps: the ERP's purchasing, the step's commit (lost answers resolved), its announcer. */
export interface PurchaseOrderStepContext {
  purchasing: ErpPurchasingPort | undefined;
  /** Sends a change under the step's idempotency key, resolving a lost answer by reading the ERP under that key. */
  commit<T>(change: (idempotencyKey: string) => Promise<T>): Promise<T>;
  /** Publishes an event about the order (one id per step and type: a repeat is deduplicated downstream). */
  announce<T extends PurchaseOrderEventType>(
    type: T,
    subject: string,
    data: CanonicalDataByType[T],
  ): Promise<void>;
  /** The platform the order came from (origin URI): the ERP keeps it as the order's channel. */
  origin?: string;
  now(): Date;
}

function invalidInput(message: string): never {
  throw new ErpRefusedError('invalid_step_input', message);
}

function text(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    invalidInput(`Step input ${name} must be a non-empty string`);
  return value;
}

function linesOf(input: Record<string, unknown>): PurchaseOrderLineRequest[] {
  const lines = input.lines;
  if (
    !Array.isArray(lines) ||
    lines.length === 0 ||
    lines.some(
      (line) =>
        line === null ||
        typeof line !== 'object' ||
        typeof line.description !== 'string' ||
        !Number.isSafeInteger(line.quantity) ||
        line.quantity < 1 ||
        typeof line.unitPrice !== 'string',
    )
  )
    invalidInput('Step input lines must be a non-empty list of { description, quantity, unitPrice }');
  return lines as PurchaseOrderLineRequest[];
}

/** The order's total as the ERP computes it: quantity × unit price over the lines, exactly. */
export function purchaseOrderTotal(lines: readonly PurchaseOrderLineRequest[]): string {
  try {
    return formatDecimal(
      lines.reduce((sum, line) => sum + BigInt(line.quantity) * parseDecimal(line.unitPrice), 0n),
    );
  } catch (error) {
    return invalidInput(`Step input lines carry an amount that is not decimal: ${(error as Error).message}`);
  }
}

function subjectOf(sourcePurchaseOrderId: string): string {
  return `purchase-order/${sourcePurchaseOrderId}`;
}

function outcome(order: PurchaseOrder): Record<string, unknown> {
  return { poNumber: order.poNumber, status: order.status, total: order.total, version: order.version };
}

/** Runs one purchase-order step; returns what the workflow continues with. Errors keep their class names for Retry/Catch. */
export async function runPurchaseOrderStep(
  operation: PurchaseOrderOperation,
  input: Record<string, unknown>,
  context: PurchaseOrderStepContext,
): Promise<Record<string, unknown>> {
  const purchasing = context.purchasing;
  if (!purchasing)
    throw new ErpRefusedError(
      'purchasing_not_supported',
      'The ERP connector has no purchasing (ErpPurchasingPort): procure-to-pay cannot run against it',
    );
  switch (operation) {
    case 'checkPurchaseOrder': {
      // An order the ERP already holds (a redriven transaction, a re-sent order) is not checked again: its own amount
      // is committed now, and checking it against the rest of the budget would refuse an order already placed.
      const existing = await purchasing.findPurchaseOrder(text(input, 'sourcePurchaseOrderId'));
      if (existing?.status === 'CANCELLED')
        return {
          verdict: 'already_cancelled',
          reason: `Purchase order ${existing.poNumber} was booked for this order and cancelled`,
          poNumber: existing.poNumber,
        };
      if (existing)
        return {
          verdict: 'ok',
          reason: 'already booked',
          poNumber: existing.poNumber,
          status: existing.status,
        };
      // The verdict is the ERP's, answered not thrown: the workflow branches on it and refuses visibly.
      const check = await purchasing.checkPurchaseOrder({
        sourceSupplierId: text(input, 'sourceSupplierId'),
        costCentre: text(input, 'costCentre'),
        currency: text(input, 'currency'),
        total: purchaseOrderTotal(linesOf(input)),
      });
      return { ...check };
    }
    case 'createPurchaseOrder': {
      const order = await context.commit((key) =>
        purchasing.createPurchaseOrder(
          {
            sourcePurchaseOrderId: text(input, 'sourcePurchaseOrderId'),
            sourceSupplierId: text(input, 'sourceSupplierId'),
            costCentre: text(input, 'costCentre'),
            currency: text(input, 'currency'),
            lines: linesOf(input),
            ...(context.origin ? { channel: context.origin } : {}),
          },
          key,
        ),
      );
      return outcome(order);
    }
    case 'releasePurchaseOrder': {
      const order = await context.commit((key) =>
        purchasing.releasePurchaseOrder(text(input, 'poNumber'), key),
      );
      await context.announce('erp.purchase-order.released.v1', subjectOf(order.sourcePurchaseOrderId), {
        poNumber: order.poNumber,
        sourcePurchaseOrderId: order.sourcePurchaseOrderId,
        purchaseOrder: purchaseOrderSnapshot(order),
        releasedAt: context.now().toISOString(),
      });
      return outcome(order);
    }
    case 'cancelPurchaseOrder': {
      const reason = typeof input.reason === 'string' && input.reason !== '' ? input.reason : 'other';
      const order = await context.commit((key) =>
        purchasing.cancelPurchaseOrder(text(input, 'poNumber'), { reason: reason.slice(0, 200) }, key),
      );
      return outcome(order);
    }
    case 'emitPurchaseOrderRefused': {
      const sourcePurchaseOrderId = text(input, 'sourcePurchaseOrderId');
      const poNumber =
        typeof input.poNumber === 'string' && input.poNumber !== '' ? input.poNumber : undefined;
      // The order as the ERP holds it after the compensation, so that the warehouse sees it cancelled.
      const order = poNumber ? await purchasing.findPurchaseOrder(sourcePurchaseOrderId) : undefined;
      const compensated = input.compensated ?? [];
      if (!Array.isArray(compensated) || compensated.some((step) => typeof step !== 'string'))
        invalidInput('Step input compensated must be a list of step names');
      await context.announce('erp.purchase-order.refused.v1', subjectOf(sourcePurchaseOrderId), {
        sourcePurchaseOrderId,
        ...(poNumber ? { poNumber } : {}),
        reasonCode: text(input, 'reasonCode'),
        reason: String(input.reason ?? '').slice(0, 2000),
        ...(typeof input.failedStep === 'string' && input.failedStep !== ''
          ? { failedStep: input.failedStep }
          : {}),
        compensated,
        ...(order ? { purchaseOrder: purchaseOrderSnapshot(order) } : {}),
        refusedAt: context.now().toISOString(),
      });
      return { refused: true, ...(order ? { poNumber: order.poNumber, status: order.status } : {}) };
    }
  }
}
