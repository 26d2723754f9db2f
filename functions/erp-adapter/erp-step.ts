/**
 * One ERP step as the state machine sends it, what a step needs (its dependencies) and what one operation's handler
 * is lent to perform it (its StepContext). Handlers live in operations/ and are looked up in operation-table.ts.
 */
import type { ErpEmployeePort } from '../shared/erp/erp-employee-port';
import type { ChangeLookup, ErpPort } from '../shared/erp/erp-port';
import type { ErpPurchasingPort } from '../shared/erp/erp-purchasing-port';
import type { ErpVendorPort } from '../shared/erp/erp-vendor-port';
import type { CanonicalEvent, CanonicalTypeName } from '../shared/events/envelope';
import type { CanonicalDataByType } from '../shared/generated/types';
import type { BusinessMetrics } from '../shared/observability/business-metrics';
import type { ErpOperation } from './erp-operations';
import type { LostAnswerObserver, ResolutionBudget } from './resolve-outcome';
import { requiredText, type StepInput } from './step-input';

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

/** What the use case lends one operation's handler: the step, its ports, and the step's key, commit and announcer. */
export interface StepContext {
  step: ErpStep;
  /** The step's input, read through step-input.ts. */
  input: StepInput;
  deps: ErpStepDependencies;
  /** The step's idempotency key (stepIdempotencyKey): the ERP commits the change once under it. */
  idempotencyKey: string;
  /**
   * Sends a change under the step's key; a lost answer is resolved by reading `port` (the ERP port unless given)
   * under that key before anything else happens (resolve-outcome.ts).
   */
  commit<T>(
    change: () => Promise<T>,
    port?: { lookupChange(key: string): Promise<ChangeLookup> },
  ): Promise<T>;
  /** Publishes the step's authoritative event (one id per step and type) and counts what it stands for. */
  announce<T extends CanonicalTypeName>(
    type: T,
    subject: string,
    data: CanonicalDataByType[T],
  ): Promise<void>;
  /** Counts a lost answer this handler resolved itself (the LostAnswersResolved metric). */
  lostAnswerResolved: LostAnswerObserver;
}

/** One operation: performs the step and returns what the workflow continues with (its Lambda output). */
export type OperationHandler = (context: StepContext) => Promise<Record<string, unknown>>;

/**
 * The idempotency key of a step: what identifies the change, so that no two different changes share one. A payment
 * or a refund is a fact with an id of its own (two partial refunds may share a second and so a version); any other
 * step changes one version of an entity: flow, step, business key and entity version.
 */
export function stepIdempotencyKey(step: ErpStep): string {
  if (step.operation === 'applyPayment')
    return `${step.flow}:applyPayment:${requiredText(step.input, 'paymentId')}`;
  if (step.operation === 'refund') return `${step.flow}:refund:${requiredText(step.input, 'refundRef')}`;
  return `${step.flow}:${step.operation}:${step.businessKey}:${step.entityVersion}`;
}

/** The subject of an event about a source order. */
export function orderSubject(sourceOrderId: string): string {
  return `order/${sourceOrderId}`;
}
