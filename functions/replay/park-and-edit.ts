/**
 * Parking and editing dead letters: moving them aside with a reason, and publishing an edited copy of one's event once
 * it validates. Both audited; the same use cases serve the `replay` Lambda, the `concord` CLI and the console.
 */
import { validateCanonicalEvent } from '../shared/events/envelope';
import { newId } from '../shared/ids';
import { requireAccountable } from './accountability';
import { busSourceOf, describeRecordedTarget, isBusEvent, queueNameOf, readDeadLetter } from './dead-letters';
import { deliverToRecordedTarget } from './delivery';
import type { DeadLetterQueues, QueueMessage, ReplayDependencies } from './ports';

/** Receives messages (hidden for `visibilitySec`) until every wanted id is found or the queue has no new one. */
async function takeMessages(
  queues: DeadLetterQueues,
  queueUrl: string,
  wanted: ReadonlySet<string>,
  visibilitySec = 60,
): Promise<{ found: QueueMessage[]; others: QueueMessage[] }> {
  const found: QueueMessage[] = [];
  const others: QueueMessage[] = [];
  const seen = new Set<string>();
  while (found.length < wanted.size) {
    const Messages = await queues.receive(queueUrl, visibilitySec);
    const fresh = Messages.filter((message) => !seen.has(message.MessageId ?? ''));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId ?? '');
      (wanted.has(message.MessageId ?? '') ? found : others).push(message);
    }
  }
  return { found, others };
}

/** Moves messages to the parking queue with the reason; what cannot be found is reported, not guessed. */
export async function parkMessages(
  deps: ReplayDependencies,
  request: {
    queueUrl: string;
    parkingQueueUrl: string;
    messageIds: string[];
    operator: string;
    reason: string;
  },
): Promise<{ parked: string[]; notFound: string[] }> {
  const { operator, reason } = requireAccountable(request, { action: 'parking' });
  const queue = queueNameOf(request.queueUrl);
  const { found, others } = await takeMessages(deps.queues, request.queueUrl, new Set(request.messageIds));
  const parked: string[] = [];
  try {
    for (const message of found) {
      await deps.queues.send(request.parkingQueueUrl, message.Body ?? '', {
        ...(message.MessageAttributes ?? {}),
        PARKED_REASON: { DataType: 'String', StringValue: reason },
        PARKED_FROM: { DataType: 'String', StringValue: queue },
        PARKED_BY: { DataType: 'String', StringValue: operator },
        PARKED_MESSAGE_ID: { DataType: 'String', StringValue: message.MessageId ?? '' },
      });
      // Deleted only once the parking queue holds it: a failure in between leaves a copy, never none.
      await deps.queues.delete(request.queueUrl, message.ReceiptHandle);
      parked.push(message.MessageId ?? '');
    }
  } finally {
    await deps.queues.release(request.queueUrl, others);
  }
  const notFound = request.messageIds.filter((id) => !parked.includes(id));
  await deps.journal.record({
    id: newId(),
    action: 'park',
    operator,
    reason,
    queue,
    at: new Date().toISOString(),
    status: 'done',
    detail: { parked, notFound },
  });
  return { parked, notFound };
}

/** RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Why an edit was not published. */
export class EditRefusedError extends Error {
  override readonly name = 'EditRefusedError';
  constructor(
    message: string,
    readonly violations: { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Publishes an edited copy of a dead letter's event as a new event (new id; `editof` names the original event,
 * `replayof` the message) once it validates against its schema, then deletes the message. `edit` receives the
 * original canonical event and returns the edited one.
 */
export async function editAndReplay(
  deps: ReplayDependencies,
  request: {
    queueUrl: string;
    messageId: string;
    operator: string;
    reason: string;
    edit(original: Record<string, unknown>): Promise<unknown>;
  },
): Promise<{ eventId: string; busEventId: string }> {
  const { operator, reason } = requireAccountable(request, { action: 'an edit' });
  const queue = queueNameOf(request.queueUrl);
  // Held for the editor's time: nobody else replays it meanwhile.
  const { found, others } = await takeMessages(
    deps.queues,
    request.queueUrl,
    new Set([request.messageId]),
    900,
  );
  await deps.queues.release(request.queueUrl, others);
  const [message] = found;
  if (!message) throw new EditRefusedError(`no message ${request.messageId} in ${queue}`);
  try {
    const letter = readDeadLetter(message);
    if (!letter.entry) throw new EditRefusedError(`message ${request.messageId} holds no event to edit`);
    const original = letter.entry.detail;
    const edited = await request.edit(original);
    if (edited === null || typeof edited !== 'object' || Array.isArray(edited))
      throw new EditRefusedError('the edited event must be a JSON object');
    const metadata = {
      replayid: newId(),
      replayof: request.messageId,
      replayby: operator,
      replayreason: reason,
    };
    const event: Record<string, unknown> & { id: string } = {
      ...(edited as Record<string, unknown>),
      id: newId(),
      editof: String(original.id ?? ''),
    };
    const violations = validateCanonicalEvent({ ...event, ...metadata } as unknown as {
      type: string;
      data: unknown;
    });
    if (violations.length > 0)
      throw new EditRefusedError(
        'the edited event does not match its schema; nothing was published',
        violations,
      );
    // A message that records the target that failed goes back to that target only, with the edited event.
    const recorded = letter.recordedTarget;
    const busEventId =
      recorded && isBusEvent(recorded.input)
        ? await deliverToRecordedTarget(
            deps,
            { ...recorded, input: { ...recorded.input, detail: event } },
            metadata,
          )
        : await deps.bus.publish(
            { source: busSourceOf(String(event.type)), detailType: String(event.type), detail: event },
            metadata,
          );
    await deps.queues.delete(request.queueUrl, message.ReceiptHandle);
    await deps.journal.record({
      id: metadata.replayid,
      action: 'edit',
      operator,
      reason,
      queue,
      at: new Date().toISOString(),
      status: 'done',
      detail: {
        messageId: request.messageId,
        originalEventId: original.id,
        eventId: event.id,
        before: original,
        after: { ...event, ...metadata },
        ...(recorded && isBusEvent(recorded.input) ? { target: describeRecordedTarget(recorded) } : {}),
      },
    });
    return { eventId: event.id, busEventId };
  } catch (error) {
    await deps.queues.release(request.queueUrl, [message]);
    throw error;
  }
}
