import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { startTestRuntime } from './support/local-runtime';

describe('SQS (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    await local.stop();
  });

  async function queue(name: string, attributes: Record<string, string> = {}): Promise<string> {
    const { QueueUrl } = await local.clients.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    return QueueUrl as string;
  }

  it('sends and receives a message with attributes whose MD5s the SDK verifies', async () => {
    // Prepare
    const url = await queue('md5');
    // Act
    await local.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'héllo ☕',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'order' },
          count: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    const { Messages } = await local.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    // Assess
    expect(Messages?.[0]).toMatchObject({
      Body: 'héllo ☕',
      Attributes: { ApproximateReceiveCount: '1' },
      MessageAttributes: { kind: { StringValue: 'order' } },
    });
  });

  it('hides a received message for its visibility timeout and shows it again after', async () => {
    // Prepare
    const url = await queue('visibility', { VisibilityTimeout: '1' });
    await local.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    // Act
    const hidden = await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const visibleAgain = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 3 }),
    );
    // Assess
    expect(hidden.Messages).toBeUndefined();
    expect(visibleAgain.Messages?.[0]?.Body).toBe('x');
  });

  it('long-polls until a message arrives, then answers at once', async () => {
    // Prepare
    const url = await queue('long-poll');
    const started = Date.now();
    const receiving = local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }),
    );
    // Act
    await new Promise((resolve) => setTimeout(resolve, 300));
    await local.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'late' }));
    const { Messages } = await receiving;
    // Assess
    expect(Messages?.[0]?.Body).toBe('late');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('never returns one message twice in one poll', async () => {
    const url = await queue('no-duplicates');
    await local.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body-${i}` })),
      }),
    );
    const { Messages = [] } = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    expect(new Set(Messages.map((message) => message.MessageId)).size).toBe(Messages.length);
    expect(Messages).toHaveLength(10);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    // Prepare
    const dlqUrl = await queue('orders-dlq');
    const { Attributes } = await local.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const url = await queue('orders', {
      VisibilityTimeout: '0',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 2 }),
    });
    await local.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    // Act
    const first = await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const second = await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const third = await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const dead = await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl }));
    const sources = await local.clients.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }));
    // Assess
    expect([first.Messages?.length, second.Messages?.length, third.Messages]).toEqual([1, 1, undefined]);
    expect(dead.Messages?.[0]).toMatchObject({ Body: 'poison', MessageId: first.Messages?.[0]?.MessageId });
    expect(sources.queueUrls).toEqual([url]);
  });

  it('deletes only with the latest receipt handle and reports counts', async () => {
    // Prepare
    const url = await queue('delete', { VisibilityTimeout: '0' });
    await local.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'd' }));
    const older = await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const newer = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 30 }),
    );
    // Act
    await local.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: older.Messages?.[0]?.ReceiptHandle }),
    );
    const afterOld = await local.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    await local.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [{ Id: 'a', ReceiptHandle: newer.Messages?.[0]?.ReceiptHandle }],
      }),
    );
    const afterNew = await local.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    // Assess
    expect(afterOld.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');
    expect(afterNew.Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  it('rejects changing the visibility of a message not in flight', async () => {
    const url = await queue('not-inflight');
    await local.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'n' }));
    const { Messages } = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }),
    );
    await expect(
      local.clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: Messages?.[0]?.ReceiptHandle,
          VisibilityTimeout: 10,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'MessageNotInflight',
    });
  });

  it('fails with QueueDoesNotExist for an unknown queue', async () => {
    await expect(
      local.clients.sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
  });
});
