/** The item write-back's queues on SQS: delayed flush requests to its own queue, and refused writes to its DLQ. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BatchEntriesRefusedError } from '../../shared/errors';
import type { FlushQueue, ItemDeadLetters, ItemWriteBackDeadLetter } from './item-write-back';

/** A flush request's body: which key to write. */
export interface FlushRequest {
  flush: string;
}

async function sendInBatches(
  sqs: SQSClient,
  queueUrl: string,
  entries: {
    MessageBody: string;
    DelaySeconds?: number;
    MessageAttributes?: Record<string, { DataType: string; StringValue: string }>;
  }[],
): Promise<void> {
  // SendMessageBatch takes at most 10 entries; a partial failure is a failure of the whole call for the caller.
  for (let start = 0; start < entries.length; start += 10) {
    const chunk = entries.slice(start, start + 10);
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((entry, index) => ({ Id: String(index), ...entry })),
      }),
    );
    const refusals = Failed.map((f) => `${f.Code} ${f.Message ?? ''}`);
    if (refusals.length > 0)
      throw new BatchEntriesRefusedError(
        `SQS refused ${refusals.length} of ${chunk.length} messages for ${queueUrl}: ${refusals.join('; ')}`,
        refusals,
      );
  }
}

/** Sends flush requests to the item write-back's own queue, delayed by the coalescing window. */
export class SqsFlushQueue implements FlushQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    /** The coalescing window: changes of a key within it are written once (SQS allows 0 to 900 s). */
    private readonly delaySec: number,
  ) {}

  async schedule(keys: readonly string[]): Promise<void> {
    await sendInBatches(
      this.sqs,
      this.queueUrl,
      keys.map((key) => ({
        MessageBody: JSON.stringify({ flush: key } satisfies FlushRequest),
        DelaySeconds: this.delaySec,
      })),
    );
  }
}

/** Sends writes the platform refused to the item write-back's DLQ, the error in attributes as well as the body. */
export class SqsItemDeadLetters implements ItemDeadLetters {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(letters: readonly ItemWriteBackDeadLetter[]): Promise<void> {
    await sendInBatches(
      this.sqs,
      this.queueUrl,
      letters.map((letter) => ({
        MessageBody: JSON.stringify(letter),
        MessageAttributes: {
          // The names EventBridge gives a target's dead letters, which the replay tooling reads.
          ERROR_CODE: { DataType: 'String', StringValue: letter.errorCode },
          ERROR_MESSAGE: { DataType: 'String', StringValue: letter.reason.slice(0, 1000) },
        },
      })),
    );
  }
}
