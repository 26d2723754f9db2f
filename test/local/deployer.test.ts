import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { LocalPlatform } from '../../local/platform';
import { sdkClients } from './support/local-runtime';

/** Writes a two-stack cloud assembly as CDK would: manifest, templates, an asset manifest and a Lambda asset. */
function writeAssembly(dir: string, options: { withSchedule: boolean; handler: string }): void {
  mkdirSync(path.join(dir, 'asset.abc123'), { recursive: true });
  writeFileSync(path.join(dir, 'asset.abc123', 'index.js'), options.handler);
  writeFileSync(
    path.join(dir, 'App-Data.assets.json'),
    JSON.stringify({
      version: '55.0.0',
      files: {
        abc123: {
          source: { path: 'asset.abc123', packaging: 'zip' },
          destinations: { d: { bucketName: 'b', objectKey: 'abc123.zip' } },
        },
      },
    }),
  );
  writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      version: '55.0.0',
      artifacts: {
        'App-Data': {
          type: 'aws:cloudformation:stack',
          properties: { templateFile: 'App-Data.template.json' },
        },
        'App-Logic': {
          type: 'aws:cloudformation:stack',
          dependencies: ['App-Data'],
          properties: { templateFile: 'App-Logic.template.json' },
        },
      },
    }),
  );
  writeFileSync(
    path.join(dir, 'App-Data.template.json'),
    JSON.stringify({
      Resources: {
        Dlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
        Work: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            VisibilityTimeout: 1,
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 2 },
          },
        },
        Table: {
          Type: 'AWS::DynamoDB::Table',
          DeletionPolicy: 'Retain',
          Properties: {
            BillingMode: 'PAY_PER_REQUEST',
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            AttributeDefinitions: [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: 'gsi', AttributeType: 'S' },
            ],
            GlobalSecondaryIndexes: [
              {
                IndexName: 'byGsi',
                KeySchema: [{ AttributeName: 'gsi', KeyType: 'HASH' }],
                Projection: { ProjectionType: 'ALL' },
              },
            ],
            TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          },
        },
        Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'app-bus' } },
        // The rule's role: EventBridge starts a Step Functions target as the role the target names.
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: {},
            Policies: [
              {
                PolicyName: 'start',
                PolicyDocument: {
                  Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: '*' }],
                },
              },
            ],
          },
        },
      },
      Outputs: {
        WorkArn: { Value: { 'Fn::GetAtt': ['Work', 'Arn'] }, Export: { Name: 'App-Data:WorkArn' } },
        TableName: { Value: { Ref: 'Table' }, Export: { Name: 'App-Data:TableName' } },
        BusArn: { Value: { 'Fn::GetAtt': ['Bus', 'Arn'] }, Export: { Name: 'App-Data:BusArn' } },
        DlqArn: { Value: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, Export: { Name: 'App-Data:DlqArn' } },
      },
    }),
  );
  writeFileSync(
    path.join(dir, 'App-Logic.template.json'),
    JSON.stringify({
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation substitution syntax, not a template
            Code: { S3Bucket: { 'Fn::Sub': 'cdk-assets-${AWS::AccountId}' }, S3Key: 'abc123.zip' },
            Handler: 'index.handler',
            Runtime: 'nodejs22.x',
            Timeout: 5,
            Environment: { Variables: { TABLE: { 'Fn::ImportValue': 'App-Data:TableName' } } },
          },
        },
        Failures: {
          Type: 'AWS::Lambda::EventInvokeConfig',
          Properties: {
            FunctionName: { Ref: 'Fn' },
            Qualifier: '$LATEST',
            MaximumRetryAttempts: 0,
            DestinationConfig: { OnFailure: { Destination: { 'Fn::ImportValue': 'App-Data:DlqArn' } } },
          },
        },
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: { 'Fn::ImportValue': 'App-Data:WorkArn' },
            FunctionName: { Ref: 'Fn' },
            BatchSize: 5,
            FunctionResponseTypes: ['ReportBatchItemFailures'],
          },
        },
        Flow: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            StateMachineType: 'EXPRESS',
            DefinitionString:
              // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation substitution syntax, not a template
              '{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"${FnArn}","Payload.$":"$.detail"},"OutputPath":"$.Payload","End":true}}}',
            DefinitionSubstitutions: { FnArn: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
            RoleArn: 'arn:aws:iam::000000000000:role/x',
          },
        },
        Route: {
          Type: 'AWS::Events::Rule',
          Properties: {
            EventBusName: 'app-bus',
            EventPattern: { source: ['app'] },
            Targets: [
              { Id: 'flow', Arn: { Ref: 'Flow' }, RoleArn: 'arn:aws:iam::000000000000:role/App-Data-Role' },
            ],
          },
        },
        ...(options.withSchedule
          ? {
              Tick: {
                Type: 'AWS::Scheduler::Schedule',
                Properties: {
                  ScheduleExpression: 'rate(1 minute)',
                  FlexibleTimeWindow: { Mode: 'OFF' },
                  Target: { Arn: { 'Fn::ImportValue': 'App-Data:DlqArn' }, Input: '{"tick":true}' },
                },
              },
            }
          : {}),
      },
    }),
  );
}

