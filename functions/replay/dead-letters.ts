/**
 * What sits in Concord's dead-letter queues, read the same way whichever door failed: an EventBridge rule target's
 * DLQ (the bus event, with ERROR_CODE/ERROR_MESSAGE/RULE_ARN/TARGET_ARN attributes), a Lambda on-failure destination
 * (the invocation record around the bus event), the ERP outbox relay's queue (an entry that made no valid event) or
 * the exceptions queue (a workflow's case around the canonical event). Each becomes what an operator filters and
 * reads on, plus the target that failed when one is recorded, or else the bus event to re-publish.
 */
import type { Message } from '@aws-sdk/client-sqs';
import { parseTimeBound } from '../shared/ops/time-window';

/** The bus entry a dead letter re-publishes. */
export interface BusEntry {
  source: string;
  detailType: string;
  /** The canonical event (EventBridge Detail). */
  detail: Record<string, unknown>;
}

/** The one target a dead letter failed at, as recorded with it: a replay delivers there, not to the whole bus. */
export interface RecordedTarget {
  /** A state machine, function, delivery stream, queue or event bus. */
  arn: string;
  /** The rule that routed the event to it: its Input, InputPath or InputTransformer shape what the target gets. */
  ruleArn?: string;
  /**
   * What the target is given: for a rule target, the bus event before the rule shapes it; for a function, the
   * payload as it received it.
   */
  input: unknown;
}

/** A dead letter, normalized. */
export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  kind:
    | 'rule-target'
    | 'lambda-destination'
    | 'outbox-entry'
    | 'exception'
    | 'mismatch'
    | 'item-write-back'
    | 'parked'
    | 'unknown';
  eventType?: string;
  /** The SaaS or ERP source URI of the canonical event. */
  source?: string;
  entity?: string;
  correlationId?: string;
  errorCode?: string;
  errorMessage?: string;
  rule?: string;
  target?: string;
  failedStep?: string;
  /**
   * What became of the business transaction, as the workflow recorded it (exceptions only): `failed` or `refused`
   * (the ERP and the bus agree it did not happen) or `unknown-outcome` (the ERP may have committed the failed step).
   */
  outcome?: string;
  /** The compensations that ran, in order (`CancelSalesOrder`, `ReleaseInventory`, …); exceptions only. */
  compensated?: string[];
  /** The compensation that failed, when one did: a document may be left in the ERP. */
  compensationFailure?: { errorCode: string; errorMessage?: string };
  /**
   * Receives of the message, every read included: `dlq show`, the console and a replay's scan each add to it (none of
   * the queues they read has a redrive policy, so it moves nothing). The exceptions queue has no consumer of its own.
   */
  receiveCount: number;
  sentAt: Date;
  /** Absent when the message holds no event that could be re-published. */
  entry?: BusEntry;
  /** Present when the message names the target that failed (EventBridge and Lambda record it; the relay too). */
  recordedTarget?: RecordedTarget;
  /** Set on messages moved to the parking queue. */
  parkedReason?: string;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A queue's name from its URL (or the name itself). */
export function queueNameOf(url: string): string {
  return url.split('/').at(-1) ?? url;
}

/** The bus source a canonical event is published under: the ERP's answers under concord.erp, the rest as ingested. */
export function busSourceOf(eventType: string): string {
  return eventType.startsWith('erp.') ? 'concord.erp' : 'concord.ingest';
}

/** A bus event as EventBridge delivers it (`detail-type`, `source`, `detail`), or undefined. */
function busEvent(value: unknown): BusEntry | undefined {
  const event = asObject(value);
  const detail = asObject(event?.detail);
  if (!event || !detail || typeof event['detail-type'] !== 'string' || typeof event.source !== 'string')
    return undefined;
  return { source: event.source, detailType: event['detail-type'], detail };
}

/** A canonical event on its own (the exceptions queue carries it without the bus envelope). */
function canonicalEntry(value: unknown): BusEntry | undefined {
  const detail = asObject(value);
  if (!detail || typeof detail.type !== 'string') return undefined;
  return { source: busSourceOf(detail.type), detailType: detail.type, detail };
}

