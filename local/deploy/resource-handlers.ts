/** How each CloudFormation resource type is created, updated and deleted on the embedded runtime. */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { HttpApiRegistry } from '../apigw/http-api-registry';
import { iamResourceHandlers } from '../iam/iam-resource-handlers';
import type { LocalRuntime } from '../runtime';
import type { GlueDatabaseInput, GlueTableInput } from '../services/glue/glue-catalog';
import type { EventSourceMappings } from '../services/lambda/event-source-mappings';
import { eventSchemasResourceHandlers } from './event-schemas-handlers';
import { TemplateError } from './intrinsics';

/** A resource as deployed: what Ref and Fn::GetAtt answer. */
export interface DeployedResource {
  type: string;
  physicalId: string;
  attributes: Record<string, unknown>;
  /** Hash of the resolved properties (and code): unchanged resources are not touched on redeploy. */
  hash: string;
  retain: boolean;
}

/** What a handler gets to work with. */
export interface HandlerContext {
  runtime: LocalRuntime;
  apis: HttpApiRegistry;
  eventSourceMappings: EventSourceMappings;
  stackName: string;
  logicalId: string;
  accountId: string;
  region: string;
  /** The cloud assembly directory (cdk.out) holding the assets. */
  assemblyDir: string;
  /** Asset directory of a Lambda Code property (by its S3 key). */
  assetPath(code: Record<string, unknown>): string;
  /** A CloudFormation-style generated name: `<stack>-<logicalId>-<RANDOM>`, kept across redeploys. */
  generatedName(maxLength: number, options?: { lowercase?: boolean; short?: boolean }): string;
  previous?: DeployedResource;
}

/** Create-or-update and delete of one resource type. */
export interface ResourceHandler {
  deploy(
    properties: Record<string, unknown>,
    context: HandlerContext,
  ): Promise<{ physicalId: string; attributes: Record<string, unknown> }>;
  remove?(resource: DeployedResource, context: HandlerContext): Promise<void>;
}

