/** What the e2e tests wait for on queues: bus events an observer queue received, and the exceptions queue's messages. */
import { ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { drainQueue, observeBus } from './deployed-platform';
import { eventually } from './eventually';

/** A bus event as an observer queue received it: its detail-type, its subject and its data. */
export interface ObservedEvent {
  type: string;
  subject: string;
  data: Record<string, unknown>;
}

/** The events an observer queue (see observeBus) received, kept across waits: draining a queue consumes it. */
export class ObservedBusEvents {
  /** Every event received so far, in the order it was drained. */
  readonly events: ObservedEvent[] = [];

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Creates the observer queue `name` for the bus events matching `pattern` (see observeBus) and watches it. */
  static async observe(
    clients: Parameters<typeof observeBus>[0],
    name: string,
    pattern: Parameters<typeof observeBus>[2],
  ): Promise<ObservedBusEvents> {
    return new ObservedBusEvents(clients.sqs, await observeBus(clients, name, pattern));
  }

  /** Waits for the first event that `matches`, draining the queue meanwhile; fails after `timeoutMs`. */
  async find(matches: (event: ObservedEvent) => boolean, timeoutMs?: number): Promise<ObservedEvent> {
    return eventually(async () => {
      for (const event of (await drainQueue(this.sqs, this.queueUrl)) as {
        'detail-type': string;
        detail: { subject: string; data: Record<string, unknown> };
      }[])
        this.events.push({
          type: event['detail-type'],
          subject: event.detail.subject,
          data: event.detail.data,
        });
      return this.events.find(matches);
    }, timeoutMs);
  }
}

/** The local stage's exceptions queue, its messages kept across waits: draining the queue consumes them. */
export class ExceptionsQueueMessages {
  private readonly messages: Record<string, unknown>[] = [];

  private constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Finds the local stage's exceptions queue. */
  static async open(sqs: SQSClient): Promise<ExceptionsQueueMessages> {
    const { QueueUrls = [] } = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'Concord-local-Stateful-ExceptionsQueue' }),
    );
    return new ExceptionsQueueMessages(sqs, QueueUrls[0] as string);
  }

  /** Waits for the first message for `businessKey` that `matches`, draining the queue meanwhile. */
  async find(
    businessKey: string,
    matches: (body: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>> {
    return eventually(async () => {
      this.messages.push(...((await drainQueue(this.sqs, this.queueUrl)) as Record<string, unknown>[]));
      return this.messages.find((body) => body.businessKey === businessKey && matches(body));
    });
  }
}
