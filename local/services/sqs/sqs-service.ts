/** SQS (standard queues, JSON protocol): durable messages, visibility timeouts, long polling, redrive to DLQs. */
import { createHash, randomUUID } from 'node:crypto';
import type { LocalClock } from '../../clock';
import { AwsError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';

/** A message attribute as the API carries it. */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

interface QueueDefinition {
  name: string;
  arn: string;
  attributes: Record<string, string>;
  createdAtSec: number;
  modifiedAtSec: number;
}

interface MessageRow {
  seq: number;
  queue: string;
  id: string;
  body: string;
  attributes: string;
  md5_body: string;
  md5_attributes: string | null;
  sent_at: number;
  visible_at: number;
  receive_count: number;
  first_receive_at: number | null;
  receipt: string | null;
}

const defaults: Record<string, string> = {
  VisibilityTimeout: '30',
  MessageRetentionPeriod: '345600',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
  MaximumMessageSize: '262144',
};
const settable = new Set([
  ...Object.keys(defaults),
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'Policy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
]);

function nonExistentQueue(): AwsError {
  return new AwsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    400,
    'AWS.SimpleQueueService.NonExistentQueue',
  );
}

function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message, 400, 'InvalidParameterValue');
}

function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

function lengthPrefixed(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

/** MD5OfMessageAttributes as SQS computes it (and the SDK verifies it). */
export function md5OfMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): string | undefined {
  const names = Object.keys(attributes ?? {}).sort();
  if (!attributes || names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attribute = attributes[name] as MessageAttributeValue;
    parts.push(
      lengthPrefixed(Buffer.from(name, 'utf8')),
      lengthPrefixed(Buffer.from(attribute.DataType, 'utf8')),
    );
    if (attribute.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]), lengthPrefixed(Buffer.from(attribute.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(attribute.StringValue ?? '', 'utf8')));
    }
  }
  return md5(Buffer.concat(parts));
}

function intAttribute(attributes: Record<string, string>, name: string): number {
  return Number(attributes[name] ?? defaults[name] ?? 0);
}

