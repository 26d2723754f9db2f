/** Deploys a template's IAM: roles, identity policies, and the resource policies of queues, topics, buckets, buses and functions. */
import type { HandlerContext, ResourceHandler } from '../deploy/resource-handlers';
import { parsePolicies, roleArnOf } from './iam-registry';
import { type PolicyStatement, parsePolicyDocument } from './policy-document';

function declarationId(context: HandlerContext): string {
  return `${context.stackName}/${context.logicalId}`;
}

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
}

function statementsOf(document: unknown, where: string): PolicyStatement[] {
  return parsePolicyDocument(document, where).Statement;
}

const role: ResourceHandler = {
  async deploy(properties, context) {
    // The name CloudFormation would generate, kept as the runtime named roles before it enforced IAM.
    const name = String(
      properties.RoleName ?? context.previous?.physicalId ?? `${context.stackName}-${context.logicalId}`,
    );
    const arn = roleArnOf(context.accountId, name);
    const where = `${context.stackName}/${context.logicalId}`;
    const inline = parsePolicies(
      ((properties.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map(
        (policy) => policy.PolicyDocument,
      ),
      where,
    );
    const iam = context.runtime.iam.registry;
    const trustDocument = properties.AssumeRolePolicyDocument as { Statement?: unknown } | undefined;
    iam.putRole({
      arn,
      inline,
      managedPolicyArns: names(properties.ManagedPolicyArns),
      // A role declaring no trust statements is not checked (hand-written test templates leave it empty).
      ...(trustDocument?.Statement
        ? { trust: parsePolicyDocument(trustDocument, `${where} trust policy`) }
        : {}),
    });
    for (const unknown of iam.unknownManagedPolicies(arn))
      if (unknown.startsWith('arn:aws:iam::aws:'))
        console.warn(
          `[iam] ${where}: the AWS managed policy ${unknown} is not known locally and grants nothing`,
        );
    return { physicalId: name, attributes: { Arn: arn, RoleId: name } };
  },
  async remove(resource, context) {
    context.runtime.iam.registry.removeRole(String(resource.attributes.Arn));
  },
};

const policy: ResourceHandler = {
  async deploy(properties, context) {
    const document = parsePolicyDocument(properties.PolicyDocument, declarationId(context));
    context.runtime.iam.registry.putAttachedPolicy(declarationId(context), {
      roleArns: names(properties.Roles).map((name) => roleArnOf(context.accountId, name)),
      document,
    });
    const name = String(properties.PolicyName ?? context.logicalId);
    return { physicalId: name, attributes: { Id: name } };
  },
  async remove(_resource, context) {
    context.runtime.iam.registry.removeAttachedPolicy(declarationId(context));
  },
};

const managedPolicy: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(
      properties.ManagedPolicyName ??
        context.previous?.attributes.PolicyName ??
        context.generatedName(128, { short: true }),
    );
    const path = String(properties.Path ?? '/');
    const arn = `arn:aws:iam::${context.accountId}:policy${path}${name}`;
    context.runtime.iam.registry.putAttachedPolicy(declarationId(context), {
      arn,
      roleArns: names(properties.Roles).map((roleName) => roleArnOf(context.accountId, roleName)),
      document: parsePolicyDocument(properties.PolicyDocument, declarationId(context)),
    });
    return { physicalId: arn, attributes: { PolicyArn: arn, PolicyName: name } };
  },
  async remove(_resource, context) {
    context.runtime.iam.registry.removeAttachedPolicy(declarationId(context));
  },
};

/** A resource policy declared over a list of resources (queues, topics) or one (a bucket, a bus). */
function resourcePolicy(
  resourceArns: (properties: Record<string, unknown>, context: HandlerContext) => string[],
): ResourceHandler {
  return {
    async deploy(properties, context) {
      const arns = resourceArns(properties, context);
      const statements = statementsOf(properties.PolicyDocument, declarationId(context));
      const previousArns = names(context.previous?.attributes.ResourceArns);
      for (const arn of previousArns.filter((previous) => !arns.includes(previous)))
        context.runtime.iam.registry.putResourceStatements(arn, declarationId(context), undefined);
      for (const arn of arns)
        context.runtime.iam.registry.putResourceStatements(arn, declarationId(context), statements);
      return { physicalId: declarationId(context), attributes: { ResourceArns: arns } };
    },
    async remove(resource, context) {
      for (const arn of names(resource.attributes.ResourceArns))
        context.runtime.iam.registry.putResourceStatements(arn, declarationId(context), undefined);
    },
  };
}

