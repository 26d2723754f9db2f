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
import { invalidStepInput, optionalNonEmptyText, requiredText, type StepInput, textList } from './step-input';

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

function linesOf(input: StepInput): PurchaseOrderLineRequest[] {
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
    invalidStepInput('Step input lines must be a non-empty list of { description, quantity, unitPrice }');
  return lines as PurchaseOrderLineRequest[];
}

/** The order's total as the ERP computes it: quantity × unit price over the lines, exactly. */
export function purchaseOrderTotal(lines: readonly PurchaseOrderLineRequest[]): string {
  try {
    return formatDecimal(
      lines.reduce((sum, line) => sum + BigInt(line.quantity) * parseDecimal(line.unitPrice), 0n),
    );
  } catch (error) {
    return invalidStepInput(
      `Step input lines carry an amount that is not decimal: ${(error as Error).message}`,
    );
  }
}

function subjectOf(sourcePurchaseOrderId: string): string {
  return `purchase-order/${sourcePurchaseOrderId}`;
}

function outcome(order: PurchaseOrder): Record<string, unknown> {
  return { poNumber: order.poNumber, status: order.status, total: order.total, version: order.version };
}

/** The ERP's purchasing, or a refusal: an ERP without purchasing cannot run procure-to-pay. */
function purchasingOf(context: PurchaseOrderStepContext): ErpPurchasingPort {
  if (!context.purchasing)
    throw new ErpRefusedError(
      'purchasing_not_supported',
      'The ERP connector has no purchasing (ErpPurchasingPort): procure-to-pay cannot run against it',
    );
  return context.purchasing;
}

/** One purchase-order operation, given the ERP's purchasing. */
type PurchaseOrderStep = (
  purchasing: ErpPurchasingPort,
  input: StepInput,
  context: PurchaseOrderStepContext,
) => Promise<Record<string, unknown>>;

/**
 * checkPurchaseOrder: the ERP's verdict on the vendor and the cost centre's budget, answered not thrown: the workflow
 * branches on it and refuses visibly.
 */
const checkPurchaseOrder: PurchaseOrderStep = async (purchasing, input) => {
  // An order the ERP already holds (a redriven transaction, a re-sent order) is not checked again: its own amount
  // is committed now, and checking it against the rest of the budget would refuse an order already placed.
  const existing = await purchasing.findPurchaseOrder(requiredText(input, 'sourcePurchaseOrderId'));
  if (existing?.status === 'CANCELLED')
    return {
      verdict: 'already_cancelled',
      reason: `Purchase order ${existing.poNumber} was booked for this order and cancelled`,
      poNumber: existing.poNumber,
    };
  if (existing)
    return { verdict: 'ok', reason: 'already booked', poNumber: existing.poNumber, status: existing.status };
  const check = await purchasing.checkPurchaseOrder({
    sourceSupplierId: requiredText(input, 'sourceSupplierId'),
    costCentre: requiredText(input, 'costCentre'),
    currency: requiredText(input, 'currency'),
    total: purchaseOrderTotal(linesOf(input)),
  });
  return { ...check };
};

/** createPurchaseOrder: the order booked in the ERP under the step's key, with the platform as its channel. */
const createPurchaseOrder: PurchaseOrderStep = async (purchasing, input, context) => {
  const request = {
    sourcePurchaseOrderId: requiredText(input, 'sourcePurchaseOrderId'),
    sourceSupplierId: requiredText(input, 'sourceSupplierId'),
    costCentre: requiredText(input, 'costCentre'),
    currency: requiredText(input, 'currency'),
    lines: linesOf(input),
    ...(context.origin ? { channel: context.origin } : {}),
  };
  return outcome(await context.commit((key) => purchasing.createPurchaseOrder(request, key)));
};

/** releasePurchaseOrder: the booked order released, announced as erp.purchase-order.released.v1. */
const releasePurchaseOrder: PurchaseOrderStep = async (purchasing, input, context) => {
  const poNumber = requiredText(input, 'poNumber');
  const order = await context.commit((key) => purchasing.releasePurchaseOrder(poNumber, key));
  await context.announce('erp.purchase-order.released.v1', subjectOf(order.sourcePurchaseOrderId), {
    poNumber: order.poNumber,
    sourcePurchaseOrderId: order.sourcePurchaseOrderId,
    purchaseOrder: purchaseOrderSnapshot(order),
    releasedAt: context.now().toISOString(),
  });
  return outcome(order);
};

/** cancelPurchaseOrder: the booked order cancelled, the compensation when a later step refuses it. */
const cancelPurchaseOrder: PurchaseOrderStep = async (purchasing, input, context) => {
  const poNumber = requiredText(input, 'poNumber');
  const reason = (optionalNonEmptyText(input, 'reason') ?? 'other').slice(0, 200);
  return outcome(await context.commit((key) => purchasing.cancelPurchaseOrder(poNumber, { reason }, key)));
};

/** emitPurchaseOrderRefused: announces erp.purchase-order.refused.v1 with the order as the ERP holds it. */
const emitPurchaseOrderRefused: PurchaseOrderStep = async (purchasing, input, context) => {
  const sourcePurchaseOrderId = requiredText(input, 'sourcePurchaseOrderId');
  const poNumber = optionalNonEmptyText(input, 'poNumber');
  const compensated = textList(input, 'compensated');
  const reasonCode = requiredText(input, 'reasonCode');
  const failedStep = optionalNonEmptyText(input, 'failedStep');
  // The order as the ERP holds it after the compensation, so that the warehouse sees it cancelled.
  const order = poNumber ? await purchasing.findPurchaseOrder(sourcePurchaseOrderId) : undefined;
  await context.announce('erp.purchase-order.refused.v1', subjectOf(sourcePurchaseOrderId), {
    sourcePurchaseOrderId,
    ...(poNumber ? { poNumber } : {}),
    reasonCode,
    reason: String(input.reason ?? '').slice(0, 2000),
    ...(failedStep ? { failedStep } : {}),
    compensated,
    ...(order ? { purchaseOrder: purchaseOrderSnapshot(order) } : {}),
    refusedAt: context.now().toISOString(),
  });
  return { refused: true, ...(order ? { poNumber: order.poNumber, status: order.status } : {}) };
};

const purchaseOrderSteps: Readonly<Record<PurchaseOrderOperation, PurchaseOrderStep>> = {
  checkPurchaseOrder,
  createPurchaseOrder,
  releasePurchaseOrder,
  cancelPurchaseOrder,
  emitPurchaseOrderRefused,
};

/** Runs one purchase-order step; returns what the workflow continues with. Errors keep their class names for Retry/Catch. */
export async function runPurchaseOrderStep(
  operation: PurchaseOrderOperation,
  input: StepInput,
  context: PurchaseOrderStepContext,
): Promise<Record<string, unknown>> {
  return purchaseOrderSteps[operation](purchasingOf(context), input, context);
}