function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

function lastSegment(arn: string | undefined): string | undefined {
  return arn?.split(/[:/]/).at(-1);
}

/** The name in a target ARN, without a function's qualifier (`function:WriteBack:$LATEST` is WriteBack). */
export function targetName(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  const [, , service, , , ...resource] = arn.split(':');
  if (service === 'lambda') return resource[1];
  return lastSegment(arn);
}

/** The outcome a workflow records when the ERP may have committed the step that failed (statemachines/*.asl.json). */
export const unknownOutcome = 'unknown-outcome';

/** The Error/Cause pair Step Functions records (`$states.errorOutput`), as a dead letter names an error. */
function stepError(value: unknown): { errorCode: string; errorMessage?: string } | undefined {
  const error = asObject(value);
  if (!error) return undefined;
  return {
    errorCode: typeof error.Error === 'string' ? error.Error : 'Unknown',
    ...(typeof error.Cause === 'string' ? { errorMessage: error.Cause.slice(0, 500) } : {}),
  };
}

/** The case's outcome fields of an exceptions queue message, each left out when the workflow did not record it. */
function caseFieldsOf(
  object: Record<string, unknown>,
): Pick<DeadLetter, 'outcome' | 'compensated' | 'compensationFailure'> {
  const compensationFailure = stepError(object.compensationFailure);
  return {
    ...(typeof object.outcome === 'string' ? { outcome: object.outcome } : {}),
    ...(Array.isArray(object.compensated)
      ? { compensated: object.compensated.filter((step): step is string => typeof step === 'string') }
      : {}),
    ...(compensationFailure ? { compensationFailure } : {}),
  };
}

/** How a case stands for the operator: what `dlq show` and the console's message page both say about it. */
export interface CaseOutcomeSummary {
  /**
   * `unknown`: the ERP may have booked it, so nothing may be compensated or re-sent before the ERP is read;
   * `compensation-failed`: an undo step failed and a document may be left; `settled`: nothing stands in the ERP.
   */
  severity: 'unknown' | 'compensation-failed' | 'settled';
  /** One line for a table cell: the outcome, then what was compensated or what failed to be. */
  headline: string;
  /** What it means and what to do before replaying (docs/runbooks/exceptions.md). */
  advice: string;
}

/** What a workflow exception says about its business transaction; undefined for a letter that records no outcome. */
export function caseOutcomeOf(
  letter: Pick<DeadLetter, 'outcome' | 'compensated' | 'compensationFailure' | 'failedStep'>,
): CaseOutcomeSummary | undefined {
  if (letter.outcome === undefined) return undefined;
  const step = letter.failedStep ?? 'the failed step';
  const compensated = letter.compensated?.length
    ? `compensated ${letter.compensated.join(', ')}`
    : 'nothing compensated';
  if (letter.outcome === unknownOutcome)
    return {
      severity: 'unknown',
      headline: `UNKNOWN OUTCOME at ${step}; ${compensated}`,
      advice:
        `The ERP may have booked what ${step} sent: its answer was lost and could not be learnt, so the workflow ` +
        'undid nothing and announced nothing. Read the ERP first (the idempotency key, or the documents by ' +
        'externalRef): compensate nothing by hand and replay nothing blindly.',
    };
  if (letter.compensationFailure)
    return {
      severity: 'compensation-failed',
      headline: `${letter.outcome}; ${compensated}; COMPENSATION FAILED (${letter.compensationFailure.errorCode})`,
      advice:
        'An undo step failed: a document may be left in the ERP. List the documents by externalRef and mend them ' +
        'by hand before any replay.',
    };
  return {
    severity: 'settled',
    headline: `${letter.outcome}; ${compensated}`,
    advice:
      'The ERP and the bus agree the transaction did not happen. Fix the cause, then re-send the event ' +
      '(idempotent), or park it.',
  };
}

/** The `kind` the ERP outbox relay gives its dead letters (functions/erp-outbox-relay/sqs-outbox-dead-letters.ts). */
export const outboxDeadLetterKind = 'erp-outbox-entry';

