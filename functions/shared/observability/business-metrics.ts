/** Concord's business-outcome metrics: every name, unit and dimension set in one place, and the port that records them. */
import type { PurchaseOrderVerdict } from '../erp/erp-purchasing-port';

/** The CloudWatch namespace of every Concord metric. */
export const metricsNamespace = 'Concord';

/**
 * The catalogue: each metric's unit and the dimensions it carries besides `stage` (which every metric has). Every
 * dimension takes its values from a small fixed set; a correlation id, an order id or a subject never becomes a
 * dimension (each value would be a metric of its own, billed and unalarmable): those go in the log lines.
 */
export const businessMetricCatalogue = {
  /** A webhook verified, archived and published (HTTP 202). Count, per `source`. */
  WebhooksAccepted: { unit: 'Count', dimensions: ['source'] },
  /** A provider's retry of a delivery already published, answered 200 without publishing again. Count, per `source`. */
  WebhooksDuplicate: { unit: 'Count', dimensions: ['source'] },
  /**
   * A webhook refused as bad input, `reason` being the HTTP status answered (400, 401, 404, 409, 413, 415, 422).
   * Count, per `source` and `reason`.
   */
  WebhooksRefused: { unit: 'Count', dimensions: ['source', 'reason'] },
  /** A webhook answered 503 because the bus, the archive or the dedupe table failed: the provider retries. Count, per `source`. */
  WebhooksUnavailable: { unit: 'Count', dimensions: ['source'] },
  /** A webhook answered 500: a bug or a misconfiguration, never bad input. Count, per `source`. */
  WebhooksFailed: { unit: 'Count', dimensions: ['source'] },
  /** An order the ERP accepted (erp.order.accepted). Count, per `flow`. */
  OrdersBooked: { unit: 'Count', dimensions: ['flow'] },
  /** An order the ERP booked on credit hold (erp.order.credit-held). Count, per `flow`. */
  OrdersCreditHeld: { unit: 'Count', dimensions: ['flow'] },
  /** An order refused and compensated (erp.order.rejected), `reason` being its reason code or `other`. Count, per `flow` and `reason`. */
  OrdersRefused: { unit: 'Count', dimensions: ['flow', 'reason'] },
  /** An invoice the ERP posted (erp.invoice.posted). Count, per `flow`. */
  InvoicesPosted: { unit: 'Count', dimensions: ['flow'] },
  /** A payment the ERP applied to an invoice (erp.payment.applied, kind payment). Count, per `flow`. */
  PaymentsApplied: { unit: 'Count', dimensions: ['flow'] },
  /** A refund the ERP booked (erp.payment.applied, kind refund). Count, per `flow`. */
  RefundsBooked: { unit: 'Count', dimensions: ['flow'] },
  /** A CRM contact's change applied to its ERP account (erp.customer.synced). Count, per `flow`. */
  CustomersSynced: { unit: 'Count', dimensions: ['flow'] },
  /**
   * An HRIS change applied to the ERP's employee register (erp.employee.synced), `action` being hired, changed or
   * terminated. Count, per `flow` and `action`.
   */
  EmployeesSynced: { unit: 'Count', dimensions: ['flow', 'action'] },
  /**
   * A platform supplier applied to the ERP vendor master (erp.supplier.synced), `action` being created or changed.
   * Count, per `flow` and `action`.
   */
  SuppliersSynced: { unit: 'Count', dimensions: ['flow', 'action'] },
  /**
   * Field values a platform sent for fields another system owns, refused under the system-of-record registry (the
   * synced event's `refusedFields`; the field names go to the exceptions queue, never a dimension). Count of fields,
   * per `flow`.
   */
  FieldChangesRefused: { unit: 'Count', dimensions: ['flow'] },
  /** A purchase order the ERP booked and released with its PO number (erp.purchase-order.released). Count, per `flow`. */
  PurchaseOrdersReleased: { unit: 'Count', dimensions: ['flow'] },
  /**
   * A purchase order refused (erp.purchase-order.refused), `reason` being the ERP's verdict or the error class that
   * ended it, else `other`. Count, per `flow` and `reason`.
   */
  PurchaseOrdersRefused: { unit: 'Count', dimensions: ['flow', 'reason'] },
  /**
   * A change whose answer was lost, then learnt by reading the ERP under its idempotency key: `outcome` is
   * `committed` (its answer is used as if it had arrived) or `absent` (safe to retry). Count, per `flow` and `outcome`.
   */
  LostAnswersResolved: { unit: 'Count', dimensions: ['flow', 'outcome'] },
  /** A change whose outcome could not be learnt (ErpOutcomeUnknownError): nothing may be compensated. Count, per `flow`. */
  UnknownOutcomes: { unit: 'Count', dimensions: ['flow'] },
  /** From the webhook's ingest (the causing event's id time) to the ERP's acceptance of the order. Milliseconds, per `flow`. */
  OrderAcceptedLatency: { unit: 'Milliseconds', dimensions: ['flow'] },
  /** From the causing event's ingest to the ERP posting the invoice. Milliseconds, per `flow`. */
  InvoicePostedLatency: { unit: 'Milliseconds', dimensions: ['flow'] },
  /** From the payment's ingest to the ERP applying it. Milliseconds, per `flow`. */
  PaymentAppliedLatency: { unit: 'Milliseconds', dimensions: ['flow'] },
  /** From the purchase order's ingest (its causing event's id time) to the ERP releasing it with a PO number. Milliseconds, per `flow`. */
  PurchaseOrderReleasedLatency: { unit: 'Milliseconds', dimensions: ['flow'] },
  /** From the hire's ingest (its causing event's id time) to the ERP's employee register applying it. Milliseconds, per `flow`. */
  EmployeeHiredLatency: { unit: 'Milliseconds', dimensions: ['flow'] },
  /** An ERP stock or price change the item write-back received (`flow` item-write-back). Count, per `flow`. */
  ItemChangesReceived: { unit: 'Count', dimensions: ['flow'] },
  /**
   * A change never written itself because a later one of the same key covered it (in its batch, recorded already,
   * or found written): the burst the write-back absorbed. Count, per `flow`.
   */
  ItemChangesCoalesced: { unit: 'Count', dimensions: ['flow'] },
  /** A stock level or price written to the commerce platform. Count, per `flow`. */
  ItemWritesApplied: { unit: 'Count', dimensions: ['flow'] },
  /** A write the platform refused, or that kept failing, sent to the item write-back's DLQ. Count, per `flow`. */
  ItemWritesDeadLettered: { unit: 'Count', dimensions: ['flow'] },
  /** A 429 (rate limit) the commerce platform answered, waited out or left for a retry. Count, per `flow`. */
  PlatformThrottled: { unit: 'Count', dimensions: ['flow'] },
  /** From the ERP's announcement of a stock level (the event's time) to the platform accepting it. Milliseconds, per `flow`. */
  StockWrittenLatency: { unit: 'Milliseconds', dimensions: ['flow'] },
  /** An ERP answer written back to the platform the record came from. Count, per `source` (platform) and `status`. */
  StatusWrittenBack: { unit: 'Count', dimensions: ['source', 'status'] },
  /** From the ERP event's time to the platform acknowledging the write-back. Milliseconds, per `source` (platform). */
  WriteBackLatency: { unit: 'Milliseconds', dimensions: ['source'] },
  /** A dead letter replayed (delivered again, then deleted from its queue). Count, per `queue`. */
  MessagesReplayed: { unit: 'Count', dimensions: ['queue'] },
  /** A dead letter a replay selected but could not deliver (no recorded target, or the delivery failed); it stays queued. Count, per `queue`. */
  MessagesRefused: { unit: 'Count', dimensions: ['queue'] },
  /** A dead letter an operator parked. Count, per `queue` (the queue it was taken from). */
  MessagesParked: { unit: 'Count', dimensions: ['queue'] },
} as const satisfies Record<string, { unit: 'Count' | 'Milliseconds'; dimensions: readonly string[] }>;

