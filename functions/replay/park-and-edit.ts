import {
  DeleteMessageCommand,
  type Message,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { validateCanonicalEvent } from '../shared/events/envelope';
import { newId } from '../shared/ids';
import { busSourceOf, readDeadLetter } from './dead-letters';
import { deliverToRecordedTarget, type ReplayDependencies } from './replay';
import { publishReplayed, receiveBatch, releaseMessages } from './replay-io';
import { describeRecordedTarget, isBusEvent } from './target-delivery';

/** Receives messages (hidden for `visibilitySec`) until every wanted id is found or the queue has no new one. */
async function takeMessages(
  sqs: SQSClient,
  queueUrl: string,
  wanted: ReadonlySet<string>,
  visibilitySec = 60,
): Promise<{ found: Message[]; others: Message[] }> {
  const found: Message[] = [];
  const others: Message[] = [];
  const seen = new Set<string>();
  while (found.length < wanted.size) {
    const Messages = await receiveBatch(sqs, queueUrl, visibilitySec);
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
  const queue = request.queueUrl.split('/').at(-1) ?? request.queueUrl;
  const { found, others } = await takeMessages(deps.sqs, request.queueUrl, new Set(request.messageIds));
  const parked: string[] = [];
  try {
    for (const message of found) {
      const attributes: Record<string, MessageAttributeValue> = {
        ...(message.MessageAttributes ?? {}),
        PARKED_REASON: { DataType: 'String', StringValue: request.reason },
        PARKED_FROM: { DataType: 'String', StringValue: queue },
        PARKED_BY: { DataType: 'String', StringValue: request.operator },
        PARKED_MESSAGE_ID: { DataType: 'String', StringValue: message.MessageId ?? '' },
      };
      await deps.sqs.send(
        new SendMessageCommand({
          QueueUrl: request.parkingQueueUrl,
          MessageBody: message.Body ?? '',
          MessageAttributes: attributes,
        }),
      );
      await deps.sqs.send(
        new DeleteMessageCommand({ QueueUrl: request.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      parked.push(message.MessageId ?? '');
    }
  } finally {
    await releaseMessages(deps.sqs, request.queueUrl, others);
  }
  const notFound = request.messageIds.filter((id) => !parked.includes(id));
  await deps.journal.record({
    id: newId(),
    action: 'park',
    operator: request.operator,
    reason: request.reason,
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
  ) {
    super(message);
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
  const queue = request.queueUrl.split('/').at(-1) ?? request.queueUrl;
  // Held for the editor's time: nobody else replays it meanwhile.
  const { found, others } = await takeMessages(deps.sqs, request.queueUrl, new Set([request.messageId]), 900);
  await releaseMessages(deps.sqs, request.queueUrl, others);
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
      replayby: request.operator,
      replayreason: request.reason,
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
        : await publishReplayed(
            deps,
            { source: busSourceOf(String(event.type)), detailType: String(event.type), detail: event },
            metadata,
          );
    await deps.sqs.send(
      new DeleteMessageCommand({ QueueUrl: request.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
    await deps.journal.record({
      id: metadata.replayid,
      action: 'edit',
      operator: request.operator,
      reason: request.reason,
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
    await releaseMessages(deps.sqs, request.queueUrl, [message]);
    throw error;
  }
}