/** Reads one SQS message of a dead-letter queue. */
export function readDeadLetter(message: Message): DeadLetter {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    body = undefined;
  }
  const object = asObject(body) ?? {};
  const base = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: new Date(Number(message.Attributes?.SentTimestamp ?? Date.now())),
  };
  const parkedReason = attribute(message, 'PARKED_REASON');
  let letter: DeadLetter;
  const direct = busEvent(object);
  const ruleArn = attribute(message, 'RULE_ARN');
  const targetArn = attribute(message, 'TARGET_ARN');
  if (direct) {
    letter = {
      ...base,
      kind: 'rule-target',
      entry: direct,
      // Both are needed: the rule says how the target's input was shaped from the event.
      ...(ruleArn && targetArn ? { recordedTarget: { arn: targetArn, ruleArn, input: object } } : {}),
      errorCode: attribute(message, 'ERROR_CODE'),
      errorMessage: attribute(message, 'ERROR_MESSAGE'),
      rule: lastSegment(ruleArn),
      target: targetName(targetArn),
    };
  } else if (asObject(object.requestContext)) {
    const context = asObject(object.requestContext) ?? {};
    const response = asObject(object.responsePayload) ?? {};
    const functionArn = typeof context.functionArn === 'string' ? context.functionArn : undefined;
    letter = {
      ...base,
      kind: 'lambda-destination',
      entry: busEvent(object.requestPayload),
      // The payload is what the function received, already shaped by whatever invoked it.
      ...(functionArn && object.requestPayload !== undefined
        ? { recordedTarget: { arn: functionArn, input: object.requestPayload } }
        : {}),
      errorCode: String(response.errorType ?? context.condition ?? 'Unknown'),
      errorMessage: typeof response.errorMessage === 'string' ? response.errorMessage : undefined,
      target: targetName(functionArn),
    };
  } else if (object.kind === outboxDeadLetterKind && asObject(object.entry)) {
    // Written by the ERP outbox relay: the entry goes back to the relay, which maps it again (after a fix).
    const entry = asObject(object.entry) ?? {};
    letter = {
      ...base,
      kind: 'outbox-entry',
      ...(targetArn ? { recordedTarget: { arn: targetArn, input: { redrive: [entry] } } } : {}),
      eventType: typeof entry.type === 'string' ? entry.type : undefined,
      entity: `erp-outbox/${String(entry.seq)}`,
      errorCode: typeof object.errorCode === 'string' ? object.errorCode : attribute(message, 'ERROR_CODE'),
      errorMessage: typeof object.reason === 'string' ? object.reason : attribute(message, 'ERROR_MESSAGE'),
      target: targetName(targetArn),
    };
  } else if (typeof object.flow === 'string' && asObject(object.event)) {
    const error = asObject(object.error) ?? {};
    letter = {
      ...base,
      kind: 'exception',
      entry: canonicalEntry(object.event),
      errorCode: typeof error.Error === 'string' ? error.Error : undefined,
      errorMessage: typeof error.Cause === 'string' ? error.Cause.slice(0, 500) : undefined,
      target: object.flow,
      failedStep: typeof object.failedStep === 'string' ? object.failedStep : undefined,
      ...caseFieldsOf(object),
    };
  } else if (object.kind === 'item-write-back' && asObject(object.change)) {
    // Written by the item write-back (docs/item-sync.md): a level or price the platform refused or kept failing. The
    // next ERP change of the key writes it again; there is no event to re-publish.
    const change = asObject(object.change) ?? {};
    letter = {
      ...base,
      kind: 'item-write-back',
      eventType: change.kind === 'price' ? 'erp.item.price-changed.v1' : 'erp.stock.changed.v1',
      entity: String(object.key),
      errorCode: typeof object.errorCode === 'string' ? object.errorCode : attribute(message, 'ERROR_CODE'),
      errorMessage: typeof object.reason === 'string' ? object.reason : attribute(message, 'ERROR_MESSAGE'),
      target: typeof object.platform === 'string' ? object.platform : undefined,
    };
  } else if (object.kind === 'reconciliation-mismatch' && asObject(object.mismatch)) {
    // Mended through its reconciliation's replay plan, not by re-publishing the message.
    const mismatch = asObject(object.mismatch) ?? {};
    letter = {
      ...base,
      kind: 'mismatch',
      errorCode: String(mismatch.class),
      errorMessage: typeof mismatch.detail === 'string' ? mismatch.detail : undefined,
      target: `reconciliation ${String(object.reconciliationId)} (${String(object.remedy)})`,
      entity: `${String(mismatch.entity)}/${String(mismatch.key)}`,
      correlationId: typeof mismatch.correlationId === 'string' ? mismatch.correlationId : undefined,
    };
  } else {
    letter = { ...base, kind: 'unknown' };
  }
  const detail = letter.entry?.detail;
  return {
    ...letter,
    ...(parkedReason ? { kind: 'parked' as const, parkedReason } : {}),
    eventType: letter.entry?.detailType ?? letter.eventType,
    source: typeof detail?.source === 'string' ? detail.source : undefined,
    entity: typeof detail?.subject === 'string' ? detail.subject : letter.entity,
    correlationId: typeof detail?.correlationid === 'string' ? detail.correlationid : letter.correlationId,
  };
}

