/** Lambda entry of the version gate, called as a workflow's first step. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ErpRefusedError } from '../shared/erp/erp-errors';
import { createTracer, orderIdOf, tracedHandler } from '../shared/observability/tracing';
import { loadVersionGateConfig } from './config';
import { DynamoDbVersionGate, type GateOutcome } from './version-gate';

const { versionTableName } = loadVersionGateConfig();
const tracer = createTracer('version-gate');
const gate = new DynamoDbVersionGate(tracer.captureAWSv3Client(new DynamoDBClient({})), versionTableName);

/**
 * `{ subject, entityVersion, eventId?, replay? }` → `{ outcome: "apply" | "stale", newer? }`;
 * `{ operation: "announce", subject, entityVersion, state, eventId? }` → `{ announced }`.
 * `eventId` is the causing canonical event's `id`: with it, that event passes again at the version it applied (a
 * re-run or redelivery); without it (flows deployed before it), an equal version is stale.
 */
export const handler = tracedHandler(tracer, passGate, {
  // The gate's input names the entity, not the transaction: the workflow's own trace segment links them.
  fromEvent: (event) => ({
    businessKey: typeof event?.subject === 'string' ? event.subject : undefined,
    orderId: orderIdOf(event?.subject),
    operation: event?.operation === 'announce' ? 'announce' : 'pass',
  }),
});

async function passGate(event: {
  operation?: unknown;
  /** The event is a governed replay (it carries `replayid`). */
  replay?: unknown;
  subject?: unknown;
  entityVersion?: unknown;
  /** The causing canonical event's `id`. */
  eventId?: unknown;
  state?: unknown;
}): Promise<GateOutcome | { announced: boolean }> {
  if (typeof event?.subject !== 'string' || typeof event.entityVersion !== 'number') {
    throw new ErpRefusedError(
      'invalid_gate_input',
      'The version gate needs a subject and a numeric entityVersion',
    );
  }
  const eventId = event.eventId ?? undefined;
  if (eventId !== undefined && (typeof eventId !== 'string' || eventId === ''))
    throw new ErpRefusedError('invalid_gate_input', 'The version gate needs eventId as a non-empty string');
  if (event.operation === 'announce') {
    if (event.state === null || typeof event.state !== 'object')
      throw new ErpRefusedError('invalid_gate_input', 'An announcement needs the state it announces');
    return gate.announce(event.subject, event.entityVersion, event.state);
  }
  return gate.pass(event.subject, event.entityVersion, new Date(), {
    replay: event.replay === true,
    eventId,
  });
}