function randomSuffix(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** CloudFormation's generated physical name. */
export function generatePhysicalName(
  stackName: string,
  logicalId: string,
  maxLength: number,
  options: { lowercase?: boolean; short?: boolean } = {},
): string {
  const suffix = randomSuffix(12);
  const base = options.short ? logicalId : `${stackName}-${logicalId}`;
  const name = `${base.slice(0, Math.max(1, maxLength - suffix.length - 1))}-${suffix}`;
  return options.lowercase ? name.toLowerCase().replace(/[^a-z0-9.-]/g, '-') : name;
}

/** Hash of an asset directory's contents, so that a rebuilt handler counts as a change. */
export function hashDirectory(dir: string): string {
  const hash = createHash('sha256');
  if (!statSync(dir).isDirectory()) return hash.update(readFileSync(dir)).digest('hex');
  const walk = (current: string) => {
    for (const entry of readdirSync(current).sort()) {
      const full = path.join(current, entry);
      if (statSync(full).isDirectory()) walk(full);
      else hash.update(entry).update(readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

function arn(service: string, context: HandlerContext, resource: string): string {
  return `arn:aws:${service}:${context.region}:${context.accountId}:${resource}`;
}

async function edge(
  service: { handle(operation: string, input: Record<string, unknown>): Promise<unknown> },
  operation: string,
  input: Record<string, unknown>,
) {
  return service.handle(operation, input) as Promise<Record<string, unknown>>;
}

function queueAttributes(properties: Record<string, unknown>): Record<string, string> {
  const names = [
    'VisibilityTimeout',
    'MessageRetentionPeriod',
    'DelaySeconds',
    'MaximumMessageSize',
    'ReceiveMessageWaitTimeSeconds',
    'KmsMasterKeyId',
    'SqsManagedSseEnabled',
    'RedrivePolicy',
  ];
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const value = properties[name];
    if (value === undefined) continue;
    attributes[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return attributes;
}

const sqsQueue: ResourceHandler = {
  async deploy(properties, context) {
    if (properties.FifoQueue)
      throw new Error(`${context.logicalId}: FIFO queues are not supported by the local runtime`);
    const name = String(
      properties.QueueName ?? context.previous?.attributes.QueueName ?? context.generatedName(80),
    );
    const attributes = queueAttributes(properties);
    if (context.previous)
      await edge(context.runtime.sqs, 'SetQueueAttributes', {
        QueueUrl: context.runtime.sqs.queueUrl(name),
        Attributes: attributes,
      });
    else await edge(context.runtime.sqs, 'CreateQueue', { QueueName: name, Attributes: attributes });
    const url = context.runtime.sqs.queueUrl(name);
    return {
      physicalId: url,
      attributes: { Arn: arn('sqs', context, name), QueueName: name, QueueUrl: url },
    };
  },
  async remove(resource, context) {
    await edge(context.runtime.sqs, 'DeleteQueue', { QueueUrl: resource.physicalId });
  },
};

const dynamoDbTable: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(properties.TableName ?? context.previous?.physicalId ?? context.generatedName(255));
    if (!context.previous) {
      const onDemand = properties.BillingMode === 'PAY_PER_REQUEST';
      await context.runtime.callDynamoDb('CreateTable', {
        TableName: name,
        KeySchema: properties.KeySchema,
        AttributeDefinitions: properties.AttributeDefinitions,
        ...(properties.GlobalSecondaryIndexes
          ? {
              GlobalSecondaryIndexes: (properties.GlobalSecondaryIndexes as Record<string, unknown>[]).map(
                (index) => ({
                  ...index,
                  ...(onDemand
                    ? {}
                    : {
                        ProvisionedThroughput: index.ProvisionedThroughput ?? {
                          ReadCapacityUnits: 5,
                          WriteCapacityUnits: 5,
                        },
                      }),
                }),
              ),
            }
          : {}),
        ...(properties.LocalSecondaryIndexes
          ? { LocalSecondaryIndexes: properties.LocalSecondaryIndexes }
          : {}),
        ...(onDemand
          ? { BillingMode: 'PAY_PER_REQUEST' }
          : {
              ProvisionedThroughput: properties.ProvisionedThroughput ?? {
                ReadCapacityUnits: 5,
                WriteCapacityUnits: 5,
              },
            }),
      });
    }
    const ttl = properties.TimeToLiveSpecification as
      | { AttributeName?: string; Enabled?: boolean }
      | undefined;
    if (ttl?.AttributeName)
      await context.runtime.callDynamoDb('UpdateTimeToLive', {
        TableName: name,
        TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: ttl.Enabled !== false },
      });
    const tableArn = arn('dynamodb', context, `table/${name}`);
    return { physicalId: name, attributes: { Arn: tableArn, StreamArn: `${tableArn}/stream/local` } };
  },
  async remove(resource, context) {
    await context.runtime.callDynamoDb('DeleteTable', { TableName: resource.physicalId });
  },
};

const s3Bucket: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(
      properties.BucketName ?? context.previous?.physicalId ?? context.generatedName(63, { lowercase: true }),
    );
    context.runtime.s3.createBucket(name);
    return {
      physicalId: name,
      attributes: {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${context.region}.amazonaws.com`,
      },
    };
  },
  async remove(resource, context) {
    if (context.runtime.s3.listKeys(resource.physicalId).length > 0) {
      console.warn(
        `[deploy] bucket ${resource.physicalId} is not empty: kept, as CloudFormation would fail to delete it`,
      );
      return;
    }
    context.runtime.store.deleteResource('s3-bucket', resource.physicalId);
  },
};

const eventBus: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(properties.Name);
    if (!context.runtime.store.getResource('events-bus', name))
      await edge(context.runtime.events, 'CreateEventBus', { Name: name });
    return { physicalId: name, attributes: { Arn: arn('events', context, `event-bus/${name}`), Name: name } };
  },
  async remove(resource, context) {
    await edge(context.runtime.events, 'DeleteEventBus', { Name: resource.physicalId });
  },
};

const eventRule: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(
      properties.Name ?? context.previous?.attributes.RuleName ?? context.generatedName(64),
    );
    const bus =
      properties.EventBusName === undefined ? 'default' : String(properties.EventBusName).split('/').at(-1);
    const result = await edge(context.runtime.events, 'PutRule', {
      Name: name,
      EventBusName: bus,
      EventPattern:
        properties.EventPattern === undefined
          ? undefined
          : typeof properties.EventPattern === 'string'
            ? properties.EventPattern
            : JSON.stringify(properties.EventPattern),
      ScheduleExpression: properties.ScheduleExpression,
      State: properties.State ?? 'ENABLED',
      Description: properties.Description,
    });
    const targets = (properties.Targets as Record<string, unknown>[] | undefined) ?? [];
    const existing = (
      await edge(context.runtime.events, 'ListTargetsByRule', { Rule: name, EventBusName: bus })
    ).Targets as { Id: string }[];
    const stale = existing
      .map((target) => target.Id)
      .filter((id) => !targets.some((target) => target.Id === id));
    if (stale.length > 0)
      await edge(context.runtime.events, 'RemoveTargets', {
        Rule: name,
        EventBusName: bus,
        Ids: stale,
      });
    if (targets.length > 0) {
      const put = await edge(context.runtime.events, 'PutTargets', {
        Rule: name,
        EventBusName: bus,
        Targets: targets,
      });
      if (Number(put.FailedEntryCount) > 0)
        throw new Error(`${context.logicalId}: targets refused: ${JSON.stringify(put.FailedEntries)}`);
    }
    context.runtime.iam.registry.markDeployedRule(String(result.RuleArn), true);
    return {
      physicalId: bus === 'default' ? name : `${bus}|${name}`,
      attributes: { Arn: result.RuleArn, RuleName: name, EventBusName: bus },
    };
  },
  async remove(resource, context) {
    const { RuleName: name, EventBusName: bus } = resource.attributes as {
      RuleName: string;
      EventBusName: string;
    };
    const { Targets } = (await edge(context.runtime.events, 'ListTargetsByRule', {
      Rule: name,
      EventBusName: bus,
    })) as { Targets: { Id: string }[] };
    if (Targets.length > 0)
      await edge(context.runtime.events, 'RemoveTargets', {
        Rule: name,
        EventBusName: bus,
        Ids: Targets.map((target) => target.Id),
      });
    await edge(context.runtime.events, 'DeleteRule', { Name: name, EventBusName: bus });
    context.runtime.iam.registry.markDeployedRule(String(resource.attributes.Arn), false);
  },
};

const eventArchive: ResourceHandler = {
  // Every event on every local bus is kept already; the archive names the bus and the pattern a replay reads.
  async deploy(properties, context) {
    const name = String(
      properties.ArchiveName ?? context.previous?.physicalId ?? context.generatedName(48, { short: true }),
    );
    // A data directory from before archives were emulated has the resource but not the archive.
    const exists = await edge(context.runtime.events, 'DescribeArchive', { ArchiveName: name }).then(
      () => true,
      () => false,
    );
    if (!exists)
      await edge(context.runtime.events, 'CreateArchive', {
        ArchiveName: name,
        EventSourceArn: properties.SourceArn,
        EventPattern:
          properties.EventPattern === undefined || typeof properties.EventPattern === 'string'
            ? properties.EventPattern
            : JSON.stringify(properties.EventPattern),
        RetentionDays: properties.RetentionDays,
        Description: properties.Description,
      });
    return { physicalId: name, attributes: { Arn: arn('events', context, `archive/${name}`) } };
  },
};

const glueDatabase: ResourceHandler = {
  // The local Athena resolves a query's tables through the database name; Glue and Athena's metadata calls answer it.
  async deploy(properties, context) {
    const input = properties.DatabaseInput as GlueDatabaseInput;
    context.runtime.glue.catalog.putDatabase(input, context.runtime.clock.now());
    return { physicalId: input.Name, attributes: {} };
  },
  async remove(resource, context) {
    context.runtime.glue.catalog.removeDatabase(resource.physicalId);
  },
};

const glueTable: ResourceHandler = {
  async deploy(properties, context) {
    const database = String(properties.DatabaseName);
    const input = properties.TableInput as GlueTableInput;
    context.runtime.athena.putGlueTable({
      database,
      name: input.Name,
      tableType: input.TableType ?? 'EXTERNAL_TABLE',
      location: input.StorageDescriptor?.Location,
      input,
    });
    return { physicalId: input.Name, attributes: { DatabaseName: database } };
  },
  async remove(resource, context) {
    context.runtime.athena.removeGlueTable(String(resource.attributes.DatabaseName), resource.physicalId);
  },
};

const athenaWorkGroup: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(properties.Name);
    const configuration = properties.WorkGroupConfiguration as
      | { ResultConfiguration?: { OutputLocation?: string } }
      | undefined;
    context.runtime.athena.putWorkGroup(name, configuration?.ResultConfiguration?.OutputLocation);
    return { physicalId: name, attributes: {} };
  },
};

const stateMachine: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(
      properties.StateMachineName ??
        context.previous?.attributes.Name ??
        context.generatedName(80, { short: true }),
    );
    // DefinitionBody.fromFile ships the definition as an asset (DefinitionS3Location); inline forms are strings or objects.
    let definition = properties.DefinitionS3Location
      ? readFileSync(
          context.assetPath({ S3Key: (properties.DefinitionS3Location as { Key: string }).Key }),
          'utf8',
        )
      : typeof properties.DefinitionString === 'string'
        ? properties.DefinitionString
        : JSON.stringify(properties.Definition ?? {});
    for (const [key, value] of Object.entries(
      (properties.DefinitionSubstitutions as Record<string, unknown>) ?? {},
    )) {
      definition = definition.split(`\${${key}}`).join(String(value));
    }
    const machineArn = arn('states', context, `stateMachine:${name}`);
    if (
      typeof properties.RoleArn === 'string' &&
      context.runtime.iam.registry.trusts(
        properties.RoleArn,
        ['states.amazonaws.com', `states.${context.region}.amazonaws.com`],
        machineArn,
      ) === false
    )
      throw new TemplateError(
        `${context.stackName}/${context.logicalId}: Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role. (InvalidDefinition)`,
      );
    const logging = properties.LoggingConfiguration as
      | { Level?: string; IncludeExecutionData?: boolean }
      | undefined;
    const loggingConfiguration = logging
      ? { level: logging.Level ?? 'OFF', includeExecutionData: logging.IncludeExecutionData === true }
      : undefined;
    if (context.previous)
      await edge(context.runtime.states, 'UpdateStateMachine', {
        stateMachineArn: machineArn,
        definition,
        roleArn: properties.RoleArn,
        loggingConfiguration,
      });
    else
      await edge(context.runtime.states, 'CreateStateMachine', {
        name,
        definition,
        roleArn: properties.RoleArn,
        type: properties.StateMachineType ?? 'STANDARD',
        loggingConfiguration,
      });
    return { physicalId: machineArn, attributes: { Arn: machineArn, Name: name } };
  },
  async remove(resource, context) {
    await edge(context.runtime.states, 'DeleteStateMachine', {
      stateMachineArn: resource.physicalId,
    });
  },
};

const lambdaFunction: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(properties.FunctionName ?? context.previous?.physicalId ?? context.generatedName(64));
    const handler = String(properties.Handler ?? 'index.handler');
    const separator = handler.lastIndexOf('.');
    const functionArn = arn('lambda', context, `function:${name}`);
    const existing = context.runtime.lambda.functionDefinition(name);
    if (
      typeof properties.Role === 'string' &&
      context.runtime.iam.registry.trusts(properties.Role, ['lambda.amazonaws.com'], functionArn) === false
    )
      throw new TemplateError(
        `${context.stackName}/${context.logicalId}: The role defined for the function cannot be assumed by Lambda. (InvalidParameterValueException)`,
      );
    await context.runtime.lambda.registerFunction({
      name,
      arn: functionArn,
      modulePath: path.join(
        context.assetPath(properties.Code as Record<string, unknown>),
        `${handler.slice(0, separator)}.js`,
      ),
      exportName: handler.slice(separator + 1),
      environment: ((properties.Environment as { Variables?: Record<string, string> } | undefined)
        ?.Variables ?? {}) as Record<string, string>,
      timeoutSec: Number(properties.Timeout ?? 3),
      memoryMiB: Number(properties.MemorySize ?? 128),
      reservedConcurrency:
        properties.ReservedConcurrentExecutions === undefined
          ? undefined
          : Number(properties.ReservedConcurrentExecutions),
      async: existing?.async,
      // Lambda runs the function as its execution role, under a session named after the function.
      roleCredentials:
        typeof properties.Role === 'string' && context.runtime.iam.registry.hasRole(properties.Role)
          ? context.runtime.iam.registry.openSession({ roleArn: properties.Role, sessionName: name })
          : undefined,
    });
    const logging = properties.LoggingConfig as { LogGroup?: string } | undefined;
    context.runtime.logs.routeFunction(name, logging?.LogGroup);
    return { physicalId: name, attributes: { Arn: functionArn } };
  },
  async remove(resource, context) {
    await context.runtime.lambda.removeFunction(resource.physicalId);
    context.runtime.logs.routeFunction(resource.physicalId, undefined);
  },
};

const logGroup: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(
      properties.LogGroupName ?? context.previous?.physicalId ?? context.generatedName(512),
    );
    context.runtime.logs.createLogGroup(
      name,
      properties.RetentionInDays === undefined ? undefined : Number(properties.RetentionInDays),
    );
    return { physicalId: name, attributes: { Arn: arn('logs', context, `log-group:${name}:*`) } };
  },
  async remove(resource, context) {
    context.runtime.logs.deleteLogGroup(resource.physicalId);
  },
};

const eventInvokeConfig: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(properties.FunctionName).split(':').at(-1) as string;
    const definition = context.runtime.lambda.functionDefinition(name);
    if (!definition) throw new Error(`${context.logicalId}: function ${name} is not deployed`);
    const destinations = properties.DestinationConfig as
      | { OnFailure?: { Destination?: string }; OnSuccess?: { Destination?: string } }
      | undefined;
    await context.runtime.lambda.registerFunction({
      ...definition,
      async: {
        maximumRetryAttempts:
          properties.MaximumRetryAttempts === undefined ? undefined : Number(properties.MaximumRetryAttempts),
        maximumEventAgeSec:
          properties.MaximumEventAgeInSeconds === undefined
            ? undefined
            : Number(properties.MaximumEventAgeInSeconds),
        onFailureArn: destinations?.OnFailure?.Destination,
        onSuccessArn: destinations?.OnSuccess?.Destination,
      },
    });
    return { physicalId: `${name}-invoke-config`, attributes: {} };
  },
};

const eventSourceMapping: ResourceHandler = {
  async deploy(properties, context) {
    const id = context.previous?.physicalId ?? crypto.randomUUID();
    const functionName = String(properties.FunctionName).split(':').at(-1) as string;
    context.runtime.iam.authorizeEventSourceMapping(
      context.runtime.lambda.functionDefinition(functionName)?.roleCredentials?.accessKeyId,
      String(properties.EventSourceArn),
    );
    context.eventSourceMappings.put(id, {
      queueArn: String(properties.EventSourceArn),
      functionName: String(properties.FunctionName).split(':').at(-1) as string,
      batchSize: Number(properties.BatchSize ?? 10),
      maximumBatchingWindowSec: Number(properties.MaximumBatchingWindowInSeconds ?? 0),
      reportBatchItemFailures: ((properties.FunctionResponseTypes as string[] | undefined) ?? []).includes(
        'ReportBatchItemFailures',
      ),
      enabled: properties.Enabled !== false,
    });
    return { physicalId: id, attributes: { Id: id } };
  },
  async remove(resource, context) {
    context.eventSourceMappings.remove(resource.physicalId);
  },
};

const secret: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(
      properties.Name ?? context.previous?.attributes.Name ?? context.generatedName(256, { short: true }),
    );
    const tags = (properties.Tags as { Key: string; Value: string }[] | undefined) ?? [];
    const attributes = { Name: name, Tags: Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value])) };
    const existing = context.runtime.store.getResource<{ arn: string }>('secret', name);
    // An existing secret keeps its value: a redeploy must not rotate it.
    if (existing) return { physicalId: existing.arn, attributes };
    const generate = properties.GenerateSecretString as { PasswordLength?: number } | undefined;
    const value =
      typeof properties.SecretString === 'string'
        ? properties.SecretString
        : randomBytes(48)
            .toString('base64url')
            .slice(0, generate?.PasswordLength ?? 32);
    const created = context.runtime.secrets.createSecret(
      name,
      value,
      properties.Description as string | undefined,
    );
    return { physicalId: created.ARN, attributes };
  },
  async remove(resource, context) {
    await edge(context.runtime.secrets, 'DeleteSecret', { SecretId: resource.physicalId });
  },
};

const deliveryStream: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(
      properties.DeliveryStreamName ?? context.previous?.physicalId ?? context.generatedName(64),
    );
    if (context.previous)
      await edge(context.runtime.firehose, 'DeleteDeliveryStream', { DeliveryStreamName: name });
    await edge(context.runtime.firehose, 'CreateDeliveryStream', {
      DeliveryStreamName: name,
      DeliveryStreamType: properties.DeliveryStreamType ?? 'DirectPut',
      ExtendedS3DestinationConfiguration:
        properties.ExtendedS3DestinationConfiguration ?? properties.S3DestinationConfiguration,
    });
    return { physicalId: name, attributes: { Arn: arn('firehose', context, `deliverystream/${name}`) } };
  },
  async remove(resource, context) {
    await edge(context.runtime.firehose, 'DeleteDeliveryStream', {
      DeliveryStreamName: resource.physicalId,
    });
  },
};

const schedule: ResourceHandler = {
  // EventBridge Scheduler, served by an EventBridge schedule rule on the default bus.
  async deploy(properties, context) {
    const name = String(
      properties.Name ?? context.previous?.physicalId ?? context.generatedName(64, { short: true }),
    );
    const target = properties.Target as Record<string, unknown>;
    const ruleName = `scheduler-${name}`.slice(0, 64);
    await edge(context.runtime.events, 'PutRule', {
      Name: ruleName,
      ScheduleExpression: properties.ScheduleExpression,
      State: properties.State ?? 'ENABLED',
    });
    await edge(context.runtime.events, 'PutTargets', {
      Rule: ruleName,
      Targets: [
        {
          Id: 'target',
          Arn: target.Arn,
          Input: target.Input,
          RetryPolicy: target.RetryPolicy,
          DeadLetterConfig: target.DeadLetterConfig,
        },
      ],
    });
    return {
      physicalId: name,
      attributes: { Arn: arn('scheduler', context, `schedule/default/${name}`), RuleName: ruleName },
    };
  },
  async remove(resource, context) {
    const ruleName = String(resource.attributes.RuleName);
    await edge(context.runtime.events, 'RemoveTargets', { Rule: ruleName, Ids: ['target'] });
    await edge(context.runtime.events, 'DeleteRule', { Name: ruleName });
  },
};

const httpApi: ResourceHandler = {
  async deploy(properties, context) {
    const id = context.previous?.physicalId ?? randomBytes(5).toString('hex');
    context.apis.putApi(id, String(properties.Name ?? id));
    return { physicalId: id, attributes: { ApiId: id, ApiEndpoint: context.apis.endpoint() } };
  },
  async remove(resource, context) {
    context.apis.removeApi(resource.physicalId);
  },
};

const httpIntegration: ResourceHandler = {
  async deploy(properties, context) {
    const id = context.previous?.physicalId ?? randomBytes(4).toString('hex');
    const uri = String(properties.IntegrationUri ?? '');
    const functionArn = /functions\/(arn:[^/]+)\/invocations/.exec(uri)?.[1] ?? uri;
    context.apis.putIntegration(String(properties.ApiId), id, {
      functionArn,
      payloadFormatVersion: String(properties.PayloadFormatVersion ?? '2.0'),
      timeoutMs: Number(properties.TimeoutInMillis ?? 30_000),
      ...(properties.CredentialsArn ? { credentialsArn: String(properties.CredentialsArn) } : {}),
    });
    return { physicalId: id, attributes: {} };
  },
};

const httpRoute: ResourceHandler = {
  async deploy(properties, context) {
    const id = context.previous?.physicalId ?? randomBytes(4).toString('hex');
    context.apis.putRoute(
      String(properties.ApiId),
      id,
      String(properties.RouteKey),
      String(properties.Target ?? '').replace(/^integrations\//, ''),
    );
    return { physicalId: id, attributes: {} };
  },
  async remove(resource, context) {
    context.apis.removeRoute(resource.physicalId);
  },
};

const httpStage: ResourceHandler = {
  async deploy(properties) {
    return { physicalId: String(properties.StageName ?? '$default'), attributes: {} };
  },
};

const snsTopic: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(
      properties.TopicName ?? context.previous?.attributes.TopicName ?? context.generatedName(256),
    );
    const topic = context.runtime.sns.createTopic(name);
    for (const inline of (properties.Subscription as { Endpoint: string; Protocol: string }[] | undefined) ??
      [])
      context.runtime.sns.subscribe(topic.arn, String(inline.Protocol), String(inline.Endpoint));
    return { physicalId: topic.arn, attributes: { TopicArn: topic.arn, TopicName: name } };
  },
  async remove(resource, context) {
    context.runtime.sns.deleteTopic(resource.physicalId);
  },
};

const snsSubscription: ResourceHandler = {
  async deploy(properties, context) {
    if (context.previous) context.runtime.sns.unsubscribe(context.previous.physicalId);
    const attributes: Record<string, string> = {};
    if (properties.RawMessageDelivery !== undefined)
      attributes.RawMessageDelivery = String(properties.RawMessageDelivery);
    const subscription = context.runtime.sns.subscribe(
      String(properties.TopicArn),
      String(properties.Protocol),
      String(properties.Endpoint ?? ''),
      attributes,
    );
    return { physicalId: subscription.arn, attributes: {} };
  },
  async remove(resource, context) {
    context.runtime.sns.unsubscribe(resource.physicalId);
  },
};

const cloudWatchAlarm: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(properties.AlarmName ?? context.previous?.physicalId ?? context.generatedName(255));
    const alarm = context.runtime.cloudwatch.putMetricAlarm({ ...properties, AlarmName: name });
    return { physicalId: name, attributes: { Arn: alarm.AlarmArn } };
  },
  async remove(resource, context) {
    context.runtime.cloudwatch.deleteAlarm(resource.physicalId);
  },
};

const cloudWatchDashboard: ResourceHandler = {
  async deploy(properties, context) {
    const name = String(
      properties.DashboardName ?? context.previous?.physicalId ?? context.generatedName(255),
    );
    // The body is usually an Fn::Join already resolved to a string; an object is accepted as CloudFormation's is not.
    const body = properties.DashboardBody;
    context.runtime.cloudwatch.putDashboard(
      name,
      typeof body === 'string' ? body : JSON.stringify(body ?? {}),
    );
    return { physicalId: name, attributes: {} };
  },
  async remove(resource, context) {
    context.runtime.cloudwatch.deleteDashboard(resource.physicalId);
  },
};

/** Every resource type the runtime deploys. Others are skipped and reported. */
export const resourceHandlers: Record<string, ResourceHandler> = {
  'AWS::SQS::Queue': sqsQueue,
  'AWS::DynamoDB::Table': dynamoDbTable,
  'AWS::S3::Bucket': s3Bucket,
  'AWS::Events::EventBus': eventBus,
  'AWS::Events::Rule': eventRule,
  'AWS::Events::Archive': eventArchive,
  'AWS::Glue::Database': glueDatabase,
  'AWS::Glue::Table': glueTable,
  'AWS::Athena::WorkGroup': athenaWorkGroup,
  'AWS::StepFunctions::StateMachine': stateMachine,
  'AWS::Lambda::Function': lambdaFunction,
  'AWS::Lambda::EventInvokeConfig': eventInvokeConfig,
  'AWS::Lambda::EventSourceMapping': eventSourceMapping,
  'AWS::SecretsManager::Secret': secret,
  'AWS::KinesisFirehose::DeliveryStream': deliveryStream,
  'AWS::Scheduler::Schedule': schedule,
  'AWS::ApiGatewayV2::Api': httpApi,
  'AWS::ApiGatewayV2::Integration': httpIntegration,
  'AWS::ApiGatewayV2::Route': httpRoute,
  'AWS::ApiGatewayV2::Stage': httpStage,
  'AWS::SNS::Topic': snsTopic,
  'AWS::SNS::Subscription': snsSubscription,
  'AWS::CloudWatch::Alarm': cloudWatchAlarm,
  'AWS::CloudWatch::Dashboard': cloudWatchDashboard,
  'AWS::Logs::LogGroup': logGroup,
  ...eventSchemasResourceHandlers,
  ...iamResourceHandlers,
};

/** Ref and Fn::GetAtt values of skipped resources (roles, log groups, policies): references to them must still resolve. */
export function placeholderResource(
  type: string,
  logicalId: string,
  context: { stackName: string; accountId: string; region: string },
): DeployedResource {
  const name = `${context.stackName}-${logicalId}`;
  const [, service = 'unknown', kind = 'resource'] = type.split('::').map((part) => part.toLowerCase());
  const arnValue =
    service === 'iam'
      ? `arn:aws:iam::${context.accountId}:${kind}/${name}`
      : service === 'logs'
        ? `arn:aws:logs:${context.region}:${context.accountId}:log-group:${name}:*`
        : `arn:aws:${service}:${context.region}:${context.accountId}:${kind}/${name}`;
  return { type, physicalId: name, attributes: { Arn: arnValue, RoleId: name }, hash: '', retain: false };
}