/** What an operator narrows a replay or a listing to; every given field must match. */
export interface DeadLetterFilter {
  /** Event type, exact or a prefix ending in `*` (commerce.order.*). */
  type?: string;
  /** Source URI, or its scheme (shopify). */
  source?: string;
  /** Error code, exact. */
  error?: string;
  /** Entity subject, exact (order/5820741173332). */
  entity?: string;
  since?: Date;
  until?: Date;
}

export function matchesFilter(
  letter: Pick<DeadLetter, 'eventType' | 'source' | 'errorCode' | 'entity' | 'sentAt'>,
  filter: DeadLetterFilter,
): boolean {
  if (filter.type) {
    const type = letter.eventType ?? '';
    const ok = filter.type.endsWith('*') ? type.startsWith(filter.type.slice(0, -1)) : type === filter.type;
    if (!ok) return false;
  }
  if (filter.source) {
    const source = letter.source ?? '';
    if (source !== filter.source && !source.startsWith(`${filter.source}://`)) return false;
  }
  if (filter.error && letter.errorCode !== filter.error) return false;
  if (filter.entity && letter.entity !== filter.entity) return false;
  if (filter.since && letter.sentAt < filter.since) return false;
  if (filter.until && letter.sentAt > filter.until) return false;
  return true;
}

/** A filter as people and consoles write it: times are durations back from now (`2h`) or ISO timestamps. */
export interface FilterInput {
  type?: string;
  source?: string;
  error?: string;
  entity?: string;
  since?: string;
  until?: string;
}

export function parseFilter(input: FilterInput = {}): DeadLetterFilter {
  return {
    ...(input.type ? { type: input.type } : {}),
    ...(input.source ? { source: input.source } : {}),
    ...(input.error ? { error: input.error } : {}),
    ...(input.entity ? { entity: input.entity } : {}),
    ...(input.since ? { since: parseTimeBound(input.since) } : {}),
    ...(input.until ? { until: parseTimeBound(input.until) } : {}),
  };
}

/** Whether a value is an event as EventBridge delivers it, with a JSON object as its detail. */
export function isBusEvent(
  value: unknown,
): value is Record<string, unknown> & { detail: Record<string, unknown> } {
  const event = value as Record<string, unknown> | null;
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event['detail-type'] === 'string' &&
    typeof event.detail === 'object' &&
    event.detail !== null &&
    !Array.isArray(event.detail)
  );
}

const serviceLabels: Record<string, string> = {
  states: 'state machine',
  lambda: 'function',
  firehose: 'delivery stream',
  sqs: 'queue',
  events: 'event bus',
};

/** How a dry run and the audit name a target: its kind and name (`state machine OrderToCash`). */
export function describeRecordedTarget(recorded: RecordedTarget): string {
  const service = recorded.arn.split(':')[2] ?? '';
  return `${serviceLabels[service] ?? service} ${targetName(recorded.arn) ?? recorded.arn}`;
}