const queuePolicy = resourcePolicy((properties, context) =>
  names(properties.Queues).map(
    (url) => `arn:aws:sqs:${context.region}:${context.accountId}:${url.split('/').at(-1)}`,
  ),
);

const topicPolicy = resourcePolicy((properties) => names(properties.Topics));

const bucketPolicy = resourcePolicy((properties) => [`arn:aws:s3:::${String(properties.Bucket)}`]);

/** The policy statement a Lambda::Permission adds to its function's policy, as Lambda's AddPermission writes it. */
function permissionStatement(
  properties: Record<string, unknown>,
  functionArn: string,
  sid: string,
): PolicyStatement {
  const principal = String(properties.Principal);
  const condition: Record<string, Record<string, string[]>> = {};
  if (properties.SourceArn !== undefined)
    condition.ArnLike = { 'aws:SourceArn': [String(properties.SourceArn)] };
  if (properties.SourceAccount !== undefined)
    condition.StringEquals = { 'aws:SourceAccount': [String(properties.SourceAccount)] };
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: principal.endsWith('.amazonaws.com') ? { Service: [principal] } : { AWS: [principal] },
    Action: [String(properties.Action)],
    Resource: [functionArn],
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

const lambdaPermission: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(properties.FunctionName);
    const functionName = name.startsWith('arn:')
      ? (name.split(':')[6] ?? '')
      : (name.split(':').at(-1) ?? '');
    const functionArn = `arn:aws:lambda:${context.region}:${context.accountId}:function:${functionName}`;
    const sid = declarationId(context);
    context.runtime.iam.registry.putResourceStatements(functionArn, sid, [
      permissionStatement(properties, functionArn, sid),
    ]);
    return { physicalId: sid, attributes: { ResourceArns: [functionArn] } };
  },
  async remove(resource, context) {
    for (const arn of names(resource.attributes.ResourceArns))
      context.runtime.iam.registry.putResourceStatements(arn, declarationId(context), undefined);
  },
};

const eventBusPolicy: ResourceHandler = {
  async deploy(properties, context) {
    const bus = String(properties.EventBusName ?? 'default');
    const busArn = bus.startsWith('arn:')
      ? bus
      : `arn:aws:events:${context.region}:${context.accountId}:event-bus/${bus}`;
    const statements = properties.Statement
      ? statementsOf({ Statement: properties.Statement }, declarationId(context))
      : statementsOf(
          {
            Statement: {
              Sid: properties.StatementId,
              Effect: 'Allow',
              Principal: { AWS: String(properties.Principal) },
              Action: properties.Action,
              Resource: busArn,
              ...(properties.Condition ? { Condition: properties.Condition } : {}),
            },
          },
          declarationId(context),
        );
    context.runtime.iam.registry.putResourceStatements(busArn, declarationId(context), statements);
    return { physicalId: declarationId(context), attributes: { ResourceArns: [busArn] } };
  },
  async remove(resource, context) {
    for (const arn of names(resource.attributes.ResourceArns))
      context.runtime.iam.registry.putResourceStatements(arn, declarationId(context), undefined);
  },
};

/** The IAM and resource-policy resource types the runtime deploys and enforces. */
export const iamResourceHandlers: Record<string, ResourceHandler> = {
  'AWS::IAM::Role': role,
  'AWS::IAM::Policy': policy,
  'AWS::IAM::ManagedPolicy': managedPolicy,
  'AWS::SQS::QueuePolicy': queuePolicy,
  'AWS::SNS::TopicPolicy': topicPolicy,
  'AWS::S3::BucketPolicy': bucketPolicy,
  'AWS::Lambda::Permission': lambdaPermission,
  'AWS::Events::EventBusPolicy': eventBusPolicy,
};