function validateAttributes(attributes: Record<string, string>): void {
  const ranges: Record<string, [number, number]> = {
    VisibilityTimeout: [0, 43200],
    MessageRetentionPeriod: [60, 1209600],
    DelaySeconds: [0, 900],
    ReceiveMessageWaitTimeSeconds: [0, 20],
    MaximumMessageSize: [1024, 1048576],
  };
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'FifoQueue' || name === 'ContentBasedDeduplication') {
      throw invalidParameter('FIFO queues are not supported by the local runtime');
    }
    if (!settable.has(name))
      throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`, 400, 'InvalidAttributeName');
    const range = ranges[name];
    if (range && (!/^\d+$/.test(value) || Number(value) < range[0] || Number(value) > range[1])) {
      throw invalidParameter(`Invalid value for the parameter ${name}.`);
    }
    if (name === 'RedrivePolicy') {
      let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
      try {
        policy = JSON.parse(value);
      } catch {
        throw invalidParameter(
          'Value for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.',
        );
      }
      const count = Number(policy.maxReceiveCount);
      if (
        typeof policy.deadLetterTargetArn !== 'string' ||
        !Number.isInteger(count) ||
        count < 1 ||
        count > 1000
      ) {
        throw invalidParameter(
          'Value for parameter RedrivePolicy is invalid. Reason: Redrive policy needs deadLetterTargetArn and maxReceiveCount 1–1000.',
        );
      }
    }
  }
}

/** The SQS service of the local runtime. */
export class SqsService implements JsonService {
  readonly targetPrefix = 'AmazonSQS';
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
  ) {
    store.db.exec(`CREATE TABLE IF NOT EXISTS sqs_messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
      attributes TEXT NOT NULL, md5_body TEXT NOT NULL, md5_attributes TEXT, sent_at INTEGER NOT NULL,
      visible_at INTEGER NOT NULL, receive_count INTEGER NOT NULL DEFAULT 0, first_receive_at INTEGER, receipt TEXT);
      CREATE INDEX IF NOT EXISTS sqs_messages_visible ON sqs_messages (queue, visible_at);
      CREATE UNIQUE INDEX IF NOT EXISTS sqs_messages_id ON sqs_messages (queue, id);`);
    this.sweepTimer = setInterval(() => this.expireMessages(), 60_000);
    this.sweepTimer.unref();
  }

  close(): void {
    clearInterval(this.sweepTimer);
    for (const waiters of this.waiters.values()) for (const wake of waiters) wake();
  }

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    // SendMessage is billed where every path meets (sendMessage); any other call is one request per 64 KB.
    if (operation !== 'SendMessage') this.env.usage.sqsRequest(Buffer.byteLength(JSON.stringify(input)));
    switch (operation) {
      case 'CreateQueue':
        return this.createQueue(
          String(input.QueueName ?? ''),
          (input.Attributes as Record<string, string>) ?? {},
        );
      case 'GetQueueUrl':
        return { QueueUrl: this.queueUrl(this.queue(String(input.QueueName ?? '')).name) };
      case 'ListQueues':
        return this.listQueues(input.QueueNamePrefix as string | undefined);
      case 'DeleteQueue':
        return this.deleteQueue(this.queueFromUrl(input.QueueUrl));
      case 'GetQueueAttributes':
        return {
          Attributes: this.queueAttributes(
            this.queueFromUrl(input.QueueUrl),
            (input.AttributeNames as string[]) ?? ['All'],
          ),
        };
      case 'SetQueueAttributes':
        return this.setQueueAttributes(
          this.queueFromUrl(input.QueueUrl),
          (input.Attributes as Record<string, string>) ?? {},
        );
      case 'SendMessage':
        return this.sendMessage(this.queueFromUrl(input.QueueUrl), input);
      case 'SendMessageBatch':
        return this.batch(input.Entries, (entry) => this.enqueue(this.queueFromUrl(input.QueueUrl), entry));
      case 'ReceiveMessage':
        return this.receiveMessage(this.queueFromUrl(input.QueueUrl), input);
      case 'DeleteMessage':
        this.deleteMessage(this.queueFromUrl(input.QueueUrl), String(input.ReceiptHandle ?? ''));
        return {};
      case 'DeleteMessageBatch':
        return this.batch(input.Entries, (entry) => {
          this.deleteMessage(this.queueFromUrl(input.QueueUrl), String(entry.ReceiptHandle ?? ''));
          return {};
        });
      case 'ChangeMessageVisibility':
        this.changeVisibility(
          this.queueFromUrl(input.QueueUrl),
          String(input.ReceiptHandle ?? ''),
          Number(input.VisibilityTimeout),
        );
        return {};
      case 'ChangeMessageVisibilityBatch':
        return this.batch(input.Entries, (entry) => {
          this.changeVisibility(
            this.queueFromUrl(input.QueueUrl),
            String(entry.ReceiptHandle ?? ''),
            Number(entry.VisibilityTimeout),
          );
          return {};
        });
      case 'PurgeQueue':
        this.store.db
          .prepare('DELETE FROM sqs_messages WHERE queue = ?')
          .run(this.queueFromUrl(input.QueueUrl).name);
        return {};
      case 'ListDeadLetterSourceQueues':
        return this.deadLetterSources(this.queueFromUrl(input.QueueUrl));
      default:
        throw new AwsError(
          'UnsupportedOperation',
          `SQS operation ${operation} is not supported by the local runtime`,
          400,
          'AWS.SimpleQueueService.UnsupportedOperation',
        );
    }
  }

  /** The queue URL clients use (on the edge endpoint). */
  queueUrl(name: string): string {
    return `${this.env.edgeUrl()}/${this.env.accountId}/${name}`;
  }

  /** A queue by name; QueueDoesNotExist otherwise. */
  queue(name: string): QueueDefinition {
    const queue = this.store.getResource<QueueDefinition>('sqs-queue', name);
    if (!queue) throw nonExistentQueue();
    return queue;
  }

  /** A queue by its ARN (targets and redrive policies name queues by ARN). */
  queueByArn(arn: string): QueueDefinition {
    return this.queue(arn.split(':').at(-1) ?? '');
  }

  private queueFromUrl(url: unknown): QueueDefinition {
    if (typeof url !== 'string' || url === '')
      throw new AwsError(
        'MissingParameter',
        'The request must contain the parameter QueueUrl.',
        400,
        'MissingParameter',
      );
    return this.queue(url.split('/').at(-1) ?? '');
  }

  private createQueue(name: string, attributes: Record<string, string>) {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw invalidParameter(
        name.endsWith('.fifo')
          ? 'FIFO queues are not supported by the local runtime'
          : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    validateAttributes(attributes);
    const existing = this.store.getResource<QueueDefinition>('sqs-queue', name);
    if (existing) {
      const differs = Object.entries(attributes).some(
        ([key, value]) => (existing.attributes[key] ?? defaults[key]) !== value,
      );
      if (differs)
        throw new AwsError(
          'QueueNameExists',
          'A queue already exists with the same name and a different value for attribute(s)',
          400,
          'QueueAlreadyExists',
        );
      return { QueueUrl: this.queueUrl(name) };
    }
    const nowSec = Math.floor(this.clock.now() / 1000);
    this.store.putResource('sqs-queue', name, {
      name,
      arn: `arn:aws:sqs:${this.env.region}:${this.env.accountId}:${name}`,
      attributes: { ...defaults, ...attributes },
      createdAtSec: nowSec,
      modifiedAtSec: nowSec,
    } satisfies QueueDefinition);
    return { QueueUrl: this.queueUrl(name) };
  }

  private listQueues(prefix: string | undefined) {
    const names = this.store
      .listResources<QueueDefinition>('sqs-queue')
      .map((entry) => entry.name)
      .filter((name) => !prefix || name.startsWith(prefix));
    return { QueueUrls: names.map((name) => this.queueUrl(name)) };
  }

  private deleteQueue(queue: QueueDefinition) {
    this.store.transaction(() => {
      this.store.deleteResource('sqs-queue', queue.name);
      this.store.db.prepare('DELETE FROM sqs_messages WHERE queue = ?').run(queue.name);
    });
    return {};
  }

  private setQueueAttributes(queue: QueueDefinition, attributes: Record<string, string>) {
    validateAttributes(attributes);
    this.store.putResource('sqs-queue', queue.name, {
      ...queue,
      attributes: { ...queue.attributes, ...attributes },
      modifiedAtSec: Math.floor(this.clock.now() / 1000),
    });
    return {};
  }

  /** Counts used by GetQueueAttributes and the ops tooling. */
  queueCounts(queueName: string): {
    visible: number;
    inFlight: number;
    delayed: number;
    oldestSentAt?: number;
  } {
    const now = this.clock.now();
    const row = this.store.db
      .prepare(
        `SELECT SUM(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END) AS visible,
                SUM(CASE WHEN visible_at > ? AND receive_count > 0 THEN 1 ELSE 0 END) AS inFlight,
                SUM(CASE WHEN visible_at > ? AND receive_count = 0 THEN 1 ELSE 0 END) AS delayed,
                MIN(sent_at) AS oldest
         FROM sqs_messages WHERE queue = ?`,
      )
      .get(now, now, now, queueName) as {
      visible: number | null;
      inFlight: number | null;
      delayed: number | null;
      oldest: number | null;
    };
    return {
      visible: row.visible ?? 0,
      inFlight: row.inFlight ?? 0,
      delayed: row.delayed ?? 0,
      oldestSentAt: row.oldest ?? undefined,
    };
  }

  private queueAttributes(queue: QueueDefinition, names: string[]): Record<string, string> {
    const counts = this.queueCounts(queue.name);
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(queue.createdAtSec),
      LastModifiedTimestamp: String(queue.modifiedAtSec),
      SqsManagedSseEnabled: queue.attributes.SqsManagedSseEnabled ?? 'true',
    };
    if (names.includes('All')) return all;
    return Object.fromEntries(
      names.filter((name) => all[name] !== undefined).map((name) => [name, all[name] as string]),
    );
  }

  private async batch(entries: unknown, run: (entry: Record<string, unknown>) => unknown) {
    const list = (Array.isArray(entries) ? entries : []) as Record<string, unknown>[];
    if (list.length === 0)
      throw new AwsError(
        'EmptyBatchRequest',
        'There should be at least one entry in the request.',
        400,
        'AWS.SimpleQueueService.EmptyBatchRequest',
      );
    if (list.length > 10)
      throw new AwsError(
        'TooManyEntriesInBatchRequest',
        'Maximum number of entries per request are 10.',
        400,
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      );
    const ids = list.map((entry) => String(entry.Id ?? ''));
    if (new Set(ids).size !== ids.length)
      throw new AwsError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries have the same Id.',
        400,
        'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      );
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of list) {
      try {
        Successful.push({ Id: entry.Id, ...((await run(entry)) as object) });
      } catch (error) {
        const aws = error instanceof AwsError ? error : new AwsError('InternalError', String(error), 500);
        Failed.push({
          Id: entry.Id,
          Code: aws.code,
          Message: aws.message,
          SenderFault: aws.statusCode < 500,
        });
      }
    }
    return { Successful, Failed };
  }

  /**
   * Sends a message (the edge, EventBridge targets, Step Functions, DLQ delivery): one request per 64 KB of body.
   */
  sendMessage(queue: QueueDefinition, input: Record<string, unknown>) {
    this.env.usage.sqsRequest(Buffer.byteLength(String(input.MessageBody ?? '')));
    return this.enqueue(queue, input);
  }

  private enqueue(queue: QueueDefinition, input: Record<string, unknown>) {
    const body = input.MessageBody;
    if (typeof body !== 'string' || body.length === 0) {
      throw new AwsError(
        'MissingParameter',
        'The request must contain the parameter MessageBody.',
        400,
        'MissingParameter',
      );
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: SQS's own allowed-character rule.
    if (/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(body)) {
      throw new AwsError(
        'InvalidMessageContents',
        'Invalid characters found in the message body.',
        400,
        'InvalidMessageContents',
      );
    }
    const attributes = (input.MessageAttributes as Record<string, MessageAttributeValue> | undefined) ?? {};
    const size = Buffer.byteLength(body) + JSON.stringify(attributes).length;
    if (size > intAttribute(queue.attributes, 'MaximumMessageSize')) {
      throw invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${queue.attributes.MaximumMessageSize} bytes.`,
      );
    }
    const delaySec =
      input.DelaySeconds === undefined
        ? intAttribute(queue.attributes, 'DelaySeconds')
        : Number(input.DelaySeconds);
    if (!Number.isInteger(delaySec) || delaySec < 0 || delaySec > 900)
      throw invalidParameter('Value for parameter DelaySeconds is invalid.');
    const id = randomUUID();
    const now = this.clock.now();
    const md5Body = md5(body);
    const md5Attributes = md5OfMessageAttributes(attributes);
    this.store.db
      .prepare(
        `INSERT INTO sqs_messages (queue, id, body, attributes, md5_body, md5_attributes, sent_at, visible_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        queue.name,
        id,
        body,
        JSON.stringify(attributes),
        md5Body,
        md5Attributes ?? null,
        now,
        now + delaySec * 1000,
      );
    this.wake(queue.name);
    return {
      MessageId: id,
      MD5OfMessageBody: md5Body,
      ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes } : {}),
    };
  }

  private wake(queueName: string): void {
    for (const wake of this.waiters.get(queueName) ?? []) wake();
  }

  private expireMessages(): void {
    for (const { value: queue } of this.store.listResources<QueueDefinition>('sqs-queue')) {
      const cutoff = this.clock.now() - intAttribute(queue.attributes, 'MessageRetentionPeriod') * 1000;
      this.store.db
        .prepare('DELETE FROM sqs_messages WHERE queue = ? AND sent_at < ?')
        .run(queue.name, cutoff);
    }
  }

  private redrivePolicy(
    queue: QueueDefinition,
  ): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
    const raw = queue.attributes.RedrivePolicy;
    if (!raw) return undefined;
    const policy = JSON.parse(raw) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
    return {
      deadLetterTargetArn: policy.deadLetterTargetArn,
      maxReceiveCount: Number(policy.maxReceiveCount),
    };
  }

  /** Takes up to `max` visible messages, moving those past maxReceiveCount to the DLQ first. */
  private take(queue: QueueDefinition, max: number, visibilityTimeoutSec: number): MessageRow[] {
    const redrive = this.redrivePolicy(queue);
    return this.store.transaction(() => {
      const taken: MessageRow[] = [];
      const now = this.clock.now();
      const select = this.store.db.prepare(
        'SELECT * FROM sqs_messages WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?',
      );
      const retentionCutoff = now - intAttribute(queue.attributes, 'MessageRetentionPeriod') * 1000;
      while (taken.length < max) {
        const rows = select.all(queue.name, now, max - taken.length) as MessageRow[];
        if (rows.length === 0) break;
        for (const row of rows) {
          if (row.sent_at < retentionCutoff) {
            this.store.db.prepare('DELETE FROM sqs_messages WHERE seq = ?').run(row.seq);
            continue;
          }
          if (redrive && row.receive_count >= redrive.maxReceiveCount) {
            this.moveToDeadLetterQueue(row, redrive.deadLetterTargetArn);
            continue;
          }
          const receipt = Buffer.from(
            JSON.stringify({ q: queue.name, id: row.id, r: randomUUID() }),
          ).toString('base64');
          this.store.db
            .prepare(
              'UPDATE sqs_messages SET receive_count = receive_count + 1, first_receive_at = COALESCE(first_receive_at, ?), visible_at = ?, receipt = ? WHERE seq = ?',
            )
            .run(now, now + visibilityTimeoutSec * 1000, receipt, row.seq);
          taken.push({
            ...row,
            receive_count: row.receive_count + 1,
            first_receive_at: row.first_receive_at ?? now,
            receipt,
          });
        }
      }
      return taken;
    });
  }

  private moveToDeadLetterQueue(row: MessageRow, deadLetterArn: string): void {
    const dlqName = deadLetterArn.split(':').at(-1) ?? '';
    if (!this.store.getResource('sqs-queue', dlqName)) {
      // AWS keeps such messages in the source queue; so do we, visibly.
      console.warn(
        `[sqs] dead-letter queue ${deadLetterArn} does not exist; message ${row.id} stays in ${row.queue}`,
      );
      return;
    }
    // The message keeps its id, body and attributes; its receive count starts again in the DLQ.
    this.store.db
      .prepare(
        'UPDATE sqs_messages SET queue = ?, receive_count = 0, first_receive_at = NULL, receipt = NULL, visible_at = ? WHERE seq = ?',
      )
      .run(dlqName, this.clock.now(), row.seq);
    this.wake(dlqName);
  }

  private formatMessage(row: MessageRow, systemNames: string[], attributeNames: string[]) {
    const system: Record<string, string> = {
      SenderId: this.env.accountId,
      SentTimestamp: String(row.sent_at),
      ApproximateReceiveCount: String(row.receive_count),
      ApproximateFirstReceiveTimestamp: String(row.first_receive_at ?? ''),
    };
    const wantsAllSystem = systemNames.includes('All');
    const attributes = wantsAllSystem
      ? system
      : Object.fromEntries(
          systemNames
            .filter((name) => system[name] !== undefined)
            .map((name) => [name, system[name] as string]),
        );
    const messageAttributes = JSON.parse(row.attributes) as Record<string, MessageAttributeValue>;
    const selected = Object.fromEntries(
      Object.entries(messageAttributes).filter(([name]) =>
        attributeNames.some(
          (wanted) =>
            wanted === 'All' ||
            wanted === '.*' ||
            wanted === name ||
            (wanted.endsWith('.*') && name.startsWith(wanted.slice(0, -1))),
        ),
      ),
    );
    const md5Selected = md5OfMessageAttributes(selected);
    return {
      MessageId: row.id,
      ReceiptHandle: row.receipt,
      MD5OfBody: row.md5_body,
      Body: row.body,
      ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
      ...(md5Selected ? { MessageAttributes: selected, MD5OfMessageAttributes: md5Selected } : {}),
    };
  }

  private async receiveMessage(queue: QueueDefinition, input: Record<string, unknown>) {
    const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${String(input.MaxNumberOfMessages)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
        400,
        'InvalidParameterValue',
      );
    }
    const waitSec =
      input.WaitTimeSeconds === undefined
        ? intAttribute(queue.attributes, 'ReceiveMessageWaitTimeSeconds')
        : Number(input.WaitTimeSeconds);
    if (!Number.isInteger(waitSec) || waitSec < 0 || waitSec > 20) {
      throw invalidParameter(
        `Value ${String(input.WaitTimeSeconds)} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    }
    const visibility =
      input.VisibilityTimeout === undefined
        ? intAttribute(queue.attributes, 'VisibilityTimeout')
        : Number(input.VisibilityTimeout);
    const systemNames = [
      ...((input.MessageSystemAttributeNames as string[]) ?? []),
      ...((input.AttributeNames as string[]) ?? []),
    ];
    const attributeNames = (input.MessageAttributeNames as string[]) ?? [];
    // Long polling waits in real time (it is a network behaviour); message timers follow the local clock.
    const deadline = Date.now() + waitSec * 1000;
    for (;;) {
      const rows = this.take(queue, max, visibility);
      if (rows.length > 0 || Date.now() >= deadline) {
        return rows.length > 0
          ? { Messages: rows.map((row) => this.formatMessage(row, systemNames, attributeNames)) }
          : {};
      }
      await this.waitForMessage(queue.name, deadline);
    }
  }

  private waitForMessage(queueName: string, deadlineMs: number): Promise<void> {
    const next = this.store.db
      .prepare('SELECT MIN(visible_at) AS next FROM sqs_messages WHERE queue = ?')
      .get(queueName) as { next: number | null };
    const untilVisibleMs =
      next.next === null ? Number.POSITIVE_INFINITY : this.clock.realMs(next.next - this.clock.now());
    const waitMs = Math.max(1, Math.min(deadlineMs - Date.now(), untilVisibleMs));
    return new Promise((resolve) => {
      const waiters = this.waiters.get(queueName) ?? new Set();
      this.waiters.set(queueName, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      waiters.add(done);
    });
  }

  private rowByReceipt(queue: QueueDefinition, receipt: string): MessageRow | undefined {
    let decoded: { q?: string; id?: string };
    try {
      decoded = JSON.parse(Buffer.from(receipt, 'base64').toString('utf8'));
    } catch {
      throw new AwsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receipt}" is not a valid receipt handle.`,
        400,
        'ReceiptHandleIsInvalid',
      );
    }
    if (decoded.q !== queue.name || !decoded.id) {
      throw new AwsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receipt}" is not a valid receipt handle.`,
        400,
        'ReceiptHandleIsInvalid',
      );
    }
    return this.store.db
      .prepare('SELECT * FROM sqs_messages WHERE queue = ? AND id = ?')
      .get(queue.name, decoded.id) as MessageRow | undefined;
  }

  private deleteMessage(queue: QueueDefinition, receipt: string): void {
    const row = this.rowByReceipt(queue, receipt);
    // As on AWS: only the latest receipt deletes; an older one succeeds without effect.
    if (row && row.receipt === receipt)
      this.store.db.prepare('DELETE FROM sqs_messages WHERE seq = ?').run(row.seq);
  }

  private changeVisibility(queue: QueueDefinition, receipt: string, timeoutSec: number): void {
    if (!Number.isInteger(timeoutSec) || timeoutSec < 0 || timeoutSec > 43200)
      throw invalidParameter('Value for parameter VisibilityTimeout is invalid.');
    const row = this.rowByReceipt(queue, receipt);
    const now = this.clock.now();
    if (!row || row.receipt !== receipt || row.visible_at <= now) {
      throw new AwsError(
        'MessageNotInflight',
        'The message referred to is not in flight.',
        400,
        'AWS.SimpleQueueService.MessageNotInflight',
      );
    }
    this.store.db
      .prepare('UPDATE sqs_messages SET visible_at = ? WHERE seq = ?')
      .run(now + timeoutSec * 1000, row.seq);
    if (timeoutSec === 0) this.wake(queue.name);
  }

  private deadLetterSources(queue: QueueDefinition) {
    const sources = this.store
      .listResources<QueueDefinition>('sqs-queue')
      .filter(({ value }) => this.redrivePolicy(value)?.deadLetterTargetArn === queue.arn)
      .map(({ name }) => this.queueUrl(name));
    return { queueUrls: sources };
  }
}
