import { readFileSync } from 'node:fs';
import * as athenaClient from '@aws-sdk/client-athena';
import * as glueClient from '@aws-sdk/client-glue';
import * as s3Client from '@aws-sdk/client-s3';
import * as sqsClient from '@aws-sdk/client-sqs';
import { athenaOperations } from '../../local/services/athena/athena-service';
import { glueOperations } from '../../local/services/glue/glue-service';
import { s3Operations } from '../../local/services/s3/s3-service';
import { sqsQueryActions } from '../../local/services/sqs/sqs-query-protocol';
import { clientOperations, docFile, renderDoc } from '../../scripts/generate-local-runtime-operations';
import { startTestRuntime } from './support/local-runtime';

type Sendable = { send(command: unknown): Promise<unknown> };
type CommandClass = new (input: Record<string, unknown>) => unknown;

/** Sends every operation of an SDK client with the same input; returns each one's error name, or 'ok'. */
async function outcomes(
  client: Sendable,
  module: Record<string, unknown>,
  input: Record<string, unknown> | ((operation: string) => Record<string, unknown>),
): Promise<Map<string, { name: string; status?: number }>> {
  const results = new Map<string, { name: string; status?: number }>();
  for (const operation of clientOperations(module)) {
    const Command = module[`${operation}Command`] as CommandClass;
    try {
      await client.send(new Command(typeof input === 'function' ? input(operation) : { ...input }));
      results.set(operation, { name: 'ok' });
    } catch (error) {
      const failure = error as { name: string; $metadata?: { httpStatusCode?: number } };
      results.set(operation, { name: failure.name, status: failure.$metadata?.httpStatusCode });
    }
  }
  return results;
}

function refused(results: Map<string, { name: string }>, codes: string[]): string[] {
  return [...results].filter(([, outcome]) => codes.includes(outcome.name)).map(([operation]) => operation);
}

describe('docs/local-runtime.md operations section', () => {
  it('is what scripts/generate-local-runtime-operations.ts generates from the code', () => {
    // Prepare
    const doc = readFileSync(docFile, 'utf8');

    // Act
    const rendered = renderDoc(doc);

    // Assess
    expect(doc).toBe(rendered);
  });
});

describe('operations the local S3, SQS, Glue and Athena answer', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  const config = () => ({
    endpoint: local.runtime.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    await local.stop();
  });

  it('answers through SQS JSON exactly the listed operations, refusing the others with UnsupportedOperation', async () => {
    // Prepare
    const { QueueUrl } = await local.clients.sqs.send(
      new sqsClient.CreateQueueCommand({ QueueName: 'operations' }),
    );
    const client = new sqsClient.SQSClient(config());

    // Act
    const results = await outcomes(client, sqsClient, { QueueUrl, QueueName: 'operations' });
    client.destroy();

    // Assess
    const unanswered = refused(results, ['UnsupportedOperation']);
    expect(clientOperations(sqsClient).filter((operation) => !unanswered.includes(operation))).toEqual(
      [...sqsQueryActions].sort(),
    );
  });

  it('answers through the SQS Query protocol exactly the listed actions, refusing the others with InvalidAction', async () => {
    // Prepare
    const queueUrl = `${local.runtime.endpoint}/000000000000/operations`;
    const answered: string[] = [];

    // Act
    for (const action of clientOperations(sqsClient)) {
      const response = await fetch(local.runtime.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00',
        },
        body: new URLSearchParams({
          Action: action,
          Version: '2012-11-05',
          QueueUrl: queueUrl,
          QueueName: 'operations',
        }),
      });
      if (!(await response.text()).includes('<Code>InvalidAction</Code>')) answered.push(action);
    }

    // Assess
    expect(answered).toEqual([...sqsQueryActions].sort());
  });

  it('answers through Glue exactly the listed operations, refusing the others with UnknownOperationException', async () => {
    // Prepare
    const client = new glueClient.GlueClient(config());

    // Act
    const results = await outcomes(client, glueClient, { DatabaseName: 'concord_local', Name: 'events' });
    client.destroy();

    // Assess
    const unanswered = refused(results, ['UnknownOperationException']);
    expect(clientOperations(glueClient).filter((operation) => !unanswered.includes(operation))).toEqual(
      [...glueOperations].sort(),
    );
  });

  it('answers through Athena exactly the listed operations, refusing the others with UnknownOperationException', async () => {
    // Prepare
    const client = new athenaClient.AthenaClient(config());

    // Act
    const results = await outcomes(client, athenaClient, {
      CatalogName: 'AwsDataCatalog',
      DatabaseName: 'concord_local',
    });
    client.destroy();

    // Assess
    const unanswered = refused(results, ['UnknownOperationException']);
    expect(clientOperations(athenaClient).filter((operation) => !unanswered.includes(operation))).toEqual(
      [...athenaOperations].sort(),
    );
  });

  it('answers through S3 exactly the listed operations; every other is refused or never reaches it', async () => {
    // Prepare
    await local.clients.s3.send(new s3Client.CreateBucketCommand({ Bucket: 'operations' }));
    await local.clients.s3.send(
      new s3Client.PutObjectCommand({ Bucket: 'operations', Key: 'object.txt', Body: 'x' }),
    );
    const client = new s3Client.S3Client(config());

    // Act
    const results = await outcomes(client, s3Client, (operation) => ({
      Bucket: 'operations',
      Key: 'object.txt',
      UploadId: 'no-such-upload',
      // A part number is UploadPart's; GetObject and HeadObject with one ask for a part (not served).
      ...(operation.startsWith('UploadPart') ? { PartNumber: 1 } : {}),
      CopySource: 'operations/object.txt',
      MetadataDirective: 'REPLACE',
      Body: 'x',
      Delete: { Objects: [{ Key: 'gone.txt' }] },
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00"' }] },
    }));
    client.destroy();

    // Assess
    const refusedCodes = ['NotImplemented', 'MethodNotAllowed'];
    const answered = [...results]
      .filter(
        ([, outcome]) =>
          !refusedCodes.includes(outcome.name) && (outcome.name === 'ok' || outcome.status !== undefined),
      )
      .map(([operation]) => operation);
    expect(answered).toEqual([...s3Operations].sort());
  });
});
