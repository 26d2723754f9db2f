import { taskPermissions } from '../../local/iam/authorizing-task-integrations';
import { lambdaPermissions, requiredPermissions, s3Permissions } from '../../local/iam/operation-actions';

const arns = {
  accountId: '000000000000',
  region: 'us-east-1',
  secretArn: (id: string) =>
    id.startsWith('arn:') ? id : `arn:aws:secretsmanager:us-east-1:000000000000:secret:${id}-AbCdEf`,
};
const regional = (service: string, resource: string) =>
  `arn:aws:${service}:us-east-1:000000000000:${resource}`;

describe('requiredPermissions', () => {
  it('maps SQS batch calls to their single action on the queue ARN', () => {
    // Act
    const permissions = requiredPermissions(
      'sqs',
      'SendMessageBatch',
      { QueueUrl: 'http://127.0.0.1:4566/000000000000/orders' },
      arns,
    );

    // Assess
    expect(permissions).toEqual([{ action: 'sqs:SendMessage', resource: regional('sqs', 'orders') }]);
  });

  it('maps DynamoDB transactions per item and queries on an index to the index ARN', () => {
    // Act
    const transact = requiredPermissions(
      'dynamodb',
      'TransactWriteItems',
      { TransactItems: [{ Put: { TableName: 'a' } }, { ConditionCheck: { TableName: 'b' } }] },
      arns,
    );
    const query = requiredPermissions('dynamodb', 'Query', { TableName: 'a', IndexName: 'byStatus' }, arns);

    // Assess
    expect(transact).toEqual([
      { action: 'dynamodb:PutItem', resource: regional('dynamodb', 'table/a') },
      { action: 'dynamodb:ConditionCheckItem', resource: regional('dynamodb', 'table/b') },
    ]);
    expect(query).toEqual([
      { action: 'dynamodb:Query', resource: regional('dynamodb', 'table/a/index/byStatus') },
    ]);
  });

  it('maps PutEvents to each bus its entries name, the default bus when none', () => {
    // Act
    const permissions = requiredPermissions(
      'events',
      'PutEvents',
      {
        Entries: [
          { EventBusName: 'concord-local' },
          {},
          { EventBusName: regional('events', 'event-bus/concord-local') },
        ],
      },
      arns,
    );

    // Assess
    expect(permissions).toEqual([
      { action: 'events:PutEvents', resource: regional('events', 'event-bus/concord-local') },
      { action: 'events:PutEvents', resource: regional('events', 'event-bus/default') },
    ]);
  });

  it('names a secret by its full ARN, a rule by bus and name, and asks nothing for GetCallerIdentity', () => {
    // Act
    const secret = requiredPermissions('secretsmanager', 'GetSecretValue', { SecretId: 'erp' }, arns);
    const rule = requiredPermissions('events', 'ListTargetsByRule', { Rule: 'r', EventBusName: 'bus' }, arns);
    const metrics = requiredPermissions('cloudwatch', 'PutMetricData', { Namespace: 'Concord' }, arns);
    const caller = requiredPermissions('sts', 'GetCallerIdentity', {}, arns);

    // Assess
    expect(secret).toEqual([{ action: 'secretsmanager:GetSecretValue', resource: arns.secretArn('erp') }]);
    expect(rule).toEqual([
      { action: 'events:ListTargetsByRule', resource: regional('events', 'rule/bus/r') },
    ]);
    expect(metrics).toEqual([{ action: 'cloudwatch:PutMetricData', resource: '*' }]);
    expect(caller).toEqual([]);
  });
});

describe('s3Permissions', () => {
  it('asks PutObject on the target and GetObject on the source of a copy', () => {
    // Act
    const permissions = s3Permissions(
      'PUT',
      new URL('http://edge/bucket/to/key.json?x-id=CopyObject'),
      { 'x-amz-copy-source': '/bucket/from%20here/key.json' },
      Buffer.alloc(0),
    );

    // Assess
    expect(permissions).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::bucket/to/key.json' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/from here/key.json' },
    ]);
  });

  it('asks DeleteObject per key of DeleteObjects and ListBucket on the bucket for a listing', () => {
    // Act
    const deletes = s3Permissions(
      'POST',
      new URL('http://edge/bucket?delete'),
      {},
      Buffer.from('<Delete><Object><Key>a</Key></Object><Object><Key>b/c</Key></Object></Delete>'),
    );
    const list = s3Permissions(
      'GET',
      new URL('http://edge/bucket?list-type=2&prefix=raw/'),
      {},
      Buffer.alloc(0),
    );

    // Assess
    expect(deletes).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::bucket/a' },
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::bucket/b/c' },
    ]);
    expect(list).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::bucket' }]);
  });
});

describe('lambdaPermissions', () => {
  it('asks InvokeFunction on the qualified function ARN', () => {
    // Act
    const permissions = lambdaPermissions(
      'POST',
      new URL('http://edge/2015-03-31/functions/replay/invocations?Qualifier=live'),
      arns,
    );

    // Assess
    expect(permissions).toEqual([
      { action: 'lambda:InvokeFunction', resource: regional('lambda', 'function:replay:live') },
    ]);
  });
});

describe('taskPermissions', () => {
  it('maps optimized and SDK integrations to their IAM action and the States error prefix', () => {
    // Act
    const invoke = taskPermissions(
      'arn:aws:states:::lambda:invoke',
      { FunctionName: regional('lambda', 'function:f') },
      arns,
    );
    const start = taskPermissions(
      'arn:aws:states:::states:startExecution.sync:2',
      { StateMachineArn: regional('states', 'stateMachine:child') },
      arns,
    );
    const sdk = taskPermissions('arn:aws:states:::aws-sdk:dynamodb:query', { TableName: 't' }, arns);

    // Assess
    expect(invoke).toEqual({
      service: 'lambda',
      errorPrefix: 'Lambda',
      permissions: [{ action: 'lambda:InvokeFunction', resource: regional('lambda', 'function:f') }],
    });
    expect(start?.permissions).toEqual([
      { action: 'states:StartExecution', resource: regional('states', 'stateMachine:child') },
    ]);
    expect(sdk).toEqual({
      service: 'dynamodb',
      errorPrefix: 'DynamoDb',
      permissions: [{ action: 'dynamodb:Query', resource: regional('dynamodb', 'table/t') }],
    });
  });
});
