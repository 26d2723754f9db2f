/**
 * The ERP adapter's use case: one workflow step against the ERP port, and the authoritative erp.* event it
 * makes true. Steps are idempotent: the ERP receives a key that identifies the change (stepIdempotencyKey), a lost
 * answer is resolved by reading the ERP under that key, and the event has the same id on every path.
 */
import type { ErpEmployeePort } from '../shared/erp/erp-employee-port';
import { ErpOutcomeUnknownError, ErpRefusedError } from '../shared/erp/erp-errors';
import type { ErpPort, LineRequest, SalesOrder } from '../shared/erp/erp-port';
import type { ErpPurchasingPort } from '../shared/erp/erp-purchasing-port';
import type { ErpVendorPort } from '../shared/erp/erp-vendor-port';
import {
  buildCanonicalEvent,
  type CanonicalEvent,
  type CanonicalTypeName,
  validateCanonicalEvent,
} from '../shared/events/envelope';
import { idOf, timeOfId } from '../shared/ids';
import {
  type BusinessMetrics,
  latencyPoint,
  type MetricPoint,
  metricPoint,
  orderRefusalReason,
  purchaseOrderRefusalReason,
} from '../shared/observability/business-metrics';
import { employeeOperations, runEmployeeStep } from './employee-steps';
import { classifyForeignChanges, type ForeignChange } from './foreign-changes';
import {
  purchaseOrderOperations,
  purchaseOrderReadOperations,
  runPurchaseOrderStep,
} from './purchase-order-steps';
import { changeResolvingLostAnswers, type ResolutionBudget } from './resolve-outcome';
import { runVendorStep, supplierSyncedData, vendorOperations } from './vendor-steps';

/** The step's request, as the state machine passes it. */
export interface ErpStep {
  operation: ErpOperation;
  flow: string;
  /** The entity the flow is about, e.g. order/5820741173332. */
  businessKey: string;
  entityVersion: number;
  correlationId: string;
  /** The canonical event that started the flow. */
  causationId: string;
  /** The SaaS source the transaction started from; the ERP's events carry it so that status is written back there. */
  origin?: string;
  input: Record<string, unknown>;
}

/** Every operation the adapter performs. */
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
export type ErpOperation = (typeof erpOperations)[number];

/** Operations that only read the ERP; every other one changes it (or publishes) and runs once per idempotency key. */
const readOnlyOperations: ReadonlySet<ErpOperation> = new Set([
  'findCustomer',
  'awaitSalesOrder',
  'checkCredit',
  'quote',
  ...purchaseOrderReadOperations,
]);
export const mutatingOperations: ReadonlySet<ErpOperation> = new Set(
  erpOperations.filter((operation) => !readOnlyOperations.has(operation)),
);

/** The order an amendment or cancellation refers to is not in the ERP yet: the flow holds it and tries again. */
export class OrderNotYetKnownError extends Error {
  override readonly name = 'OrderNotYetKnownError';
}

/** A payment arrived before the ERP invoiced its order: the flow holds it (bounded) and tries again. */
export class InvoiceNotYetPostedError extends Error {
  override readonly name = 'InvoiceNotYetPostedError';
}

/** What a step needs. */
export interface ErpStepDependencies {
  erp: ErpPort;
  /** The ERP's vendor master, for supplier-sync (vendor-steps.ts); absent where the ERP has none. */
  vendors?: ErpVendorPort;
  /** The ERP's employee register, for employee-sync (employee-steps.ts); absent where the ERP has none. */
  employees?: ErpEmployeePort;
  /** The ERP's purchasing, for procure-to-pay (purchase-order-steps.ts); absent where the ERP has none. */
  purchasing?: ErpPurchasingPort;
  publish(events: readonly CanonicalEvent[]): Promise<void>;
  /** CloudEvents source of the ERP's events, e.g. erp://sandbox. */
  erpSourceUri: string;
  now(): Date;
  /** How long a lost answer is looked for before the unknown outcome goes back to the workflow. */
  resolution?: ResolutionBudget;
  /** Where the business outcomes (orders booked, invoices posted, lost answers resolved, …) are counted. */
  metrics?: BusinessMetrics;
}

/**
 * The idempotency key of a step: what identifies the change, so that no two different changes share one. A payment
 * or a refund is a fact with an id of its own (two partial refunds may share a second and so a version); any other
 * step changes one version of an entity: flow, step, business key and entity version.
 */
export function stepIdempotencyKey(step: ErpStep): string {
  if (step.operation === 'applyPayment') return `${step.flow}:applyPayment:${text(step.input, 'paymentId')}`;
  if (step.operation === 'refund') return `${step.flow}:refund:${text(step.input, 'refundRef')}`;
  return `${step.flow}:${step.operation}:${step.businessKey}:${step.entityVersion}`;
}