type Catalogue = typeof businessMetricCatalogue;

/**
 * The `flow` of the item write-back's metrics: not a workflow that changes the ERP (infra's `concordFlows`), but a
 * business flow of its own (ERP → commerce platform) that the dashboard, the SLOs and the console read by this value.
 */
export const itemWriteBackFlow = 'item-write-back';

/** A metric's name, as CloudWatch shows it. */
export type BusinessMetricName = keyof Catalogue;

/** The dimensions (besides `stage`) a metric carries. */
export type DimensionsOf<N extends BusinessMetricName> = Record<Catalogue[N]['dimensions'][number], string>;

/** One data point of a business metric (a union over the names, so each carries its own dimensions). */
export type MetricPoint<N extends BusinessMetricName = BusinessMetricName> = N extends BusinessMetricName
  ? { name: N; unit: Catalogue[N]['unit']; value: number; dimensions: DimensionsOf<N> }
  : never;

/** A data point of `name`; counts default to one. */
export function metricPoint<N extends BusinessMetricName>(
  name: N,
  dimensions: DimensionsOf<N>,
  value = 1,
): MetricPoint<N> {
  return { name, unit: businessMetricCatalogue[name].unit, value, dimensions } as MetricPoint<N>;
}

/** A latency point from `startMs` to `end`, or none when the start is unknown or after the end (clock skew). */
export function latencyPoint<N extends BusinessMetricName>(
  name: N,
  dimensions: DimensionsOf<N>,
  startMs: number | undefined,
  end: Date,
): MetricPoint<N>[] {
  if (startMs === undefined || !Number.isFinite(startMs)) return [];
  const elapsedMs = end.getTime() - startMs;
  return elapsedMs >= 0 ? [metricPoint(name, dimensions, elapsedMs)] : [];
}

