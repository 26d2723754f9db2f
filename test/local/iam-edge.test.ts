import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { IamAuthorizer } from '../../local/iam/iam-authorizer';
import { parsePolicyDocument } from '../../local/iam/policy-document';
import { eventually } from '../e2e/support/eventually';
import { startTestRuntime } from './support/local-runtime';

const account = '000000000000';
const roleArn = `arn:aws:iam::${account}:role/IngestRole`;
const queueArn = (name: string) => `arn:aws:sqs:us-east-1:${account}:${name}`;

describe('IAM at the edge (role sessions of functions and state machines)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  let config: { endpoint: string; region: string; credentials: typeof credentials };

  beforeAll(async () => {
    local = await startTestRuntime();
    const registry = local.runtime.iam.registry;
    registry.putRole({
      arn: roleArn,
      managedPolicyArns: [],
      inline: [
        parsePolicyDocument(
          {
            Statement: [
              {
                Effect: 'Allow',
                Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
                Resource: queueArn('granted'),
              },
              { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::iam-bucket/raw/*' },
            ],
          },
          'IngestRole',
        ),
      ],
    });
    credentials = registry.openSession({ roleArn, sessionName: 'ingest' });
    config = { endpoint: local.runtime.endpoint, region: 'us-east-1', credentials };
    await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'granted' }));
    await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'ungranted' }));
    local.runtime.s3.createBucket('iam-bucket');
    await local.runtime.callDynamoDb('CreateTable', {
      TableName: 'iam-table',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  afterAll(async () => {
    await local.stop();
  });

  it('serves a call the role is granted', async () => {
    // Prepare
    const sqs = new SQSClient(config);
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'granted' }));

    // Act
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));

    // Assess
    expect(sent.MessageId).toBeDefined();
    sqs.destroy();
  });

  it('refuses SQS without the grant with AccessDenied and IAM message', async () => {
    // Prepare
    const sqs = new SQSClient(config);
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'ungranted' }));

    // Act
    const refusal = await sqs
      .send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }))
      .catch((error) => error);

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.$metadata.httpStatusCode).toBe(403);
    expect(refusal.message).toBe(
      `User: arn:aws:sts::${account}:assumed-role/IngestRole/ingest is not authorized to perform: sqs:SendMessage ` +
        `on resource: ${queueArn('ungranted')} because no identity-based policy allows the sqs:SendMessage action`,
    );
    sqs.destroy();
  });

  it('refuses DynamoDB with AccessDeniedException on the table ARN', async () => {
    // Prepare
    const dynamodb = new DynamoDBClient(config);

    // Act
    const refusal = await dynamodb
      .send(new PutItemCommand({ TableName: 'iam-table', Item: { pk: { S: 'a' } } }))
      .catch((error) => error);

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(
      `is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:${account}:table/iam-table`,
    );
    dynamodb.destroy();
  });

  it('refuses an S3 object outside the granted prefix and stores nothing', async () => {
    // Prepare
    const s3 = new S3Client({ ...config, forcePathStyle: true });

    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'iam-bucket', Key: 'raw/a.json', Body: '{}' }));
    const refusal = await s3
      .send(new PutObjectCommand({ Bucket: 'iam-bucket', Key: 'other/a.json', Body: '{}' }))
      .catch((error) => error);

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.$metadata.httpStatusCode).toBe(403);
    expect(refusal.message).toContain('on resource: "arn:aws:s3:::iam-bucket/other/a.json"');
    expect(local.runtime.s3.listKeys('iam-bucket').map((object) => object.key)).toEqual(['raw/a.json']);
    s3.destroy();
  });

  it('answers GetCallerIdentity with the assumed role without any grant, and lets operator credentials act as the admin', async () => {
    // Prepare
    const sts = new STSClient(config);

    // Act
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    const operator = await local.clients.dynamodb.send(
      new PutItemCommand({ TableName: 'iam-table', Item: { pk: { S: 'operator' } } }),
    );

    // Assess
    expect(identity.Account).toBe(account);
    expect(identity.Arn).toBe(`arn:aws:sts::${account}:assumed-role/IngestRole/ingest`);
    expect(identity.UserId).toMatch(/^AROA[A-Z2-7]{17}:ingest$/);
    expect(operator.$metadata.httpStatusCode).toBe(200);
    sts.destroy();
  });

  it('refuses a function worker signing with its role session', async () => {
    // Prepare
    const client = require.resolve('@aws-sdk/client-sqs');
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'ungranted' }));
    await local.deployFunction(
      'iam-sender',
      `const { SQSClient, SendMessageCommand } = require(${JSON.stringify(client)});
       const sqs = new SQSClient({});
       exports.handler = async () => {
         try { await sqs.send(new SendMessageCommand({ QueueUrl: ${JSON.stringify(QueueUrl)}, MessageBody: 'x' })); return 'sent'; }
         catch (error) { return error.name + ': ' + error.message; }
       };`,
      { roleCredentials: local.runtime.iam.registry.openSession({ roleArn, sessionName: 'iam-sender' }) },
    );

    // Act
    const result = await local.runtime.lambda.invoke('iam-sender', '{}');

    // Assess
    expect(JSON.parse(result.payload)).toBe(
      `AccessDenied: User: arn:aws:sts::${account}:assumed-role/IngestRole/iam-sender is not authorized to perform: ` +
        `sqs:SendMessage on resource: ${queueArn('ungranted')} because no identity-based policy allows the sqs:SendMessage action`,
    );
  });

  it('fails a state machine task its role is not granted, with the service error and IAM message', async () => {
    // Prepare
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'ungranted' }));
    const { stateMachineArn } = await local.clients.sfn.send(
      new CreateStateMachineCommand({
        name: 'iam-task',
        roleArn,
        definition: JSON.stringify({
          StartAt: 'Send',
          States: {
            Send: {
              Type: 'Task',
              Resource: 'arn:aws:states:::sqs:sendMessage',
              Parameters: { QueueUrl, MessageBody: 'x' },
              End: true,
            },
          },
        }),
      }),
    );

    // Act
    const { executionArn } = await local.clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'run-1' }),
    );
    const done = await eventually(async () => {
      const execution = await local.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return execution.status === 'RUNNING' ? undefined : execution;
    });

    // Assess
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('SQS.AccessDenied');
    expect(done.cause).toBe(
      `User: arn:aws:sts::${account}:assumed-role/IngestRole/run-1 is not authorized to perform: sqs:SendMessage ` +
        `on resource: ${queueArn('ungranted')} because no identity-based policy allows the sqs:SendMessage action`,
    );
  });

  it('delivers a deployed rule only to a queue whose policy names the rule, dead-lettering the other', async () => {
    // Prepare
    const { sqs, events } = local.clients;
    const url = async (name: string) =>
      (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
    const [openUrl, closedUrl, dlqUrl] = [
      await url('rule-open'),
      await url('rule-closed'),
      await url('rule-dlq'),
    ];
    const ruleArns: string[] = [];
    for (const [rule, queue] of [
      ['to-open', 'rule-open'],
      ['to-closed', 'rule-closed'],
    ] as const) {
      const { RuleArn } = await events.send(
        new PutRuleCommand({ Name: rule, EventPattern: JSON.stringify({ source: ['iam.test'] }) }),
      );
      await events.send(
        new PutTargetsCommand({
          Rule: rule,
          Targets: [{ Id: 'q', Arn: queueArn(queue), DeadLetterConfig: { Arn: queueArn('rule-dlq') } }],
        }),
      );
      local.runtime.iam.registry.markDeployedRule(RuleArn as string, true);
      ruleArns.push(RuleArn as string);
    }
    // Both queues allow events.amazonaws.com, for the rule to-open only (as CDK's SqsQueue target writes it).
    for (const queue of ['rule-open', 'rule-closed'])
      local.runtime.iam.registry.putResourceStatements(
        queueArn(queue),
        'test/QueuePolicy',
        parsePolicyDocument(
          {
            Statement: {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: queueArn(queue),
              Condition: { ArnEquals: { 'aws:SourceArn': ruleArns[0] } },
            },
          },
          queue,
        ).Statement,
      );

    // Act
    await events.send(
      new PutEventsCommand({ Entries: [{ Source: 'iam.test', DetailType: 't', Detail: '{}' }] }),
    );
    const receive = (QueueUrl: string) =>
      eventually(async () => {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
        );
        return Messages?.[0];
      });
    const delivered = await receive(openUrl);
    const deadLetter = await receive(dlqUrl);
    const { Messages: refused } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: closedUrl }));

    // Assess
    expect(JSON.parse(delivered.Body ?? '{}').source).toBe('iam.test');
    expect(refused).toBeUndefined();
    expect(deadLetter.MessageAttributes?.ERROR_CODE?.StringValue).toBe('NO_PERMISSIONS');
    expect(deadLetter.MessageAttributes?.ERROR_MESSAGE?.StringValue).toContain(
      `User: events.amazonaws.com is not authorized to perform: sqs:SendMessage on resource: ${queueArn('rule-closed')}`,
    );
  });

  it('lets only the services its trust policy names assume a role', () => {
    // Prepare
    const registry = local.runtime.iam.registry;
    const trusted = `arn:aws:iam::${account}:role/FunctionRole`;
    registry.putRole({
      arn: trusted,
      inline: [],
      managedPolicyArns: [],
      trust: parsePolicyDocument(
        {
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'lambda.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:lambda:us-east-1:*:function:*' } },
            },
          ],
        },
        'FunctionRole trust',
      ),
    });

    // Act
    const functionArn = `arn:aws:lambda:us-east-1:${account}:function:f`;
    const machineArn = `arn:aws:states:us-east-1:${account}:stateMachine:m`;
    const byLambda = registry.trusts(trusted, ['lambda.amazonaws.com'], functionArn);
    const byStates = registry.trusts(trusted, ['states.amazonaws.com'], machineArn);
    const undeclared = registry.trusts(roleArn, ['lambda.amazonaws.com'], functionArn);

    // Assess
    expect([byLambda, byStates, undeclared]).toEqual([true, false, undefined]);
  });

  it('allows everything when enforcement is off (CONCORD_IAM_ENFORCEMENT=off)', () => {
    // Prepare
    const off = new IamAuthorizer(
      local.runtime.iam.registry,
      { accountId: account, region: 'us-east-1', secretArn: (id) => id },
      false,
    );

    // Act
    const authorize = () =>
      off.authorizeRole({ roleArn, sessionName: 'ingest' }, 'sqs', [
        { action: 'sqs:SendMessage', resource: queueArn('ungranted') },
      ]);

    // Assess
    expect(authorize).not.toThrow();
    expect(() =>
      local.runtime.iam.authorizeRole({ roleArn, sessionName: 'ingest' }, 'sqs', [
        { action: 'sqs:SendMessage', resource: queueArn('ungranted') },
      ]),
    ).toThrow('because no identity-based policy allows the sqs:SendMessage action');
  });
});
