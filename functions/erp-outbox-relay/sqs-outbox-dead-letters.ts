/** The relay's dead-letter queue on SQS: each refused outbox entry with its reason, cursor position and redrive target. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BatchEntriesRefusedError, DownstreamUnavailableError } from '../shared/errors';
import type { OutboxDeadLetter } from './relay';

/** The body's `kind`: how the replayer (functions/replay/dead-letters.ts) recognizes an outbox dead letter. */
export const outboxDeadLetterKind = 'erp-outbox-entry';

/** SendMessageBatch takes at most ten messages. */
const batchSize = 10;

/**
 * Sends dead letters with the attributes an EventBridge target DLQ carries (ERROR_CODE, ERROR_MESSAGE, TARGET_ARN),
 * so that `concord dlq` lists them like the others and `concord replay` hands the entry back to this relay
 * (`relayArn`, the function's own ARN) instead of publishing anything to the bus itself.
 */
export class SqsOutboxDeadLetters {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly relayArn: string,
  ) {}

  /** Resolves once SQS holds every letter; throws DownstreamUnavailableError otherwise (the cursor must not move). */
  async send(letters: readonly OutboxDeadLetter[]): Promise<void> {
    for (let start = 0; start < letters.length; start += batchSize) {
      const batch = letters.slice(start, start + batchSize);
      let failed: { Id?: string; Code?: string; Message?: string }[];
      try {
        ({ Failed: failed = [] } = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map((letter, index) => ({
              Id: String(index),
              MessageBody: JSON.stringify({ kind: outboxDeadLetterKind, ...letter }),
              MessageAttributes: {
                ERROR_CODE: { DataType: 'String', StringValue: letter.errorCode },
                ERROR_MESSAGE: { DataType: 'String', StringValue: letter.reason.slice(0, 1000) },
                TARGET_ARN: { DataType: 'String', StringValue: this.relayArn },
                OUTBOX_SEQ: { DataType: 'String', StringValue: String(letter.cursor) },
              },
            })),
          }),
        ));
      } catch (error) {
        throw new DownstreamUnavailableError('SQS outbox dead-letter queue', { cause: error });
      }
      const refusals = failed.map((entry) => `${entry.Code}: ${entry.Message}`);
      if (refusals.length > 0)
        throw new DownstreamUnavailableError('SQS outbox dead-letter queue', {
          cause: new BatchEntriesRefusedError(refusals.join('; '), refusals),
        });
    }
  }
}
