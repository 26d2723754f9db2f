import * as cloudWatchClient from '@aws-sdk/client-cloudwatch';
import * as logsClient from '@aws-sdk/client-cloudwatch-logs';
import * as dynamoDbClient from '@aws-sdk/client-dynamodb';
import * as eventBridgeClient from '@aws-sdk/client-eventbridge';
import * as firehoseClient from '@aws-sdk/client-firehose';
import * as lambdaClient from '@aws-sdk/client-lambda';
import * as secretsClient from '@aws-sdk/client-secrets-manager';
import * as snsClient from '@aws-sdk/client-sns';
import * as stsClient from '@aws-sdk/client-sts';
import { cloudWatchOperations } from '../../local/services/cloudwatch/cloudwatch-service';
import { dynaliteOperations, dynamoDbOperations } from '../../local/services/dynamodb/dynamodb-service';
import { eventsOperations } from '../../local/services/events/events-service';
import { firehoseOperations } from '../../local/services/firehose/firehose-service';
import { lambdaOperations } from '../../local/services/lambda/lambda-service';
import { logsOperations } from '../../local/services/logs/logs-service';
import { operationHandler } from '../../local/services/operation-table';
import { secretsOperations } from '../../local/services/secrets/secrets-service';
import { SnsService, snsOperations } from '../../local/services/sns/sns-service';
import { stsOperations } from '../../local/services/sts/sts-service';
import { clientOperations } from '../../scripts/generate-local-runtime-operations';
import { startTestRuntime } from './support/local-runtime';

type Sendable = { send(command: unknown): Promise<unknown>; destroy(): void };
type CommandClass = new (input: Record<string, unknown>) => unknown;
type Failure = { name: string; message?: string; $metadata?: { httpStatusCode?: number } };

/**
 * The operations of an SDK client the local service answers: every one sent, minus those it refuses and those the
 * client fails before any HTTP answer (an input it validates, an endpoint it cannot resolve), which never reach it.
 */
async function answeredOperations(
  client: Sendable,
  module: Record<string, unknown>,
  input: Record<string, unknown>,
  isRefusal: (failure: Failure) => boolean,
): Promise<string[]> {
  const answered: string[] = [];
  for (const operation of clientOperations(module)) {
    const Command = module[`${operation}Command`] as CommandClass;
    try {
      await client.send(new Command({ ...input }));
      answered.push(operation);
    } catch (error) {
      const failure = error as Failure;
      if (failure.$metadata?.httpStatusCode !== undefined && !isRefusal(failure)) answered.push(operation);
    }
  }
  client.destroy();
  return answered;
}

describe('operation tables', () => {
  it('give a handler for an operation the service lists and none for one it does not', () => {
    // Prepare
    const listed = snsOperations[0] as string;

    // Act
    const answered = operationHandler(SnsService.operations, listed);
    const unlisted = operationHandler(SnsService.operations, 'CreatePlatformApplication');
    const inherited = operationHandler(SnsService.operations, 'constructor');

    // Assess
    expect(typeof answered).toBe('function');
    expect(unlisted).toBeUndefined();
    expect(inherited).toBeUndefined();
  });

  it('list for DynamoDB every operation dynalite answers and the TTL operations the runtime adds', () => {
    // Prepare
    const expected = ['GetItem', 'PutItem', 'Query', 'Scan', 'DescribeTimeToLive', 'UpdateTimeToLive'];

    // Act
    const missing = expected.filter((operation) => !dynamoDbOperations.includes(operation));

    // Assess
    expect(missing).toEqual([]);
    expect(dynaliteOperations).not.toContain('UpdateTimeToLive');
  });
});

