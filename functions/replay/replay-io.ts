/** The I/O every ops action shares: taking dead letters from a queue, giving them back, and re-publishing events. */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { BusEntry } from './dead-letters';
import type { ReplayDependencies } from './replay';

/** Up to ten messages with every attribute, hidden from other readers for `visibilitySec` (0: only a look). */
export async function receiveBatch(
  sqs: SQSClient,
  queueUrl: string,
  visibilitySec: number,
): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: visibilitySec,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

/** Makes messages visible again at once, instead of after their visibility timeout; best effort. */
export async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
): Promise<void> {
  for (const message of messages)
    await sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      )
      .catch(() => {});
}

/** Who replays what, carried on the event as CloudEvents extension attributes. */
export interface ReplayMetadata {
  replayid: string;
  /** The message id, or the archive object, the event came from. */
  replayof: string;
  replayby: string;
  replayreason: string;
}

/** Puts one event on the stage bus with its replay metadata; returns the bus's event id. */
export async function publishReplayed(
  deps: Pick<ReplayDependencies, 'events' | 'busName'>,
  entry: BusEntry,
  metadata: ReplayMetadata,
): Promise<string> {
  const { FailedEntryCount, Entries = [] } = await deps.events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: deps.busName,
          Source: entry.source,
          DetailType: entry.detailType,
          Detail: JSON.stringify({ ...entry.detail, ...metadata }),
        },
      ],
    }),
  );
  if (FailedEntryCount)
    throw new Error(
      `PutEvents refused ${entry.detailType}: ${Entries[0]?.ErrorCode} ${Entries[0]?.ErrorMessage}`,
    );
  return Entries[0]?.EventId ?? '';
}
