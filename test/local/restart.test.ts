import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateDeliveryStreamCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sdkClients } from './support/local-runtime';
import { freePort, killHard, startServicesProcess } from './support/runtime-process';

describe('the services after kill -9', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'concord-restart-'));
  });

  afterAll(async () => {
    if (child && child.exitCode === null) await killHard(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing acknowledged: a queued message, a buffered Firehose batch and a Standard execution mid-Wait', async () => {
    // Prepare
    const port = await freePort();
    child = await startServicesProcess(port, dataDir);
    let clients = sdkClients(`http://127.0.0.1:${port}`);
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'survivor' }));
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl, MessageBody: 'acknowledged before the crash' }),
    );
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
    await clients.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'buffered',
        ExtendedS3DestinationConfiguration: {
          BucketARN: 'arn:aws:s3:::lake',
          RoleARN: 'arn:aws:iam::000000000000:role/f',
          Prefix: 'in/',
          BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 2 },
        },
      }),
    );
    await clients.firehose.send(
      new PutRecordCommand({
        DeliveryStreamName: 'buffered',
        Record: { Data: Buffer.from('{"kept":true}') },
      }),
    );
    const { stateMachineArn } = await clients.sfn.send(
      new CreateStateMachineCommand({
        name: 'slow',
        roleArn: 'arn:aws:iam::000000000000:role/sfn',
        definition: JSON.stringify({
          StartAt: 'First',
          States: {
            First: { Type: 'Pass', Result: 'first done', ResultPath: '$.first', Next: 'Wait' },
            Wait: { Type: 'Wait', Seconds: 2, Next: 'Last' },
            Last: { Type: 'Pass', Result: 'last done', ResultPath: '$.last', End: true },
          },
        }),
      }),
    );
    const { executionArn } = await clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: '{"order":"o-1"}' }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Act
    await killHard(child);
    for (const client of Object.values(clients)) client.destroy();
    child = await startServicesProcess(port, dataDir);
    clients = sdkClients(`http://127.0.0.1:${port}`);
    const { Messages } = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    let execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    for (let i = 0; i < 100 && execution.status === 'RUNNING'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    }
    let objects = await clients.s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'in/' }));
    for (let i = 0; i < 60 && !objects.KeyCount; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      objects = await clients.s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'in/' }));
    }
    for (const client of Object.values(clients)) client.destroy();
    // Assess
    expect(Messages?.[0]?.Body).toBe('acknowledged before the crash');
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toEqual({
      order: 'o-1',
      first: 'first done',
      last: 'last done',
    });
    expect(objects.KeyCount).toBe(1);
  });
});
