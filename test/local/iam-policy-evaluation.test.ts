import { accessDeniedMessage } from '../../local/iam/access-denied';
import {
  type PolicyDocument,
  PolicyDocumentError,
  parsePolicyDocument,
} from '../../local/iam/policy-document';
import { type AuthorizationRequest, evaluateAuthorization } from '../../local/iam/policy-evaluation';

const account = '000000000000';
const roleArn = `arn:aws:iam::${account}:role/Concord-local-Stateless-IngestRole`;
const queueArn = `arn:aws:sqs:us-east-1:${account}:orders`;

function roleRequest(
  action: string,
  resource: string,
  context: Record<string, string> = {},
): AuthorizationRequest {
  return {
    principal: {
      kind: 'role',
      roleArn,
      sessionArn: `arn:aws:sts::${account}:assumed-role/Concord-local-Stateless-IngestRole/ingest`,
      accountId: account,
    },
    action,
    resource,
    context: { 'aws:SecureTransport': 'true', ...context },
  };
}

function policy(...statements: unknown[]): PolicyDocument {
  return parsePolicyDocument({ Version: '2012-10-17', Statement: statements }, 'test');
}

describe('evaluateAuthorization', () => {
  it('denies by default when no policy grants the action', () => {
    // Prepare
    const identity = [policy({ Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: queueArn })];

    // Act
    const decision = evaluateAuthorization(roleRequest('sqs:SendMessage', queueArn), identity);

    // Assess
    expect(decision).toEqual({ effect: 'ImplicitDeny' });
  });

  it('allows an action matched by a wildcard, case-insensitively', () => {
    // Prepare
    const identity = [policy({ Effect: 'Allow', Action: ['SQS:Send*', 'dynamodb:?etItem'], Resource: '*' })];

    // Act
    const send = evaluateAuthorization(roleRequest('sqs:SendMessage', queueArn), identity);
    const get = evaluateAuthorization(
      roleRequest('dynamodb:GetItem', 'arn:aws:dynamodb:::table/t'),
      identity,
    );
    const receive = evaluateAuthorization(roleRequest('sqs:ReceiveMessage', queueArn), identity);

    // Assess
    expect([send.effect, get.effect, receive.effect]).toEqual(['Allow', 'Allow', 'ImplicitDeny']);
  });

  it('matches resources by wildcard and case-sensitively', () => {
    // Prepare
    const identity = [
      policy({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::raw-bucket/raw/*' }),
    ];

    // Act
    const inside = evaluateAuthorization(
      roleRequest('s3:PutObject', 'arn:aws:s3:::raw-bucket/raw/2026/a.json'),
      identity,
    );
    const outside = evaluateAuthorization(
      roleRequest('s3:PutObject', 'arn:aws:s3:::raw-bucket/other/a.json'),
      identity,
    );
    const upper = evaluateAuthorization(
      roleRequest('s3:PutObject', 'arn:aws:s3:::raw-bucket/RAW/a.json'),
      identity,
    );

    // Assess
    expect([inside.effect, outside.effect, upper.effect]).toEqual(['Allow', 'ImplicitDeny', 'ImplicitDeny']);
  });

  it('lets an explicit deny win over any allow', () => {
    // Prepare
    const identity = [
      policy({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }),
      policy({ Effect: 'Deny', Action: 'sqs:SendMessage', Resource: queueArn }),
    ];

    // Act
    const decision = evaluateAuthorization(roleRequest('sqs:SendMessage', queueArn), identity);

    // Assess
    expect(decision).toEqual({ effect: 'ExplicitDeny', by: 'identity' });
  });

  it('applies NotAction and NotResource as the complement of their lists', () => {
    // Prepare
    const identity = [
      policy(
        { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
        { Effect: 'Deny', Action: 'sqs:DeleteQueue', NotResource: queueArn },
      ),
    ];

    // Act
    const send = evaluateAuthorization(roleRequest('sqs:SendMessage', queueArn), identity);
    const iam = evaluateAuthorization(roleRequest('iam:PassRole', roleArn), identity);
    const deleteOther = evaluateAuthorization(roleRequest('sqs:DeleteQueue', `${queueArn}-other`), identity);

    // Assess
    expect([send.effect, iam.effect, deleteOther.effect]).toEqual(['Allow', 'ImplicitDeny', 'ExplicitDeny']);
  });

  it('allows a caller the resource policy names even without an identity grant', () => {
    // Prepare
    const resourcePolicy = policy({
      Effect: 'Allow',
      Principal: { AWS: roleArn },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
    });

    // Act
    const decision = evaluateAuthorization(roleRequest('sqs:SendMessage', queueArn), [], resourcePolicy);

    // Assess
    expect(decision).toEqual({ effect: 'Allow' });
  });

  it('does not let the account root principal allow by itself', () => {
    // Prepare
    const resourcePolicy = policy({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
    });

    // Act
    const decision = evaluateAuthorization(roleRequest('sqs:SendMessage', queueArn), [], resourcePolicy);

    // Assess
    expect(decision).toEqual({ effect: 'ImplicitDeny' });
  });

  it('refuses with a resource policy deny on insecure transport only when the transport is insecure', () => {
    // Prepare
    const identity = [policy({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn })];
    const resourcePolicy = policy({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:*',
      Resource: queueArn,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });

    // Act
    const secure = evaluateAuthorization(roleRequest('sqs:SendMessage', queueArn), identity, resourcePolicy);
    const plain = evaluateAuthorization(
      roleRequest('sqs:SendMessage', queueArn, { 'aws:SecureTransport': 'false' }),
      identity,
      resourcePolicy,
    );

    // Assess
    expect(secure).toEqual({ effect: 'Allow' });
    expect(plain).toEqual({ effect: 'ExplicitDeny', by: 'resource' });
  });

  it('allows a service principal only from the source the ArnEquals and StringEquals conditions name', () => {
    // Prepare
    const ruleArn = `arn:aws:events:us-east-1:${account}:rule/concord-local/OrderToCash`;
    const resourcePolicy = policy({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
      Resource: queueArn,
      Condition: { ArnEquals: { 'aws:SourceArn': ruleArn }, StringEquals: { 'aws:SourceAccount': account } },
    });
    const request = (sourceArn: string): AuthorizationRequest => ({
      principal: { kind: 'service', service: 'events.amazonaws.com', accountId: account },
      action: 'sqs:SendMessage',
      resource: queueArn,
      context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account },
    });

    // Act
    const fromRule = evaluateAuthorization(request(ruleArn), [], resourcePolicy);
    const fromOther = evaluateAuthorization(request(`${ruleArn}-other`), [], resourcePolicy);

    // Assess
    expect([fromRule.effect, fromOther.effect]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('matches ArnLike per ARN part and treats a missing key as not matching', () => {
    // Prepare
    const identity = [
      policy({
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: '*',
        Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:states:us-east-1:*:stateMachine:*' } },
      }),
    ];
    const functionArn = `arn:aws:lambda:us-east-1:${account}:function:f`;

    // Act
    const machine = evaluateAuthorization(
      roleRequest('lambda:InvokeFunction', functionArn, {
        'aws:SourceArn': `arn:aws:states:us-east-1:${account}:stateMachine:OrderToCash`,
      }),
      identity,
    );
    const otherRegion = evaluateAuthorization(
      roleRequest('lambda:InvokeFunction', functionArn, {
        'aws:SourceArn': `arn:aws:states:eu-west-1:${account}:stateMachine:OrderToCash`,
      }),
      identity,
    );
    const missing = evaluateAuthorization(roleRequest('lambda:InvokeFunction', functionArn), identity);

    // Assess
    expect([machine.effect, otherRegion.effect, missing.effect]).toEqual([
      'Allow',
      'ImplicitDeny',
      'ImplicitDeny',
    ]);
  });

  it('holds negated, IfExists, Null, numeric and multi-valued operators as IAM defines them', () => {
    // Prepare
    const allowWhen = (condition: Record<string, unknown>) => [
      policy({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*', Condition: condition }),
    ];
    const evaluate = (condition: Record<string, unknown>, context: Record<string, string | string[]> = {}) =>
      evaluateAuthorization(
        { ...roleRequest('sqs:SendMessage', queueArn), context: { ...context } },
        allowWhen(condition),
      ).effect;

    // Act
    const outcomes = [
      evaluate({ StringNotEquals: { 'aws:SourceAccount': '111111111111' } }),
      evaluate({ StringEqualsIfExists: { 'aws:SourceAccount': account } }),
      evaluate({ StringEquals: { 'aws:SourceAccount': account } }),
      evaluate({ Null: { 'aws:SourceArn': 'true' } }),
      evaluate({ NumericLessThan: { 'sqs:DelaySeconds': '10' } }, { 'sqs:DelaySeconds': '5' }),
      evaluate({ StringLike: { 'aws:PrincipalTag/team': 'ord*' } }, { 'aws:PrincipalTag/team': 'orders' }),
      evaluate({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } }, { 'aws:TagKeys': ['a', 'c'] }),
      evaluate({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a', 'b'] } }, { 'aws:TagKeys': ['a', 'c'] }),
    ];

    // Assess
    expect(outcomes).toEqual([
      'Allow',
      'Allow',
      'ImplicitDeny',
      'Allow',
      'Allow',
      'Allow',
      'ImplicitDeny',
      'Allow',
    ]);
  });
});

describe('parsePolicyDocument', () => {
  it('rejects an unknown condition operator as IAM rejects the policy', () => {
    // Act
    const parse = () =>
      parsePolicyDocument(
        {
          Statement: [
            { Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqualz: { a: 'b' } } },
          ],
        },
        'Stack/Policy',
      );

    // Assess
    expect(parse).toThrow(PolicyDocumentError);
    expect(parse).toThrow('Stack/Policy Statement[0]: unknown condition operator StringEqualz');
  });

  it('rejects a statement without an Effect or with both Action and NotAction', () => {
    // Act
    const noEffect = () => parsePolicyDocument({ Statement: { Action: '*', Resource: '*' } }, 'p');
    const both = () =>
      parsePolicyDocument({ Statement: { Effect: 'Allow', Action: '*', NotAction: 'x:*' } }, 'p');

    // Assess
    expect(noEffect).toThrow('Effect must be "Allow" or "Deny"');
    expect(both).toThrow('exactly one of Action and NotAction');
  });
});

describe('accessDeniedMessage', () => {
  it('words a missing grant and an explicit deny as AWS does', () => {
    // Prepare
    const user = `arn:aws:sts::${account}:assumed-role/IngestRole/ingest`;

    // Act
    const missing = accessDeniedMessage(user, 'sqs', 'sqs:SendMessage', queueArn, { effect: 'ImplicitDeny' });
    const denied = accessDeniedMessage(user, 's3', 's3:PutObject', 'arn:aws:s3:::b/k', {
      effect: 'ExplicitDeny',
      by: 'resource',
    });

    // Assess
    expect(missing).toBe(
      `User: ${user} is not authorized to perform: sqs:SendMessage on resource: ${queueArn} because no identity-based policy allows the sqs:SendMessage action`,
    );
    expect(denied).toBe(
      `User: ${user} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" with an explicit deny in a resource-based policy`,
    );
  });
});
