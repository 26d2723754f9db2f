import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { apiGatewayEvent } from '../../support/api-gateway-event';
import { captureEmf } from '../../support/emf';
import { signedStripe } from '../../support/signers';

const ebMock = mockClient(EventBridgeClient);
const ddbMock = mockClient(DynamoDBClient);
const firehoseMock = mockClient(FirehoseClient);
const smMock = mockClient(SecretsManagerClient);

const context = {
  functionName: 'ingest-webhook',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;
const body = readFileSync(
  path.join(__dirname, '../../fixtures/stripe/payment-intent-succeeded.json'),
  'utf8',
);

describe('ingest-webhook handler', () => {
  const savedEnv = process.env;

  beforeAll(() => {
    process.env = {
      ...savedEnv,
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      EVENT_BUS_NAME: 'concord-test',
      DEDUPE_TABLE_NAME: 'dedupe',
      ARCHIVE_BUCKET_NAME: 'archive',
      ARCHIVE_STREAM_NAME: 'raw-archive',
      QUARANTINE_BUCKET_NAME: 'quarantine',
      WEBHOOK_SECRET_IDS: JSON.stringify({
        stripe: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:stripe',
      }),
      MAX_BODY_BYTES: '1048576',
      IN_PROGRESS_SEC: '60',
      ACCEPT_UNBOUND_SENDER_SECRETS: 'false',
      CONCORD_STAGE: 'test',
    };
  });

  afterAll(() => {
    process.env = savedEnv;
  });

  it('wires the Secrets Manager, DynamoDB, Firehose and EventBridge adapters from its environment', async () => {
    // Prepare
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(['whsec_live_1']) });
    ddbMock.on(PutItemCommand).resolves({});
    ddbMock.on(UpdateItemCommand).resolves({});
    firehoseMock.on(PutRecordCommand).resolves({ RecordId: 'rec-1' });
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] });
    const { handler } =
      require('../../../functions/ingest-webhook/handler') as typeof import('../../../functions/ingest-webhook/handler');
    const emf = captureEmf();
    // Act
    const result = await handler(apiGatewayEvent(signedStripe(body, 'whsec_live_1')), context);
    // Assess
    emf.restore();
    expect(result.statusCode).toBe(202);
    expect(emf.metrics()).toEqual([
      expect.objectContaining({ name: 'WebhooksAccepted', dimensions: { stage: 'test', source: 'stripe' } }),
    ]);
    expect(smMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input.SecretId).toBe(
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:stripe',
    );
    expect(ddbMock.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'dedupe',
      Item: { pk: { S: 'stripe#evt_3QkP0y2eZvKYlo2C1aT9x8Jd' } },
    });
    expect(firehoseMock.commandCalls(PutRecordCommand)[0]?.args[0].input.DeliveryStreamName).toBe(
      'raw-archive',
    );
    expect(ebMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: 'concord-test',
      DetailType: 'billing.payment.succeeded.v1',
    });
  });

  it('fails at start on a secrets policy that is neither true nor false', () => {
    // Prepare
    const { loadIngestConfig } =
      require('../../../functions/ingest-webhook/config') as typeof import('../../../functions/ingest-webhook/config');
    // Act & Assess
    expect(() => loadIngestConfig({ ...process.env, ACCEPT_UNBOUND_SENDER_SECRETS: 'yes' })).toThrow(
      'ACCEPT_UNBOUND_SENDER_SECRETS must be true or false, got "yes"',
    );
  });

  it('counts under stage unknown when the stack sets no CONCORD_STAGE, rather than failing', () => {
    // Prepare
    const { loadIngestConfig } =
      require('../../../functions/ingest-webhook/config') as typeof import('../../../functions/ingest-webhook/config');
    const { CONCORD_STAGE: _stage, ...withoutStage } = process.env;
    // Act & Assess
    expect(loadIngestConfig(process.env).stage).toBe('test');
    expect(loadIngestConfig(withoutStage).stage).toBe('unknown');
  });

  it('fails at start naming every missing environment variable', () => {
    // Prepare
    const { loadIngestConfig } =
      require('../../../functions/ingest-webhook/config') as typeof import('../../../functions/ingest-webhook/config');
    // Act & Assess
    expect(() => loadIngestConfig({ EVENT_BUS_NAME: 'x' })).toThrow(
      'Missing environment variables: DEDUPE_TABLE_NAME, ARCHIVE_BUCKET_NAME, ARCHIVE_STREAM_NAME, QUARANTINE_BUCKET_NAME, WEBHOOK_SECRET_IDS, MAX_BODY_BYTES, IN_PROGRESS_SEC, ACCEPT_UNBOUND_SENDER_SECRETS',
    );
  });
});
