import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startTestRuntime } from './support/local-runtime';

describe('Lambda, DynamoDB, Secrets Manager and schedules (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;

  beforeAll(async () => {
    // One real minute is one local hour: schedules and async retries run in seconds.
    local = await startTestRuntime({ clockFactor: 60 });
  });

  afterAll(async () => {
    await local.stop();
  });

  async function queueArn(name: string): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await local.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
  }

  it('invokes a function with its environment and a Lambda context, and reports function errors as Unhandled', async () => {
    // Prepare
    await local.deployFunction(
      'context-probe',
      `exports.handler = async (event, context) => {
         if (event.fail) { const e = new Error('ERP refused'); e.name = 'ErpRefusedError'; throw e; }
         return { stage: process.env.STAGE, endpoint: process.env.AWS_ENDPOINT_URL, fn: context.functionName, remaining: context.getRemainingTimeInMillis() > 0, id: context.awsRequestId.length };
       };`,
      { environment: { STAGE: 'local' } },
    );
    // Act
    const ok = await local.clients.lambda.send(
      new InvokeCommand({ FunctionName: 'context-probe', Payload: Buffer.from('{}') }),
    );
    const failed = await local.clients.lambda.send(
      new InvokeCommand({ FunctionName: 'context-probe', Payload: Buffer.from('{"fail":true}') }),
    );
    // Assess
    expect(JSON.parse(Buffer.from(ok.Payload ?? []).toString())).toEqual({
      stage: 'local',
      endpoint: local.runtime.endpoint,
      fn: 'context-probe',
      remaining: true,
      id: 36,
    });
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(failed.Payload ?? []).toString())).toMatchObject({
      errorType: 'ErpRefusedError',
      errorMessage: 'ERP refused',
    });
  });

  it('kills an invocation that runs past its timeout', async () => {
    await local.deployFunction('hangs', `exports.handler = () => new Promise(() => {});`, { timeoutSec: 1 });
    const result = await local.clients.lambda.send(
      new InvokeCommand({ FunctionName: 'hangs', Payload: Buffer.from('{}') }),
    );
    expect(result.FunctionError).toBe('Unhandled');
    expect(Buffer.from(result.Payload ?? []).toString()).toContain('Task timed out after 1.00 seconds');
  });

  it('retries a failing async invocation twice, then sends it to the on-failure destination', async () => {
    // Prepare
    const destination = await queueArn('async-failures');
    await local.deployFunction(
      'always-fails',
      `exports.handler = async () => { throw new Error('down'); };`,
      { async: { onFailureArn: destination.arn } },
    );
    // Act
    const accepted = await local.clients.lambda.send(
      new InvokeCommand({
        FunctionName: 'always-fails',
        InvocationType: 'Event',
        Payload: Buffer.from('{"order":"o-7"}'),
      }),
    );
    const { Messages } = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: destination.url, WaitTimeSeconds: 15 }),
    );
    const record = JSON.parse(Messages?.[0]?.Body ?? '{}');
    // Assess
    expect(accepted.StatusCode).toBe(202);
    expect(record).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { order: 'o-7' },
      responseContext: { functionError: 'Unhandled' },
    });
  });

  it('fails with ResourceNotFoundException for an unknown function', async () => {
    await expect(
      local.clients.lambda.send(new InvokeCommand({ FunctionName: 'ghost' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('delivers a scheduled rule to its target (rate expression on local time)', async () => {
    // Prepare
    const target = await queueArn('ticks');
    await local.clients.events.send(
      new PutRuleCommand({ Name: 'every-minute', ScheduleExpression: 'rate(1 minute)' }),
    );
    await local.clients.events.send(
      new PutTargetsCommand({ Rule: 'every-minute', Targets: [{ Id: 'q', Arn: target.arn }] }),
    );
    // Act
    const { Messages } = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: target.url, WaitTimeSeconds: 5 }),
    );
    // Assess
    expect(JSON.parse(Messages?.[0]?.Body ?? '{}')).toMatchObject({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/every-minute'],
    });
  });

  it('keeps items in DynamoDB (dynalite) and expires them by TTL', async () => {
    // Prepare
    await local.clients.dynamodb.send(
      new CreateTableCommand({
        TableName: 'dedupe',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await local.clients.dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: 'dedupe',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
    const nowSec = Math.floor(local.runtime.clock.now() / 1000);
    await local.clients.dynamodb.send(
      new PutItemCommand({
        TableName: 'dedupe',
        Item: { pk: { S: 'old' }, expiresAt: { N: String(nowSec - 10) } },
      }),
    );
    await local.clients.dynamodb.send(
      new PutItemCommand({
        TableName: 'dedupe',
        Item: { pk: { S: 'fresh' }, expiresAt: { N: String(nowSec + 86_400) } },
      }),
    );
    // Act
    const swept = await local.runtime.dynamodb.sweepExpired();
    const old = await local.clients.dynamodb.send(
      new GetItemCommand({ TableName: 'dedupe', Key: { pk: { S: 'old' } } }),
    );
    const fresh = await local.clients.dynamodb.send(
      new GetItemCommand({ TableName: 'dedupe', Key: { pk: { S: 'fresh' } } }),
    );
    const ttl = await local.clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 'dedupe' }));
    // Assess
    expect(swept).toBe(1);
    expect(old.Item).toBeUndefined();
    expect(fresh.Item?.pk?.S).toBe('fresh');
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('serves secrets by name and by ARN, with rotation to a new current value', async () => {
    // Prepare
    const secrets = new SecretsManagerClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const { ARN } = await secrets.send(
      new CreateSecretCommand({ Name: 'concord/local/webhook/stripe', SecretString: '["whsec_a"]' }),
    );
    // Act
    await secrets.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: '["whsec_b","whsec_a"]' }));
    const byName = await secrets.send(
      new GetSecretValueCommand({ SecretId: 'concord/local/webhook/stripe' }),
    );
    const previous = await secrets.send(
      new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPREVIOUS' }),
    );
    secrets.destroy();
    // Assess
    expect(byName.SecretString).toBe('["whsec_b","whsec_a"]');
    expect(previous.SecretString).toBe('["whsec_a"]');
  });
});