describe('operations the local EventBridge, Lambda, SNS, Secrets Manager, CloudWatch, Logs, Firehose, STS and DynamoDB answer', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  const config = () => ({
    endpoint: local.runtime.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const refusedWith =
    (code: string, message?: RegExp) =>
    (failure: Failure): boolean =>
      failure.name === code && (!message || message.test(failure.message ?? ''));

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    await local.stop();
  });

  it('answers through EventBridge exactly the listed operations, refusing the others with UnknownOperationException', async () => {
    // Act
    const answered = await answeredOperations(
      new eventBridgeClient.EventBridgeClient(config()),
      eventBridgeClient,
      { Name: 'operations', Rule: 'operations', ArchiveName: 'operations', ReplayName: 'operations' },
      refusedWith('UnknownOperationException'),
    );

    // Assess
    expect(answered).toEqual([...eventsOperations]);
  });

  it('answers through Lambda exactly the listed operations, refusing the others with ResourceNotFoundException', async () => {
    // Prepare
    await local.deployFunction('operations', 'exports.handler = async () => ({ ok: true });');

    // Act
    const answered = await answeredOperations(
      new lambdaClient.LambdaClient(config()),
      lambdaClient,
      {
        FunctionName: 'operations',
        Name: 'live',
        UUID: 'none',
        Layer: 'none',
        LayerName: 'none',
        VersionNumber: 1,
      },
      refusedWith('ResourceNotFoundException', /^Unsupported Lambda operation/),
    );

    // Assess
    expect(answered).toEqual([...lambdaOperations]);
  });

  it('answers through SNS exactly the listed operations, refusing the others with InvalidAction', async () => {
    // Act
    const answered = await answeredOperations(
      new snsClient.SNSClient(config()),
      snsClient,
      { Name: 'operations', TopicArn: 'arn:aws:sns:us-east-1:000000000000:operations', Message: 'x' },
      refusedWith('InvalidAction'),
    );

    // Assess
    expect(answered).toEqual([...snsOperations]);
  });

  it('answers through Secrets Manager, CloudWatch Logs and Firehose exactly the listed operations, refusing the others with UnknownOperationException', async () => {
    // Act
    const secrets = await answeredOperations(
      new secretsClient.SecretsManagerClient(config()),
      secretsClient,
      { SecretId: 'operations', Name: 'operations', SecretString: 'x' },
      refusedWith('UnknownOperationException'),
    );
    const logs = await answeredOperations(
      new logsClient.CloudWatchLogsClient(config()),
      logsClient,
      { logGroupName: 'operations' },
      refusedWith('UnknownOperationException'),
    );
    const firehose = await answeredOperations(
      new firehoseClient.FirehoseClient(config()),
      firehoseClient,
      { DeliveryStreamName: 'operations' },
      refusedWith('UnknownOperationException'),
    );

    // Assess
    expect(secrets).toEqual([...secretsOperations]);
    expect(logs).toEqual([...logsOperations]);
    expect(firehose).toEqual([...firehoseOperations]);
  });

  it('answers through CloudWatch and STS exactly the listed operations, refusing the others with InvalidAction', async () => {
    // Act
    const cloudWatch = await answeredOperations(
      new cloudWatchClient.CloudWatchClient(config()),
      cloudWatchClient,
      { AlarmName: 'operations', DashboardName: 'operations' },
      refusedWith('InvalidAction'),
    );
    const sts = await answeredOperations(
      new stsClient.STSClient(config()),
      stsClient,
      { RoleArn: 'arn:aws:iam::000000000000:role/operations', RoleSessionName: 'operations' },
      // AssumeRoleWithSAML and AssumeRoleWithWebIdentity go unsigned: with no credential scope the edge hands them
      // to S3, which refuses them with MethodNotAllowed (405) — they never reach STS.
      (failure) =>
        refusedWith('InvalidAction')(failure) ||
        (failure.$metadata?.httpStatusCode === 405 && /method is not allowed/.test(failure.message ?? '')),
    );

    // Assess
    expect(cloudWatch).toEqual([...cloudWatchOperations]);
    expect(sts).toEqual([...stsOperations]);
  });

  it('answers through DynamoDB exactly the listed operations, refusing the others with UnknownOperationException', async () => {
    // Act
    const answered = await answeredOperations(
      new dynamoDbClient.DynamoDBClient(config()),
      dynamoDbClient,
      { TableName: 'operations' },
      refusedWith('UnknownOperationException'),
    );

    // Assess
    expect(answered).toEqual([...dynamoDbOperations]);
  });
});
