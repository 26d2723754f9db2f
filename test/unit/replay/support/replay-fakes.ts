/** In-memory implementations of the replay ports, with SQS's visibility semantics, for the use-case tests. */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { BusEntry, RecordedTarget } from '../../../../functions/replay/dead-letters';
import type {
  ArchiveReplayState,
  AuditJournal,
  AuditRecord,
  BusArchive,
  DeadLetterQueues,
  QueueDepth,
  QueueMessage,
  ReplayBus,
  ReplayDependencies,
  ReplayMetadata,
  TargetDeliverer,
  WarehouseReplayTarget,
} from '../../../../functions/replay/ports';

interface StoredMessage {
  message: QueueMessage;
  /** While set, the message is hidden from receivers (as SQS hides a received message). */
  hidden: boolean;
}

/** Queues in memory: a receive hides what it returns (unless its visibility is 0), a release shows it again. */
export class InMemoryDeadLetterQueues implements DeadLetterQueues {
  private readonly queues = new Map<string, StoredMessage[]>();
  private receipts = 0;
  /** Every call, in order, for assertions on what was touched. */
  readonly calls: string[] = [];

  /** Puts messages in a queue, as a failure would have. */
  seed(queueUrl: string, messages: readonly QueueMessage[]): void {
    const stored = this.queues.get(queueUrl) ?? [];
    for (const message of messages) stored.push({ message: { ...message }, hidden: false });
    this.queues.set(queueUrl, stored);
  }

  /** The ids of the messages a queue holds, hidden or not. */
  messageIds(queueUrl: string): string[] {
    return (this.queues.get(queueUrl) ?? []).map((stored) => stored.message.MessageId ?? '');
  }

  /** The messages a queue holds. */
  messages(queueUrl: string): QueueMessage[] {
    return (this.queues.get(queueUrl) ?? []).map((stored) => stored.message);
  }

  async receive(queueUrl: string, visibilitySec: number): Promise<QueueMessage[]> {
    this.calls.push(`receive ${queueUrl}`);
    const stored = this.queues.get(queueUrl) ?? [];
    const visible = stored.filter((candidate) => !candidate.hidden).slice(0, 10);
    for (const taken of visible) {
      this.receipts += 1;
      taken.message.ReceiptHandle = `receipt-${this.receipts}`;
      taken.hidden = visibilitySec > 0;
    }
    // A look leaves the messages visible; moving them back lets the next look sample others, as SQS's would.
    if (visibilitySec === 0)
      this.queues.set(queueUrl, [...stored.filter((candidate) => !visible.includes(candidate)), ...visible]);
    return visible.map((taken) => ({ ...taken.message }));
  }

  async delete(queueUrl: string, receiptHandle: string | undefined): Promise<void> {
    this.calls.push(`delete ${queueUrl}`);
    const stored = this.queues.get(queueUrl) ?? [];
    this.queues.set(
      queueUrl,
      stored.filter((candidate) => candidate.message.ReceiptHandle !== receiptHandle),
    );
  }

  async release(queueUrl: string, messages: readonly QueueMessage[]): Promise<void> {
    this.calls.push(`release ${queueUrl}`);
    for (const stored of this.queues.get(queueUrl) ?? [])
      if (messages.some((message) => message.ReceiptHandle === stored.message.ReceiptHandle))
        stored.hidden = false;
  }

  async send(
    queueUrl: string,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
  ): Promise<void> {
    this.calls.push(`send ${queueUrl}`);
    this.seed(queueUrl, [
      {
        MessageId: `sent-${this.messageIds(queueUrl).length + 1}`,
        Body: body,
        MessageAttributes: attributes,
        Attributes: { SentTimestamp: String(Date.now()), ApproximateReceiveCount: '0' },
      },
    ]);
  }

  async depth(queueUrl: string): Promise<QueueDepth> {
    const stored = this.queues.get(queueUrl) ?? [];
    return {
      visible: stored.filter((message) => !message.hidden).length,
      inFlight: stored.filter((message) => message.hidden).length,
    };
  }
}