describe('Deployer (a CDK-style cloud assembly onto the runtime)', () => {
  let dir: string;
  let dataDir: string;
  let platform: LocalPlatform;
  let clients: ReturnType<typeof sdkClients>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-assembly-test-'));
    dataDir = mkdtempSync(path.join(tmpdir(), 'concord-deploy-data-'));
    platform = await LocalPlatform.start({ dataDir, edgePort: 0, apiPort: 0, clockFactor: 60 });
    clients = sdkClients(platform.runtime.endpoint);
  });

  afterAll(async () => {
    for (const client of Object.values(clients)) client.destroy();
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const handler = `exports.handler = async (event) => {
    if (event.Records) return { batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })) };
    return { table: process.env.TABLE, got: event };
  };`;

  it('deploys stacks in order with exports, GSIs, TTL, substitutions and rules wired as declared', async () => {
    // Prepare
    writeAssembly(dir, { withSchedule: true, handler });
    // Act
    const report = await platform.deploy(dir);
    await clients.events.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: 'app-bus', Source: 'app', DetailType: 'probe', Detail: '{"n":7}' }],
      }),
    );
    const flowArn = platform.deployer.deployedResources('App-Logic').Flow?.physicalId as string;
    let executions = await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: flowArn }));
    for (let i = 0; i < 50 && executions.executions?.[0]?.status !== 'SUCCEEDED'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      executions = await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: flowArn }));
    }
    const execution = await clients.sfn.send(
      new DescribeExecutionCommand({ executionArn: executions.executions?.[0]?.executionArn }),
    );
    const tableName = platform.deployer.deployedResources('App-Data').Table?.physicalId as string;
    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    // Assess
    expect(report.stacks.map((stack) => [stack.name, stack.created.length])).toEqual([
      ['App-Data', 5],
      ['App-Logic', 6],
    ]);
    expect(report.skipped).toEqual({});
    expect(tableName).toMatch(/^App-Data-Table-[A-Z0-9]{12}$/);
    expect(table.Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe('byGsi');
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    expect(JSON.parse(execution.output ?? '{}')).toEqual({ table: tableName, got: { n: 7 } });
  });

  it('polls SQS into the function and keeps only the items it reports as failed, which redrive to the DLQ', async () => {
    // Prepare
    const { QueueUrls = [] } = await clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'App-Data-Work' }),
    );
    const { QueueUrls: dlqUrls = [] } = await clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'App-Data-Dlq' }),
    );
    // Act
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: QueueUrls[0], MessageBody: 'good' }));
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: QueueUrls[0], MessageBody: 'bad' }));
    let bodies: string[] = [];
    for (let i = 0; i < 40 && !bodies.includes('bad'); i += 1) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrls[0], WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      bodies = [...bodies, ...Messages.map((message) => message.Body as string)];
    }
    const work = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: QueueUrls[0],
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    // Assess: the schedule also delivers ticks to the DLQ; the good message is gone, the bad one dead-lettered.
    expect(bodies).toContain('bad');
    expect(bodies).not.toContain('good');
    expect(work.Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  it('redeploys only what changed, removes what left the template and keeps generated names', async () => {
    // Prepare
    const tableBefore = platform.deployer.deployedResources('App-Data').Table?.physicalId;
    writeAssembly(dir, { withSchedule: false, handler: `${handler}\n// edited` });
    // Act
    const report = await platform.deploy(dir);
    // Assess
    const logic = report.stacks.find((stack) => stack.name === 'App-Logic');
    expect(report.stacks.find((stack) => stack.name === 'App-Data')?.unchanged.sort()).toEqual([
      'Bus',
      'Dlq',
      'Role',
      'Table',
      'Work',
    ]);
    expect(logic?.updated).toEqual(['Fn']);
    expect(logic?.deleted).toEqual(['Tick']);
    expect(platform.deployer.deployedResources('App-Data').Table?.physicalId).toBe(tableBefore);
  });
});
