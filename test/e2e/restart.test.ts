import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateDeliveryStreamCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { readWebhookSecretsFile } from '../../local/platform';
import { sdkClients } from '../local/support/local-runtime';
import { freePort, killHard, startConcordProcess } from '../local/support/runtime-process';
import { postShopifyOrder, synthesizeToTemp } from './support/deployed-platform';

describe('concord dev after kill -9', () => {
  let assemblyDir: string;
  let dataDir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    assemblyDir = synthesizeToTemp();
    dataDir = mkdtempSync(path.join(tmpdir(), 'concord-dev-restart-'));
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) await killHard(child);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(assemblyDir, { recursive: true, force: true });
  });

  it('resumes with queued messages, the Firehose buffer and the dedupe records of acknowledged webhooks', async () => {
    // Prepare
    const [edgePort, apiPort, erpPort] = [await freePort(), await freePort(), await freePort()];
    const start = () =>
      startConcordProcess(
        [
          'dev',
          '--assembly',
          assemblyDir,
          '--data-dir',
          dataDir,
          '--edge-port',
          String(edgePort),
          '--api-port',
          String(apiPort),
          '--erp-port',
          String(erpPort),
        ],
        edgePort,
      );
    child = await start();
    let clients = sdkClients(`http://127.0.0.1:${edgePort}`);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const secret = readWebhookSecretsFile(path.join(dataDir, 'secrets.json')).shopify?.[0] as string;
    const order = readFileSync(path.join(__dirname, '../fixtures/shopify/orders-create.json'), 'utf8');
    const accepted = (await (await postShopifyOrder(apiUrl, secret, order, 'before-crash')).json()) as Record<
      string,
      string
    >;
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'work' }));
    await clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'queued before the crash' }));
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'buffered-lake' }));
    await clients.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'buffered',
        ExtendedS3DestinationConfiguration: {
          BucketARN: 'arn:aws:s3:::buffered-lake',
          RoleARN: 'arn:aws:iam::000000000000:role/f',
          BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 2 },
        },
      }),
    );
    await clients.firehose.send(
      new PutRecordCommand({
        DeliveryStreamName: 'buffered',
        Record: { Data: Buffer.from('{"buffered":true}') },
      }),
    );
    // Act
    await killHard(child);
    for (const client of Object.values(clients)) client.destroy();
    child = await start();
    clients = sdkClients(`http://127.0.0.1:${edgePort}`);
    const redelivered = await postShopifyOrder(apiUrl, secret, order, 'before-crash');
    const duplicate = await redelivered.json();
    const { Messages } = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    let objects = await clients.s3.send(new ListObjectsV2Command({ Bucket: 'buffered-lake' }));
    for (let i = 0; i < 60 && !objects.KeyCount; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      objects = await clients.s3.send(new ListObjectsV2Command({ Bucket: 'buffered-lake' }));
    }
    for (const client of Object.values(clients)) client.destroy();
    // Assess
    expect(redelivered.status).toBe(200);
    expect(duplicate).toMatchObject({ duplicate: true, eventId: accepted.eventId });
    expect(Messages?.[0]?.Body).toBe('queued before the crash');
    expect(objects.KeyCount).toBe(1);
  });
});