/** The port: where a use case or an edge reports a business outcome. The Powertools adapter publishes them as EMF. */
export interface BusinessMetrics {
  record(...points: readonly MetricPoint[]): void;
}

/** Records nothing: for callers (the CLI, tests) that measure nothing. */
export const noBusinessMetrics: BusinessMetrics = { record() {} };

/** The HTTP statuses a refused webhook is counted under; any other 4xx is counted as `other`. */
const refusalStatuses = new Set([400, 401, 404, 409, 413, 415, 422]);

/** The `reason` dimension of a refused webhook: its HTTP status, from a fixed set. */
export function webhookRefusalReason(status: number): string {
  return refusalStatuses.has(status) ? String(status) : 'other';
}

/**
 * The reason codes an order refusal is counted under: the error classes the order-to-cash workflow catches
 * ($failure.Error). Anything else (a free-text code) is counted as `other`.
 */
const orderRefusalReasons = new Set([
  'ErpRefusedError',
  'ErpUnavailableError',
  'ErpOutcomeUnknownError',
  'ErpThrottledError',
  'ErpNotFoundError',
  'States.Timeout',
  'States.TaskFailed',
]);

/** The `reason` dimension of a refused order: its reason code when it is one of a fixed set, else `other`. */
export function orderRefusalReason(reasonCode: string): string {
  return orderRefusalReasons.has(reasonCode) ? reasonCode : 'other';
}

/**
 * The reason codes a purchase-order refusal is counted under: the ERP's verdicts other than `ok`
 * (functions/shared/erp/erp-purchasing-port.ts) and the error classes procure-to-pay catches. Anything else is `other`.
 */
const purchaseOrderRefusalReasons = new Set<string>([
  ...([
    'vendor_unknown',
    'vendor_blocked',
    'cost_centre_unknown',
    'cost_centre_closed',
    'budget_missing',
    'currency_mismatch',
    'budget_exceeded',
  ] satisfies Exclude<PurchaseOrderVerdict, 'ok'>[]),
  ...orderRefusalReasons,
]);

/** The `reason` dimension of a refused purchase order: its reason code when it is one of a fixed set, else `other`. */
export function purchaseOrderRefusalReason(reasonCode: string): string {
  return purchaseOrderRefusalReasons.has(reasonCode) ? reasonCode : 'other';
}

/**
 * A queue's logical name, the construct id a person knows: `Concord-prod-Stateless-WarehouseDlq1A2B3C4D-Xy12…`
 * (or its URL) → `WarehouseDlq`. Anything not shaped like a construct id is `other`, so that a name never becomes
 * an unbounded dimension.
 */
export function queueShortName(nameOrUrl: string): string {
  const name = nameOrUrl.split('/').at(-1) ?? nameOrUrl;
  const short = name
    .replace(/\.fifo$/, '')
    .replace(/^Concord-[A-Za-z0-9]+-(?:Stateless|Stateful)-/, '')
    // CloudFormation's random suffix, then the construct path hash CDK appends to the logical id.
    .replace(/-[A-Za-z0-9]{8,13}$/, '')
    .replace(/[0-9A-F]{8}$/, '');
  return /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(short) ? short : 'other';
}

/** The `stage` dimension: the stage the stack runs in, or `unknown` when the stack did not say (never fatal). */
export function readStage(env: NodeJS.ProcessEnv = process.env): string {
  return env.CONCORD_STAGE || 'unknown';
}
