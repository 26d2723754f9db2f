import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { CreateDeliveryStreamCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { HttpApiRegistry } from '../../local/apigw/http-api-registry';
import { iamIntegrationCheck, startHttpApiServer } from '../../local/apigw/http-api-server';
import { parsePolicyDocument } from '../../local/iam/policy-document';
import { eventually } from '../e2e/support/eventually';
import { startTestRuntime } from './support/local-runtime';

const account = '000000000000';
const region = 'us-east-1';
const config = {
  region,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

/** The statement a Lambda::Permission or a queue/topic policy declares, as the deployer stores it. */
function statements(document: object) {
  return parsePolicyDocument(document, 'test').Statement;
}

describe('IAM on deliveries made by AWS services (API Gateway, SNS, CloudWatch alarms, Firehose)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let sns: SNSClient;
  let cloudwatch: CloudWatchClient;

  beforeAll(async () => {
    // One real second is one local minute: metrics are collected every second, Firehose retries within 100 ms.
    local = await startTestRuntime({ clockFactor: 60 });
    sns = new SNSClient({ ...config, endpoint: local.runtime.endpoint });
    cloudwatch = new CloudWatchClient({ ...config, endpoint: local.runtime.endpoint });
  });

  afterAll(async () => {
    sns.destroy();
    cloudwatch.destroy();
    await local.stop();
  });

  describe('an HTTP API invoking its Lambda integration', () => {
    let server: Server;
    let url: string;
    let functionArn: string;
    const apiId = 'api1234567';

    beforeAll(async () => {
      functionArn = await local.deployFunction(
        'api-handler',
        `exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ route: event.routeKey }) });`,
      );
      const apis = new HttpApiRegistry(local.runtime.store, () => url);
      apis.putApi(apiId, 'api');
      apis.putIntegration(apiId, 'integration', {
        functionArn,
        payloadFormatVersion: '2.0',
        timeoutMs: 5000,
      });
      apis.putRoute(apiId, 'route', 'GET /items/{id}', 'integration');
      ({ server, url } = await startHttpApiServer(
        apis,
        local.runtime.lambda,
        0,
        local.runtime.usage,
        () => {},
        iamIntegrationCheck(local.runtime.iam),
      ));
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('answers 500 Internal Server Error without running the function when no permission lets API Gateway invoke it', async () => {
      // Prepare
      local.runtime.iam.registry.putResourceStatements(functionArn, 'permission', undefined);

      // Act
      const response = await fetch(`${url}/items/42`);

      // Assess
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    });

    it('invokes the function when its Lambda::Permission names the API route as SourceArn', async () => {
      // Prepare
      local.runtime.iam.registry.putResourceStatements(
        functionArn,
        'permission',
        statements({
          Statement: {
            Effect: 'Allow',
            Principal: { Service: 'apigateway.amazonaws.com' },
            Action: 'lambda:InvokeFunction',
            Resource: functionArn,
            Condition: {
              ArnLike: {
                'aws:SourceArn': `arn:aws:execute-api:${region}:${account}:${apiId}/*/*/items/{id}`,
              },
            },
          },
        }),
      );

      // Act
      const response = await fetch(`${url}/items/42`);

      // Assess
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ route: 'GET /items/{id}' });
    });

    it('refuses when the permission names another API as SourceArn', async () => {
      // Prepare
      local.runtime.iam.registry.putResourceStatements(
        functionArn,
        'permission',
        statements({
          Statement: {
            Effect: 'Allow',
            Principal: { Service: 'apigateway.amazonaws.com' },
            Action: 'lambda:InvokeFunction',
            Resource: functionArn,
            Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:execute-api:${region}:${account}:other/*/*` } },
          },
        }),
      );

      // Act
      const response = await fetch(`${url}/items/42`);

      // Assess
      expect(response.status).toBe(500);
    });
  });

  describe('SNS delivering to subscribed queues and functions', () => {
    async function failedDeliveries(topicName: string): Promise<number> {
      const nowMs = local.runtime.clock.now();
      const { MetricDataResults = [] } = await cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(nowMs - 3_600_000),
          EndTime: new Date(nowMs + 3_600_000),
          MetricDataQueries: [
            {
              Id: 'failed',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/SNS',
                  MetricName: 'NumberOfNotificationsFailed',
                  Dimensions: [{ Name: 'TopicName', Value: topicName }],
                },
                Period: 7200,
                Stat: 'Sum',
              },
            },
          ],
        }),
      );
      return (MetricDataResults[0]?.Values ?? []).reduce((total, value) => total + value, 0);
    }

    it('does not deliver to a queue whose policy does not allow the topic, and counts the failure', async () => {
      // Prepare
      const topic = local.runtime.sns.createTopic('refused-topic');
      const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'no-policy' }));
      local.runtime.sns.subscribe(topic.arn, 'sqs', `arn:aws:sqs:${region}:${account}:no-policy`);

      // Act
      await sns.send(new PublishCommand({ TopicArn: topic.arn, Message: 'hello' }));

      // Assess
      const failed = await eventually(
        async () => (await failedDeliveries('refused-topic')) || undefined,
        10_000,
      );
      expect(failed).toBe(1);
      const { Messages = [] } = await local.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }),
      );
      expect(Messages).toHaveLength(0);
    });

    it('delivers to a queue whose policy allows sns.amazonaws.com for the topic (aws:SourceArn)', async () => {
      // Prepare
      const topic = local.runtime.sns.createTopic('allowed-topic');
      const queueArn = `arn:aws:sqs:${region}:${account}:with-policy`;
      const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'with-policy' }));
      local.runtime.iam.registry.putResourceStatements(
        queueArn,
        'queue-policy',
        statements({
          Statement: {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queueArn,
            Condition: { ArnEquals: { 'aws:SourceArn': topic.arn } },
          },
        }),
      );
      local.runtime.sns.subscribe(topic.arn, 'sqs', queueArn, { RawMessageDelivery: 'true' });

      // Act
      await sns.send(new PublishCommand({ TopicArn: topic.arn, Message: 'delivered' }));

      // Assess
      const messages = await eventually(async () => {
        const { Messages = [] } = await local.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }),
        );
        return Messages.length > 0 ? Messages : undefined;
      }, 10_000);
      expect(messages.map((message) => message.Body)).toEqual(['delivered']);
    });

    it('invokes a subscribed function only once its Lambda permission allows the topic', async () => {
      // Prepare
      const marker = path.join(local.dataDir, 'sns-invoked.txt');
      const functionArn = await local.deployFunction(
        'sns-subscriber',
        `const fs = require('node:fs');
         exports.handler = async (event) => { fs.appendFileSync(${JSON.stringify(marker)}, event.Records[0].Sns.Message + '\\n'); };`,
      );
      const topic = local.runtime.sns.createTopic('function-topic');
      local.runtime.sns.subscribe(topic.arn, 'lambda', functionArn);

      // Act
      await sns.send(new PublishCommand({ TopicArn: topic.arn, Message: 'refused' }));
      await eventually(async () => (await failedDeliveries('function-topic')) || undefined, 10_000);
      local.runtime.iam.registry.putResourceStatements(
        functionArn,
        'sns-permission',
        statements({
          Statement: {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'lambda:InvokeFunction',
            Resource: functionArn,
            Condition: { ArnLike: { 'aws:SourceArn': topic.arn } },
          },
        }),
      );
      await sns.send(new PublishCommand({ TopicArn: topic.arn, Message: 'allowed' }));

      // Assess
      const invoked = await eventually(
        async () => (existsSync(marker) ? readFileSync(marker, 'utf8') : undefined),
        10_000,
      );
      expect(invoked).toBe('allowed\n');
    });
  });

  describe('CloudWatch alarm actions publishing to SNS', () => {
    async function alarmOn(alarmName: string, topicArn: string) {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: alarmName,
          Namespace: 'Test',
          MetricName: 'Errors',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'ignore',
          AlarmActions: [topicArn],
        }),
      );
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'test' }),
      );
      const { AlarmHistoryItems = [] } = await cloudwatch.send(
        new DescribeAlarmHistoryCommand({ AlarmName: alarmName, HistoryItemType: 'Action' }),
      );
      return AlarmHistoryItems;
    }

    it('publishes to a topic with SNS default policy (same account) and records the action', async () => {
      // Prepare
      const topic = local.runtime.sns.createTopic('default-policy-alarms');

      // Act
      const history = await alarmOn('default-policy-alarm', topic.arn);

      // Assess
      expect(history.map((item) => item.HistorySummary)).toEqual([
        `Successfully executed action ${topic.arn}`,
      ]);
    });

    it('publishes to a topic whose policy allows cloudwatch.amazonaws.com from the account', async () => {
      // Prepare
      const topic = local.runtime.sns.createTopic('cloudwatch-policy-alarms');
      local.runtime.iam.registry.putResourceStatements(
        topic.arn,
        'topic-policy',
        statements({
          Statement: {
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic.arn,
            Condition: { StringEquals: { 'aws:SourceAccount': account } },
          },
        }),
      );

      // Act
      const history = await alarmOn('cloudwatch-policy-alarm', topic.arn);

      // Assess
      expect(history[0]?.HistorySummary).toBe(`Successfully executed action ${topic.arn}`);
    });

    it('records a failed action in the alarm history when the topic policy does not let CloudWatch publish', async () => {
      // Prepare
      const topic = local.runtime.sns.createTopic('events-only-alarms');
      local.runtime.iam.registry.putResourceStatements(
        topic.arn,
        'topic-policy',
        statements({
          Statement: {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic.arn,
          },
        }),
      );

      // Act
      const history = await alarmOn('events-only-alarm', topic.arn);

      // Assess
      expect(history).toHaveLength(1);
      expect(history[0]?.HistorySummary).toMatch(
        new RegExp(`^Failed to execute action ${topic.arn}\\. Received error: ".*SNS:Publish`),
      );
      expect(JSON.parse(history[0]?.HistoryData ?? '{}')).toMatchObject({ actionState: 'Failed' });
    });
  });

  describe('Firehose writing to S3 as the delivery stream role', () => {
    const roleArn = `arn:aws:iam::${account}:role/FirehoseRole`;

    function grantRole(actions: string[]) {
      local.runtime.iam.registry.putRole({
        arn: roleArn,
        managedPolicyArns: [],
        inline: [
          parsePolicyDocument(
            { Statement: [{ Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::firehose-bucket/*' }] },
            'FirehoseRole',
          ),
        ],
      });
    }

    it('keeps the records buffered while the role may not write, and delivers them once it may', async () => {
      // Prepare
      grantRole(['s3:GetObject']);
      local.runtime.s3.createBucket('firehose-bucket');
      await local.clients.firehose.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: 'guarded',
          DeliveryStreamType: 'DirectPut',
          ExtendedS3DestinationConfiguration: {
            BucketARN: 'arn:aws:s3:::firehose-bucket',
            RoleARN: roleArn,
            Prefix: 'events/',
            BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 1 },
          },
        }),
      );
      await local.clients.firehose.send(
        new PutRecordCommand({ DeliveryStreamName: 'guarded', Record: { Data: Buffer.from('{"n":1}\n') } }),
      );
      const objects = async () =>
        (await local.clients.s3.send(new ListObjectsV2Command({ Bucket: 'firehose-bucket' }))).Contents ?? [];

      // Act
      local.runtime.firehose.flushAll();
      const refused = await objects();
      grantRole(['s3:PutObject']);

      // Assess
      expect(refused).toHaveLength(0);
      const delivered = await eventually(async () => {
        const listed = await objects();
        return listed.length > 0 ? listed : undefined;
      }, 10_000);
      expect(delivered.map((object) => object.Key?.startsWith('events/'))).toEqual([true]);
    });
  });
});

describe('IAM on the calls Athena makes with the caller rights', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let athena: AthenaClient;
  const roleArn = `arn:aws:iam::${account}:role/ReconcileRole`;
  const workGroupArn = `arn:aws:athena:${region}:${account}:workgroup/reports`;
  const glue = `arn:aws:glue:${region}:${account}`;

  function grant(statementsGranted: object[]) {
    local.runtime.iam.registry.putRole({
      arn: roleArn,
      managedPolicyArns: [],
      inline: [
        parsePolicyDocument(
          {
            Statement: [
              {
                Effect: 'Allow',
                Action: ['athena:StartQueryExecution', 'athena:GetQueryExecution'],
                Resource: workGroupArn,
              },
              ...statementsGranted,
            ],
          },
          'ReconcileRole',
        ),
      ],
    });
  }

  async function queryOutcome(): Promise<{ state?: string; reason?: string }> {
    const { QueryExecutionId } = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: 'SELECT 1 AS one',
        WorkGroup: 'reports',
        QueryExecutionContext: { Database: 'warehouse' },
      }),
    );
    return eventually(async () => {
      const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
      const state = QueryExecution?.Status?.State;
      return state === 'RUNNING' ? undefined : { state, reason: QueryExecution?.Status?.StateChangeReason };
    }, 10_000);
  }

  const catalogGrant = {
    Effect: 'Allow',
    Action: ['glue:GetDatabase', 'glue:GetTable'],
    Resource: [`${glue}:catalog`, `${glue}:database/warehouse`, `${glue}:table/warehouse/*`],
  };
  const dataGrants = [
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::lake' },
    { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::lake/events/*' },
  ];

  beforeAll(async () => {
    local = await startTestRuntime();
    local.runtime.athena.putWorkGroup('reports', 's3://lake/athena-results/');
    local.runtime.athena.putGlueTable({
      database: 'warehouse',
      name: 'events',
      tableType: 'EXTERNAL_TABLE',
      location: 's3://lake/events/',
    });
    local.runtime.s3.createBucket('lake');
    const credentials = local.runtime.iam.registry.openSession({ roleArn, sessionName: 'reconcile' });
    athena = new AthenaClient({ region, endpoint: local.runtime.endpoint, credentials });
  });

  afterAll(async () => {
    athena.destroy();
    await local.stop();
  });

  it('fails the query with Glue access denied when the caller may not read the catalog', async () => {
    // Prepare
    grant(dataGrants);

    // Act
    const outcome = await queryOutcome();

    // Assess
    expect(outcome.state).toBe('FAILED');
    expect(outcome.reason).toMatch(
      /^Insufficient permissions to execute the query\. User: arn:aws:sts::000000000000:assumed-role\/ReconcileRole\/reconcile is not authorized to perform: glue:GetDatabase/,
    );
  });

  it('fails the query with permission denied on the S3 path when the caller may not read the data', async () => {
    // Prepare
    grant([catalogGrant]);

    // Act
    const outcome = await queryOutcome();

    // Assess
    expect(outcome).toEqual({ state: 'FAILED', reason: 'Permission denied on S3 path: s3://lake/events/' });
  });

  it('fails the query when the caller may not write the results', async () => {
    // Prepare
    grant([catalogGrant, ...dataGrants]);

    // Act
    const outcome = await queryOutcome();

    // Assess
    expect(outcome.state).toBe('FAILED');
    expect(outcome.reason).toMatch(
      /^Access denied when writing output to url: s3:\/\/lake\/athena-results\//,
    );
  });

  it('runs the query when the caller may read the catalog and the data and write the results', async () => {
    // Prepare
    grant([
      catalogGrant,
      ...dataGrants,
      { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::lake/athena-results/*' },
    ]);

    // Act
    const outcome = await queryOutcome();

    // Assess
    expect(outcome).toEqual({ state: 'SUCCEEDED', reason: undefined });
  });
});