/** A bus that keeps what was published; `refuse` makes it refuse the events of one detail type. */
export class RecordingReplayBus implements ReplayBus {
  readonly published: { entry: BusEntry; metadata: ReplayMetadata }[] = [];
  refuse?: string;

  async publish(entry: BusEntry, metadata: ReplayMetadata): Promise<string> {
    if (entry.detailType === this.refuse) throw new Error(`the bus refused ${entry.detailType}`);
    this.published.push({ entry, metadata });
    return `bus-event-${this.published.length}`;
  }
}

/** Targets that keep what was delivered to them; `refuse` makes one target ARN refuse. */
export class RecordingTargetDeliverer implements TargetDeliverer {
  readonly delivered: { recorded: RecordedTarget; metadata: ReplayMetadata }[] = [];
  refuse?: string;

  async deliver(recorded: RecordedTarget, metadata: ReplayMetadata): Promise<string> {
    if (recorded.arn === this.refuse) throw new Error(`${recorded.arn} refused the delivery`);
    this.delivered.push({ recorded, metadata });
    return `delivery-${this.delivered.length}`;
  }
}

/** The ops audit in memory: records by id, and each replay's delivered messages. */
export class InMemoryAuditJournal implements AuditJournal {
  readonly records = new Map<string, AuditRecord>();
  readonly published = new Map<string, string>();

  async record(entry: AuditRecord): Promise<void> {
    this.records.set(entry.id, structuredClone(entry));
  }

  async update(entry: AuditRecord): Promise<void> {
    this.records.set(entry.id, structuredClone(entry));
  }

  async find(id: string): Promise<AuditRecord | undefined> {
    const found = this.records.get(id);
    return found ? structuredClone(found) : undefined;
  }

  async wasPublished(replayId: string, messageId: string): Promise<boolean> {
    return this.published.has(`${replayId}/${messageId}`);
  }

  async markPublished(replayId: string, messageId: string, eventId: string, target?: string): Promise<void> {
    this.published.set(`${replayId}/${messageId}`, target ? `${eventId} ${target}` : eventId);
  }

  /** The records, oldest first. */
  all(): AuditRecord[] {
    return [...this.records.values()];
  }
}

/** A bus archive whose replays complete on their first look, or fail when `failing` is set. */
export class FakeBusArchive implements BusArchive {
  readonly started: { name: string; from: Date; to: Date; description: string }[] = [];
  failing = false;
  readonly target: WarehouseReplayTarget = {
    busArn: 'arn:aws:events:us-east-1:123456789012:event-bus/concord-test',
    archiveArn: 'arn:aws:events:us-east-1:123456789012:archive/concord-test',
    ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/concord-test/WarehouseRule',
  };

  async warehouseReplayTarget(): Promise<WarehouseReplayTarget> {
    return this.target;
  }

  async startReplay(
    name: string,
    _target: WarehouseReplayTarget,
    window: { from: Date; to: Date; description: string },
  ): Promise<void> {
    this.started.push({ name, ...window });
  }

  async replayState(name: string): Promise<ArchiveReplayState> {
    return this.failing ? { state: 'FAILED', reason: `${name}: archive unreadable` } : { state: 'COMPLETED' };
  }
}

/** The fakes wired as the use cases' dependencies. */
export function fakeReplayDependencies(options: { withTargets?: boolean } = {}) {
  const queues = new InMemoryDeadLetterQueues();
  const bus = new RecordingReplayBus();
  const targets = new RecordingTargetDeliverer();
  const journal = new InMemoryAuditJournal();
  const versions = new Map<string, number>();
  const deps: ReplayDependencies = {
    queues,
    bus,
    busName: 'concord-test',
    journal,
    ...(options.withTargets === false ? {} : { targets }),
    appliedVersion: async (subject) => versions.get(subject),
  };
  return { deps, queues, bus, targets, journal, versions };
}
