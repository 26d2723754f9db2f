/**
 * The ERP adapter's order-to-cash operations on stock and sales orders: quote, credit check, reservation, the order's
 * creation, amendment and cancellation, and the refusal of an order the flow could not book.
 */
import type { LineRequest, SalesOrder } from '../../shared/erp/erp-port';
import type { ErpOrderAcceptedV1 } from '../../shared/generated/types';
import { type OperationHandler, orderSubject } from '../erp-step';
import { InvalidErpEventError, OrderNotYetKnownError } from '../step-errors';
import { lineRequests, optionalText, requiredText, type StepInput, textList } from '../step-input';

/** quote: availability, price and tax of the lines for the customer, as the ERP computes them. Read-only. */
export const quote: OperationHandler = async ({ input, deps }) => ({
  ...(await deps.erp.quote({
    customerNumber: requiredText(input, 'customerNumber'),
    currency: requiredText(input, 'currency'),
    lines: lineRequests(input),
  })),
});

/** checkCredit: the ERP's credit decision for the amount, answered (not thrown) so the workflow branches on it. */
export const checkCredit: OperationHandler = async ({ input, deps }) => ({
  ...(await deps.erp.checkCredit({
    customerNumber: requiredText(input, 'customerNumber'),
    amount: requiredText(input, 'amount'),
    currency: requiredText(input, 'currency'),
  })),
});

/** reserveInventory: stock set aside for the order, once per step key. */
export const reserveInventory: OperationHandler = async ({ input, deps, idempotencyKey, commit }) => {
  const request = { orderRef: requiredText(input, 'orderRef'), lines: lineRequests(input) };
  return { ...(await commit(() => deps.erp.reserveInventory(request, idempotencyKey))) };
};

/** releaseInventory: a reservation given back (the compensation of reserveInventory). */
export const releaseInventory: OperationHandler = async ({ input, deps, idempotencyKey, commit }) => {
  const reservationId = requiredText(input, 'reservationId');
  return { ...(await commit(() => deps.erp.releaseInventory(reservationId, idempotencyKey))) };
};

/** createSalesOrder's input: the order to book, and the credit decision that may put it on hold. */
export interface CreateSalesOrderInput {
  /** The source's order id, the ERP order's external reference. */
  externalRef: string;
  customerNumber: string;
  currency: string;
  lines: LineRequest[];
  reservationId?: string;
  creditHold: boolean;
  /** The credit check's available credit, carried into erp.order.credit-held.v1. */
  availableCredit?: string;
  /** Why the order is held (the credit check's reason). */
  creditReason?: string;
}

/** Reads createSalesOrder's input. */
export function readCreateSalesOrderInput(input: StepInput): CreateSalesOrderInput {
  const availableCredit = optionalText(input, 'availableCredit');
  const reservationId = optionalText(input, 'reservationId');
  const creditReason = optionalText(input, 'creditReason');
  return {
    externalRef: requiredText(input, 'externalRef'),
    customerNumber: requiredText(input, 'customerNumber'),
    currency: requiredText(input, 'currency'),
    lines: lineRequests(input),
    ...(reservationId === undefined ? {} : { reservationId }),
    creditHold: input.creditHold === true,
    ...(availableCredit === undefined ? {} : { availableCredit }),
    ...(creditReason === undefined ? {} : { creditReason }),
  };
}

/**
 * createSalesOrder: the order booked in the ERP (on credit hold when the credit check said so), announced as
 * erp.order.accepted.v1 or erp.order.credit-held.v1.
 */
export const createSalesOrder: OperationHandler = async ({
  step,
  input,
  deps,
  idempotencyKey,
  commit,
  announce,
}) => {
  const request = readCreateSalesOrderInput(input);
  const sourceOrderId = request.externalRef;
  const order = await commit(() =>
    deps.erp.createSalesOrder(
      {
        externalRef: sourceOrderId,
        customerNumber: request.customerNumber,
        currency: request.currency,
        lines: request.lines,
        reservationId: request.reservationId,
        creditHold: request.creditHold,
        // The ERP keeps the source as the order's channel, so that its status is written back there.
        ...(step.origin ? { channel: step.origin } : {}),
      },
      idempotencyKey,
    ),
  );
  if (order.status === 'CREDIT_HOLD') {
    await announce('erp.order.credit-held.v1', orderSubject(sourceOrderId), {
      erpOrderNumber: order.number,
      sourceOrderId,
      customerNumber: order.customerNumber,
      total: order.total,
      currency: order.currency,
      ...(request.availableCredit === undefined ? {} : { availableCredit: request.availableCredit }),
      reason: request.creditReason ?? 'credit limit exceeded',
      heldAt: deps.now().toISOString(),
    });
  } else {
    await announce('erp.order.accepted.v1', orderSubject(sourceOrderId), {
      erpOrderNumber: order.number,
      sourceOrderId,
      customerNumber: order.customerNumber,
      currency: order.currency,
      lines: acceptedLines(order),
      subtotal: order.subtotal,
      tax: order.tax,
      total: order.total,
      acceptedAt: deps.now().toISOString(),
    });
  }
  return {
    erpOrderNumber: order.number,
    status: order.status,
    total: order.total,
    currency: order.currency,
    customerNumber: order.customerNumber,
  };
};