function text(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    throw new ErpRefusedError('invalid_step_input', `Step input ${name} must be a non-empty string`);
  return value;
}

async function emit<T extends CanonicalTypeName>(
  deps: ErpStepDependencies,
  step: ErpStep,
  type: T,
  subject: string,
  data: Record<string, unknown>,
): Promise<CanonicalEvent> {
  const now = deps.now();
  // One id per fact (step key and type), dated by the event that caused it: a retry, a re-run after a crash or a
  // resolved lost answer announces the same event, which the warehouse and consumers deduplicate.
  const id = idOf(`${stepIdempotencyKey(step)}|${type}`, timeOfId(step.causationId) ?? now.getTime());
  const event = buildCanonicalEvent(
    {
      type,
      source: deps.erpSourceUri,
      subject,
      time: now.toISOString(),
      entityVersion: now.getTime(),
      data: data as never,
    },
    {
      id,
      correlationId: step.correlationId,
      causationId: step.causationId,
      ...(step.origin ? { origin: step.origin } : {}),
    },
  );
  const violations = validateCanonicalEvent(event);
  // An invalid authoritative event is a bug here, not bad input: fail loudly rather than publish it.
  if (violations.length > 0)
    throw new Error(`${type} would violate its schema: ${JSON.stringify(violations)}`);
  await deps.publish([event]);
  deps.metrics?.record(...outcomeMetrics(step, event, now));
  return event;
}

/**
 * What an announced fact counts for. Latencies run from the causing event's id time (its ingest: ids are ULIDs) to
 * now; a fact announced again (a re-run after a crash) is counted again, so the counts are at least once.
 */
function outcomeMetrics(step: ErpStep, event: CanonicalEvent, now: Date): MetricPoint[] {
  const flow = { flow: step.flow };
  const since = timeOfId(step.causationId);
  switch (event.type) {
    case 'erp.order.accepted.v1':
      return [metricPoint('OrdersBooked', flow), ...latencyPoint('OrderAcceptedLatency', flow, since, now)];
    case 'erp.order.credit-held.v1':
      return [metricPoint('OrdersCreditHeld', flow)];
    case 'erp.order.rejected.v1': {
      const { reasonCode } = event.data as CanonicalEvent<'erp.order.rejected.v1'>['data'];
      return [metricPoint('OrdersRefused', { ...flow, reason: orderRefusalReason(reasonCode) })];
    }
    case 'erp.invoice.posted.v1':
      return [metricPoint('InvoicesPosted', flow), ...latencyPoint('InvoicePostedLatency', flow, since, now)];
    case 'erp.payment.applied.v1':
      return step.operation === 'refund'
        ? [metricPoint('RefundsBooked', flow)]
        : [metricPoint('PaymentsApplied', flow), ...latencyPoint('PaymentAppliedLatency', flow, since, now)];
    case 'erp.customer.synced.v1':
      return [metricPoint('CustomersSynced', flow), ...refusedFieldPoints(flow, event.data)];
    case 'erp.employee.synced.v1':
    case 'erp.supplier.synced.v1': {
      const { action } = event.data as { action: string };
      const name = event.type === 'erp.employee.synced.v1' ? 'EmployeesSynced' : 'SuppliersSynced';
      return [metricPoint(name, { ...flow, action }), ...refusedFieldPoints(flow, event.data)];
    }
    case 'erp.purchase-order.released.v1':
      return [metricPoint('PurchaseOrdersReleased', flow)];
    case 'erp.purchase-order.refused.v1': {
      const { reasonCode } = event.data as CanonicalEvent<'erp.purchase-order.refused.v1'>['data'];
      return [
        metricPoint('PurchaseOrdersRefused', { ...flow, reason: purchaseOrderRefusalReason(reasonCode) }),
      ];
    }
    default:
      return [];
  }
}

/** The fields a synced event says were refused (owned elsewhere), counted as one point; none when nothing was. */
function refusedFieldPoints(flow: { flow: string }, data: unknown): MetricPoint[] {
  const { refusedFields } = data as { refusedFields?: unknown };
  return Array.isArray(refusedFields) && refusedFields.length > 0
    ? [metricPoint('FieldChangesRefused', flow, refusedFields.length)]
    : [];
}

function orderSubject(sourceOrderId: string): string {
  return `order/${sourceOrderId}`;
}

