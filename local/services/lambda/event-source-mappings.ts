/** SQS → Lambda event source mappings: pollers that invoke a function with batches and delete what it handled. */
import type { DurableStore } from '../../store/durable-store';
import type { SqsService } from '../sqs/sqs-service';
import type { LambdaService } from './lambda-service';

/** A mapping as deployed. */
export interface EventSourceMapping {
  queueArn: string;
  functionName: string;
  batchSize: number;
  maximumBatchingWindowSec: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

interface SqsMessage {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
  MD5OfBody: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
}

/** Runs one poller per enabled mapping, as Lambda's event source mapping service does. */
export class EventSourceMappings {
  private readonly pollers = new Map<string, AbortController>();

  constructor(
    private readonly store: DurableStore,
    private readonly sqs: SqsService,
    private readonly lambda: LambdaService,
    private readonly region: string,
  ) {}

  /** Starts the pollers of mappings deployed before a restart. */
  start(): void {
    for (const { name, value } of this.store.listResources<EventSourceMapping>('lambda-esm'))
      if (value.enabled) this.poll(name, value);
  }

  put(id: string, mapping: EventSourceMapping): void {
    this.store.putResource('lambda-esm', id, mapping);
    this.pollers.get(id)?.abort();
    if (mapping.enabled) this.poll(id, mapping);
  }

  remove(id: string): void {
    this.store.deleteResource('lambda-esm', id);
    this.pollers.get(id)?.abort();
    this.pollers.delete(id);
  }

  close(): void {
    for (const controller of this.pollers.values()) controller.abort();
  }

  private poll(id: string, mapping: EventSourceMapping): void {
    const controller = new AbortController();
    this.pollers.set(id, controller);
    const loop = async () => {
      while (!controller.signal.aborted) {
        try {
          await this.pollOnce(mapping, controller.signal);
        } catch (error) {
          if (!controller.signal.aborted) {
            console.warn(
              `[event-source-mapping] ${mapping.queueArn} → ${mapping.functionName}: ${(error as Error).message}`,
            );
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        }
      }
    };
    void loop();
  }

  private async pollOnce(mapping: EventSourceMapping, signal: AbortSignal): Promise<void> {
    const queue = this.sqs.queueByArn(mapping.queueArn);
    const url = this.sqs.queueUrl(queue.name);
    const { Messages = [] } = (await this.sqs.handle('ReceiveMessage', {
      QueueUrl: url,
      MaxNumberOfMessages: Math.min(10, mapping.batchSize),
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    })) as { Messages?: SqsMessage[] };
    if (Messages.length === 0 || signal.aborted) return;
    const event = {
      Records: Messages.map((message) => ({
        messageId: message.MessageId,
        receiptHandle: message.ReceiptHandle,
        body: message.Body,
        attributes: message.Attributes ?? {},
        messageAttributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            {
              dataType: value.DataType,
              stringValue: value.StringValue,
              binaryValue: value.BinaryValue,
              stringListValues: [],
              binaryListValues: [],
            },
          ]),
        ),
        md5OfBody: message.MD5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: mapping.queueArn,
        awsRegion: this.region,
      })),
    };
    let result: Awaited<ReturnType<LambdaService['invoke']>>;
    try {
      result = await this.lambda.invoke(mapping.functionName, JSON.stringify(event));
    } catch {
      // Throttled or gone: the messages become visible again after their visibility timeout.
      return;
    }
    // A failed batch stays in the queue: visibility timeout, then retry, then the queue's redrive policy.
    if (result.functionError) return;
    let failed = new Set<string>();
    if (mapping.reportBatchItemFailures) {
      try {
        const response = JSON.parse(result.payload) as {
          batchItemFailures?: { itemIdentifier: string }[];
        } | null;
        failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      } catch {
        return;
      }
    }
    const done = Messages.filter((message) => !failed.has(message.MessageId));
    if (done.length > 0) {
      await this.sqs.handle('DeleteMessageBatch', {
        QueueUrl: url,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      });
    }
  }
}