/**
 * The lines erp.order.accepted.v1 carries, at least one as its schema requires: an ERP order without lines is the
 * ERP's bug, refused before anything is published.
 */
function acceptedLines(order: SalesOrder): ErpOrderAcceptedV1['lines'] {
  const [first, ...rest] = order.lines.map((line) => ({
    sku: line.sku,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    lineTotal: line.lineTotal,
    tax: line.tax,
  }));
  if (!first)
    throw new InvalidErpEventError('erp.order.accepted.v1', [
      { path: '/data/lines', message: `ERP order ${order.number} has no lines` },
    ]);
  return [first, ...rest];
}

/** The ERP's order for a source order, or OrderNotYetKnownError so that the flow holds the step and tries again. */
async function knownOrder(
  erp: { findSalesOrder(externalRef: string): Promise<SalesOrder | undefined> },
  sourceOrderId: string,
): Promise<SalesOrder> {
  const existing = await erp.findSalesOrder(sourceOrderId);
  if (!existing) throw new OrderNotYetKnownError(`Order ${sourceOrderId} is not in the ERP yet`);
  return existing;
}

/** awaitSalesOrder: the ERP's order for a source order, once it is booked (an amendment that came first waits). */
export const awaitSalesOrder: OperationHandler = async ({ input, deps }) => {
  const existing = await knownOrder(deps.erp, requiredText(input, 'sourceOrderId'));
  return { erpOrderNumber: existing.number, status: existing.status };
};

/** Whether two sets of order lines ask for the same quantities of the same SKUs, in any order. */
export function sameLines(current: readonly LineRequest[], requested: readonly LineRequest[]): boolean {
  const totals = (lines: readonly LineRequest[]) => {
    const bySku = new Map<string, number>();
    for (const line of lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
    return [...bySku].sort(([a], [b]) => a.localeCompare(b)).join(';');
  };
  return totals(current) === totals(requested);
}

/**
 * amendSalesOrder: the order's lines changed in the ERP, announced as erp.order.amended.v1. An update whose lines
 * the order already has is answered `unchanged`, unless this very step amended them and lost the answer.
 */
export const amendSalesOrder: OperationHandler = async (context) => {
  const { input, deps, idempotencyKey, commit, announce } = context;
  const sourceOrderId = requiredText(input, 'sourceOrderId');
  const existing = await knownOrder(deps.erp, sourceOrderId);
  const lines = lineRequests(input);
  // Shops send an update for every change (payment captured, fulfilled, tagged): only new lines amend the order.
  let order: SalesOrder;
  if (sameLines(existing.lines, lines)) {
    // The lines may already be these because this very step amended them and its answer was lost: then the
    // amendment is announced now, or the warehouse would keep the old total.
    const earlier = await deps.erp.lookupChange(idempotencyKey);
    if (earlier.state !== 'committed')
      return { erpOrderNumber: existing.number, status: existing.status, unchanged: true };
    context.lostAnswerResolved('committed');
    order = earlier.result as SalesOrder;
  } else {
    order = await commit(() => deps.erp.amendSalesOrder(existing.number, { lines }, idempotencyKey));
  }
  await announce('erp.order.amended.v1', orderSubject(sourceOrderId), {
    erpOrderNumber: order.number,
    sourceOrderId,
    erpVersion: order.version,
    total: order.total,
    currency: order.currency,
    amendedAt: deps.now().toISOString(),
  });
  return { erpOrderNumber: order.number, status: order.status, total: order.total };
};

/** cancelSalesOrder: the order cancelled in the ERP (a shop's cancellation, or a compensation), announced. */
export const cancelSalesOrder: OperationHandler = async ({
  input,
  deps,
  idempotencyKey,
  commit,
  announce,
}) => {
  const sourceOrderId = requiredText(input, 'sourceOrderId');
  const number = optionalText(input, 'erpOrderNumber') ?? (await knownOrder(deps.erp, sourceOrderId)).number;
  const reason = optionalText(input, 'reason') ?? 'other';
  const order = await commit(() => deps.erp.cancelSalesOrder(number, { reason }, idempotencyKey));
  await announce('erp.order.cancelled.v1', orderSubject(sourceOrderId), {
    erpOrderNumber: order.number,
    sourceOrderId,
    reason,
    cancelledAt: deps.now().toISOString(),
  });
  return { erpOrderNumber: order.number, status: order.status };
};

/** emitRejected: announces erp.order.rejected.v1 for an order the flow refused (and what it compensated). */
export const emitRejected: OperationHandler = async ({ input, deps, announce }) => {
  const sourceOrderId = requiredText(input, 'sourceOrderId');
  const erpOrderNumber = optionalText(input, 'erpOrderNumber');
  const failedStep = optionalText(input, 'failedStep');
  await announce('erp.order.rejected.v1', orderSubject(sourceOrderId), {
    sourceOrderId,
    ...(erpOrderNumber === undefined ? {} : { erpOrderNumber }),
    reasonCode: requiredText(input, 'reasonCode'),
    reason: String(input.reason ?? '').slice(0, 2000),
    ...(failedStep === undefined ? {} : { failedStep }),
    compensated: textList(input, 'compensated'),
    rejectedAt: deps.now().toISOString(),
  });
  return { rejected: true };
};