/** Whether two sets of order lines ask for the same quantities of the same SKUs, in any order. */
function sameLines(current: readonly LineRequest[], requested: readonly LineRequest[] | undefined): boolean {
  const totals = (lines: readonly LineRequest[]) => {
    const bySku = new Map<string, number>();
    for (const line of lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
    return [...bySku].sort(([a], [b]) => a.localeCompare(b)).join(';');
  };
  return requested !== undefined && totals(current) === totals(requested);
}

/** Runs one step; returns what the workflow continues with. Errors keep their class names for Retry/Catch. */
export async function runErpStep(step: ErpStep, deps: ErpStepDependencies): Promise<Record<string, unknown>> {
  try {
    return await performStep(step, deps);
  } catch (error) {
    if (error instanceof ErpOutcomeUnknownError)
      deps.metrics?.record(metricPoint('UnknownOutcomes', { flow: step.flow }));
    throw error;
  }
}

async function performStep(step: ErpStep, deps: ErpStepDependencies): Promise<Record<string, unknown>> {
  const key = stepIdempotencyKey(step);
  const input = step.input;
  const lostAnswerResolved = (outcome: 'committed' | 'absent') =>
    deps.metrics?.record(metricPoint('LostAnswersResolved', { flow: step.flow, outcome }));
  const commit = <T>(change: () => Promise<T>): Promise<T> =>
    changeResolvingLostAnswers(deps.erp, key, change, deps.resolution, lostAnswerResolved);
  switch (step.operation) {
    case 'resolveCustomer': {
      const email = typeof input.email === 'string' ? input.email : undefined;
      const found = email ? await deps.erp.findCustomer({ email }) : undefined;
      const account =
        found ??
        (await commit(() =>
          deps.erp.upsertCustomer(
            {
              crmId: text(input, 'sourceCustomerRef'),
              fields: { name: (input.name as string | undefined) ?? email ?? 'unknown', email },
            },
            key,
          ),
        ));
      return {
        customerNumber: account.customerNumber,
        currency: account.currency,
        creditHold: account.creditHold,
      };
    }
    case 'findCustomer': {
      // Read-only, so it needs no idempotency record: most orders come from known buyers, and only an unknown one
      // (or an order without an email) goes on to resolveCustomer, which may open an account.
      const email = typeof input.email === 'string' && input.email !== '' ? input.email : undefined;
      const account = email ? await deps.erp.findCustomer({ email }) : undefined;
      return account
        ? {
            found: true,
            customerNumber: account.customerNumber,
            currency: account.currency,
            creditHold: account.creditHold,
          }
        : { found: false };
    }
    case 'quote':
      return {
        ...(await deps.erp.quote({
          customerNumber: text(input, 'customerNumber'),
          currency: text(input, 'currency'),
          lines: input.lines as LineRequest[],
        })),
      };
    case 'checkCredit':
      return {
        ...(await deps.erp.checkCredit({
          customerNumber: text(input, 'customerNumber'),
          amount: text(input, 'amount'),
          currency: text(input, 'currency'),
        })),
      };
    case 'reserveInventory':
      return {
        ...(await commit(() =>
          deps.erp.reserveInventory(
            { orderRef: text(input, 'orderRef'), lines: input.lines as LineRequest[] },
            key,
          ),
        )),
      };
    case 'releaseInventory':
      return { ...(await commit(() => deps.erp.releaseInventory(text(input, 'reservationId'), key))) };
    case 'createSalesOrder': {
      const sourceOrderId = text(input, 'externalRef');
      const order = await commit(() =>
        deps.erp.createSalesOrder(
          {
            externalRef: sourceOrderId,
            customerNumber: text(input, 'customerNumber'),
            currency: text(input, 'currency'),
            lines: input.lines as LineRequest[],
            reservationId: input.reservationId as string | undefined,
            creditHold: input.creditHold === true,
            ...(step.origin ? { channel: step.origin } : {}),
          },
          key,
        ),
      );
      if (order.status === 'CREDIT_HOLD') {
        await emit(deps, step, 'erp.order.credit-held.v1', orderSubject(sourceOrderId), {
          erpOrderNumber: order.number,
          sourceOrderId,
          customerNumber: order.customerNumber,
          total: order.total,
          currency: order.currency,
          ...(typeof input.availableCredit === 'string' ? { availableCredit: input.availableCredit } : {}),
          reason: (input.creditReason as string | undefined) ?? 'credit limit exceeded',
          heldAt: deps.now().toISOString(),
        });
      } else {
        await emit(deps, step, 'erp.order.accepted.v1', orderSubject(sourceOrderId), {
          erpOrderNumber: order.number,
          sourceOrderId,
          customerNumber: order.customerNumber,
          currency: order.currency,
          lines: order.lines.map((line) => ({
            sku: line.sku,
            quantity: line.quantity,
            unitPrice: line.unitPrice,
            lineTotal: line.lineTotal,
            tax: line.tax,
          })),
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
    }
    case 'awaitSalesOrder': {
      const sourceOrderId = text(input, 'sourceOrderId');
      const existing = await deps.erp.findSalesOrder(sourceOrderId);
      if (!existing) throw new OrderNotYetKnownError(`Order ${sourceOrderId} is not in the ERP yet`);
      return { erpOrderNumber: existing.number, status: existing.status };
    }
    case 'amendSalesOrder': {
      const sourceOrderId = text(input, 'sourceOrderId');
      const existing = await deps.erp.findSalesOrder(sourceOrderId);
      if (!existing) throw new OrderNotYetKnownError(`Order ${sourceOrderId} is not in the ERP yet`);
      // Shops send an update for every change (payment captured, fulfilled, tagged): only new lines amend the order.
      let order: SalesOrder;
      if (sameLines(existing.lines, input.lines as LineRequest[])) {
        // The lines may already be these because this very step amended them and its answer was lost: then the
        // amendment is announced now, or the warehouse would keep the old total.
        const earlier = await deps.erp.lookupChange(key);
        if (earlier.state !== 'committed')
          return { erpOrderNumber: existing.number, status: existing.status, unchanged: true };
        lostAnswerResolved('committed');
        order = earlier.result as SalesOrder;
      } else {
        order = await commit(() =>
          deps.erp.amendSalesOrder(existing.number, { lines: input.lines as LineRequest[] }, key),
        );
      }
      await emit(deps, step, 'erp.order.amended.v1', orderSubject(sourceOrderId), {
        erpOrderNumber: order.number,
        sourceOrderId,
        erpVersion: order.version,
        total: order.total,
        currency: order.currency,
        amendedAt: deps.now().toISOString(),
      });
      return { erpOrderNumber: order.number, status: order.status, total: order.total };
    }
    case 'cancelSalesOrder': {
      const sourceOrderId = text(input, 'sourceOrderId');
      const number =
        (input.erpOrderNumber as string | undefined) ??
        (await deps.erp.findSalesOrder(sourceOrderId))?.number;
      if (!number) throw new OrderNotYetKnownError(`Order ${sourceOrderId} is not in the ERP yet`);
      const reason = (input.reason as string | undefined) ?? 'other';
      const order = await commit(() => deps.erp.cancelSalesOrder(number, { reason }, key));
      await emit(deps, step, 'erp.order.cancelled.v1', orderSubject(sourceOrderId), {
        erpOrderNumber: order.number,
        sourceOrderId,
        reason,
        cancelledAt: deps.now().toISOString(),
      });
      return { erpOrderNumber: order.number, status: order.status };
    }
    case 'postInvoice': {
      const sourceOrderId = text(input, 'sourceOrderId');
      const invoice = await commit(() => deps.erp.postInvoice(text(input, 'erpOrderNumber'), key));
      await emit(deps, step, 'erp.invoice.posted.v1', `invoice/${invoice.number}`, {
        invoiceNumber: invoice.number,
        erpOrderNumber: invoice.orderNumber,
        sourceOrderId,
        customerNumber: text(input, 'customerNumber'),
        amount: invoice.amount,
        tax: invoice.tax,
        currency: invoice.currency,
        dueDate: invoice.dueDate,
        postedAt: deps.now().toISOString(),
      });
      return { invoiceNumber: invoice.number, amount: invoice.amount, status: invoice.status };
    }
    case 'applyPayment':
    case 'refund': {
      const paymentId = text(input, 'paymentId');
      const sourceOrderId = input.sourceOrderId as string | undefined;
      // Asked before applying, not after a refusal: an ERP may keep a refusal under the idempotency key (as Stripe
      // does) and replay it to every retry of this step, so the hold must not start with a refused call.
      if (step.operation === 'applyPayment' && !input.invoiceNumber) {
        if (!sourceOrderId)
          throw new ErpRefusedError(
            'payment_unmatched',
            `Payment ${paymentId} names neither an order nor an invoice; apply it by hand`,
          );
        const invoices = await deps.erp.listDocuments({ type: 'invoice', externalRef: sourceOrderId });
        if (invoices.length === 0)
          throw new InvoiceNotYetPostedError(`Order ${sourceOrderId} has no invoice in the ERP yet`);
      }
      const document =
        step.operation === 'applyPayment'
          ? await commit(() =>
              deps.erp.applyPayment(
                {
                  externalRef: paymentId,
                  orderExternalRef: sourceOrderId,
                  invoiceNumber: input.invoiceNumber as string | undefined,
                  amount: text(input, 'amount'),
                  currency: text(input, 'currency'),
                },
                key,
              ),
            )
          : await commit(() =>
              deps.erp.refund(
                {
                  externalRef: text(input, 'refundRef'),
                  paymentExternalRef: paymentId,
                  amount: text(input, 'amount'),
                  currency: text(input, 'currency'),
                },
                key,
              ),
            );
      await emit(deps, step, 'erp.payment.applied.v1', `payment/${paymentId}`, {
        erpPaymentId: document.id,
        paymentId,
        invoiceNumber: document.invoiceNumber,
        kind: document.kind,
        amount: document.amount,
        currency: document.currency,
        invoiceStatus: document.invoiceStatus,
        appliedAt: deps.now().toISOString(),
      });
      return { erpPaymentId: document.id, invoiceNumber: document.invoiceNumber, kind: document.kind };
    }
    case 'upsertCustomer': {
      const fields = (input.fields as Record<string, string> | undefined) ?? {};
      const crmId = text(input, 'crmContactId');
      const foreignChanges = (input.foreignChanges as ForeignChange[] | undefined) ?? [];
      const existing = await deps.erp.findCustomer({ crmId });
      const { refused, echoes } = classifyForeignChanges(foreignChanges, existing);
      // A CRM contact becomes an ERP account when it first buys (resolveCustomer), not when a lead is edited.
      if (input.existingOnly === true && !existing)
        return { skipped: 'not-an-erp-customer', refused, echoes };
      if (Object.keys(fields).length === 0) return { refused, echoes };
      const account = await commit(() => deps.erp.upsertCustomer({ crmId, fields }, key));
      await emit(deps, step, 'erp.customer.synced.v1', `customer/${account.customerNumber}`, {
        customerNumber: account.customerNumber,
        crmContactId: crmId,
        appliedFields: Object.keys(fields),
        refusedFields: refused,
        syncedAt: deps.now().toISOString(),
      });
      return { customerNumber: account.customerNumber, refused, echoes };
    }
    case 'hireEmployee':
    case 'changeEmployee':
    case 'terminateEmployee':
      return runEmployeeStep(step.operation, input, {
        employees: deps.employees,
        idempotencyKey: key,
        resolution: deps.resolution,
        onLostAnswerResolved: lostAnswerResolved,
        announce: async (data) => {
          await emit(deps, step, 'erp.employee.synced.v1', `employee/${data.hrisEmployeeId}`, { ...data });
        },
        now: deps.now,
      });
    case 'upsertVendor':
      return runVendorStep(step.operation, input, {
        vendors: deps.vendors,
        commit: (change) =>
          changeResolvingLostAnswers(
            deps.vendors ?? deps.erp,
            key,
            () => change(key),
            deps.resolution,
            lostAnswerResolved,
          ),
        announce: async (vendor, details) => {
          await emit(
            deps,
            step,
            'erp.supplier.synced.v1',
            `supplier/${vendor.sourceSupplierId}`,
            supplierSyncedData(vendor, details, deps.now().toISOString()),
          );
        },
      });
    case 'checkPurchaseOrder':
    case 'createPurchaseOrder':
    case 'releasePurchaseOrder':
    case 'cancelPurchaseOrder':
    case 'emitPurchaseOrderRefused':
      return runPurchaseOrderStep(step.operation, input, {
        purchasing: deps.purchasing,
        commit: (change) =>
          changeResolvingLostAnswers(
            deps.purchasing ?? deps.erp,
            key,
            () => change(key),
            deps.resolution,
            lostAnswerResolved,
          ),
        announce: async (type, subject, data) => {
          await emit(deps, step, type, subject, data);
        },
        ...(step.origin ? { origin: step.origin } : {}),
        now: deps.now,
      });
    case 'emitRejected': {
      const sourceOrderId = text(input, 'sourceOrderId');
      await emit(deps, step, 'erp.order.rejected.v1', orderSubject(sourceOrderId), {
        sourceOrderId,
        ...(typeof input.erpOrderNumber === 'string' ? { erpOrderNumber: input.erpOrderNumber } : {}),
        reasonCode: text(input, 'reasonCode'),
        reason: String(input.reason ?? '').slice(0, 2000),
        ...(typeof input.failedStep === 'string' ? { failedStep: input.failedStep } : {}),
        compensated: (input.compensated as string[] | undefined) ?? [],
        rejectedAt: deps.now().toISOString(),
      });
      return { rejected: true };
    }
  }
}
