/** The dead-letter queues on SQS: the {@link DeadLetterQueues} port. */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeadLetterQueues, QueueDepth, QueueMessage } from '../ports';

/** Reads, takes, gives back, moves and deletes dead letters with one SQS client. */
export class SqsDeadLetterQueues implements DeadLetterQueues {
  constructor(private readonly sqs: SQSClient) {}

  async receive(queueUrl: string, visibilitySec: number): Promise<QueueMessage[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilitySec,
        // A short poll: an empty answer is how a scan knows it has seen the queue.
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages;
  }

  async delete(queueUrl: string, receiptHandle: string | undefined): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
  }

  async release(queueUrl: string, messages: readonly QueueMessage[]): Promise<void> {
    for (const message of messages)
      await this.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        // Best effort: a message not given back returns anyway when its visibility timeout ends.
        .catch(() => {});
  }

  async send(
    queueUrl: string,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
  ): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
    );
  }

  async depth(queueUrl: string): Promise<QueueDepth> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }
}
