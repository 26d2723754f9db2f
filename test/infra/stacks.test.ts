import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { canonicalCatalog } from '../../functions/shared/generated/catalog';
import { warehouseModels } from '../../functions/shared/warehouse/models';
import { buildApp } from '../../infra/app';
import { type StageConfig, stageConfig } from '../../infra/config/stage-config';
import { StatefulStack } from '../../infra/stacks/stateful-stack';
import { StatelessStack } from '../../infra/stacks/stateless-stack';

// Bundling (esbuild) is exercised by `npm run synth`; these tests look at the templates only.
function synthesize(stage: string) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildApp(app, stage, '123456789012');
  return {
    app,
    stateful: Template.fromStack(stacks.stateful),
    stateless: Template.fromStack(stacks.stateless),
  };
}

describe('StatefulStack', () => {
  const { stateful } = synthesize('prod');

  it('creates the stage bus with an archive of every event', () => {
    stateful.hasResourceProperties('AWS::Events::EventBus', { Name: 'concord-prod' });
    stateful.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 400 });
  });

  it('creates the dedupe table on demand with TTL, point-in-time recovery and encryption', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('keeps the raw archive encrypted, versioned, private and tiered by age', () => {
    stateful.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            ExpirationInDays: 2555,
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
            ],
          }),
        ],
      },
    });
  });

  it('retains data resources in prod', () => {
    const tables = stateful.findResources('AWS::DynamoDB::Table');
    expect(Object.values(tables).map((table) => table.DeletionPolicy)).toEqual([
      'Retain',
      'Retain',
      'Retain',
      'Retain',
    ]);
  });

  it('creates one webhook secret per registered source, the ERP credentials secret and one per platform API', () => {
    stateful.resourceCountIs('AWS::SecretsManager::Secret', 10);
  });

  it('keeps the platform credentials in secrets with generated placeholders, never a value in the template', () => {
    // Assess
    for (const [description, platform] of [
      [Match.stringLikeRegexp('HiBob service user'), 'hibob'],
      [Match.stringLikeRegexp('Shopify Admin API access token'), 'shopify'],
      [Match.stringLikeRegexp('Spendesk API token'), 'spendesk'],
    ] as const) {
      const secrets = stateful.findResources('AWS::SecretsManager::Secret', {
        Properties: { Description: description },
      });
      expect(Object.values(secrets)).toHaveLength(1);
      const [secret] = Object.values(secrets);
      expect(secret?.Properties.SecretString).toBeUndefined();
      expect(secret?.Properties.GenerateSecretString).toBeDefined();
      expect(secret?.Properties.Tags).toEqual(
        expect.arrayContaining([{ Key: 'concord:platform-credentials', Value: platform }]),
      );
    }
  });

  it('lets exactly the function that calls each platform API read its credentials', () => {
    // Prepare
    const { stateless } = synthesize('prod');
    const readersOf = (secretId: string) =>
      Object.values(stateless.findResources('AWS::IAM::Policy'))
        .filter((policy) =>
          (policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).some(
            (statement) =>
              [statement.Action].flat().includes('secretsmanager:GetSecretValue') &&
              JSON.stringify(statement.Resource).includes(secretId),
          ),
        )
        .flatMap((policy) =>
          (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref.replace(/Role.*$/, '')),
        )
        .sort();
    // Assess
    expect(readersOf('HibobServiceUser')).toEqual(['HrisReader']);
    expect(readersOf('ShopifyAdminApiToken')).toEqual(['ItemWriteBack']);
  });

  it('lets exactly the functions that call the ERP read its credentials', () => {
    // Prepare
    const { stateless } = synthesize('prod');
    const readers = Object.values(stateless.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).some(
          (statement) =>
            [statement.Action].flat().includes('secretsmanager:GetSecretValue') &&
            JSON.stringify(statement.Resource).includes('ErpCredentials'),
        ),
      )
      .flatMap((policy) =>
        (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref.replace(/Role.*$/, '')),
      )
      .sort();
    // Assess
    expect(readers).toEqual(['ErpAdapter', 'ErpOutboxRelay', 'ItemWriteBack', 'Reconcile']);
  });

  it('archives raw webhooks through an encrypted Firehose stream, gzipped, with a role that can only add objects', () => {
    stateful.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'raw/stream/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 5 },
      }),
    });
    const deliveryPolicies = Object.values(stateful.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy).includes('s3:AbortMultipartUpload'),
    );
    const actions = deliveryPolicies.flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap(
        (statement) => statement.Action,
      ),
    );
    expect(actions.filter((action) => /Delete|Get(Object)/.test(action))).toEqual([]);
  });

  it('declares the warehouse to Glue: the events table by partition projection, raw_events and every model as views', () => {
    stateful.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'concord_prod' } });
    const tables = Object.values(stateful.findResources('AWS::Glue::Table')).map(
      (table) => table.Properties.TableInput,
    );
    const events = tables.find((table) => table.Name === 'events');
    expect(events.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.event_type.values': Object.keys(canonicalCatalog).sort().join(','),
      'projection.event_date.format': 'yyyy-MM-dd',
    });
    expect(events.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.openx.data.jsonserde.JsonSerDe',
    );
    expect(events.PartitionKeys.map((key: { Name: string }) => key.Name)).toEqual([
      'event_type',
      'event_date',
    ]);
    const views = tables.filter((table) => table.TableType === 'VIRTUAL_VIEW');
    expect(views.map((view) => view.Name)).toEqual([
      'raw_events',
      ...warehouseModels.map((model) => model.name),
    ]);
    for (const model of warehouseModels) {
      const view = views.find((candidate) => candidate.Name === model.name);
      const encoded = /^\/\* Presto View: (.+) \*\/$/.exec(view.ViewOriginalText)?.[1] as string;
      const definition = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
      expect(definition).toMatchObject({
        originalSql: model.sql,
        catalog: 'awsdatacatalog',
        schema: 'concord_prod',
      });
      expect(definition.columns.map((column: { name: string }) => column.name)).toEqual(
        model.columns.map((column) => column.name),
      );
    }
  });

  it('runs warehouse queries in a workgroup that keeps results in the bucket and stops a runaway scan', () => {
    stateful.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'concord-prod',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 100 * 1024 ** 3,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
  });

  it('pins the logical ids of stateful resources, whose change would replace them and lose data', () => {
    // A failure here means a rename: keep the old id (overrideLogicalId) or plan a migration.
    const statefulTypes = [
      'AWS::SQS::Queue',
      'AWS::Events::EventBus',
      'AWS::Events::Archive',
      'AWS::DynamoDB::Table',
      'AWS::S3::Bucket',
      'AWS::SecretsManager::Secret',
      // Holds records it has not delivered yet.
      'AWS::KinesisFirehose::DeliveryStream',
      // Its subscribers confirmed it: a new topic would need every email and endpoint to confirm again.
      'AWS::SNS::Topic',
    ];
    const ids = Object.entries(stateful.toJSON().Resources as Record<string, { Type: string }>)
      .filter(([, resource]) => statefulTypes.includes(resource.Type))
      .map(([id, resource]) => `${resource.Type} ${id}`)
      .sort();
    expect(ids).toEqual([
      'AWS::DynamoDB::Table DedupeTableBA3ED9BF',
      'AWS::DynamoDB::Table IdempotencyTable22A5A209',
      'AWS::DynamoDB::Table OpsAuditTable366086C5',
      'AWS::DynamoDB::Table VersionTable780A7FFE',
      'AWS::Events::Archive BusArchiveD85DECCD',
      'AWS::Events::EventBus BusEA82B648',
      'AWS::KinesisFirehose::DeliveryStream RawArchiveStream25BAA6D5',
      'AWS::KinesisFirehose::DeliveryStream WarehouseEventsStreamAA56DE40',
      'AWS::S3::Bucket AccessLogBucketDA470295',
      'AWS::S3::Bucket QuarantineBucketFDBDA180',
      'AWS::S3::Bucket RawArchiveBucket5791F78D',
      'AWS::S3::Bucket WarehouseBucket0E783396',
      'AWS::SNS::Topic AlarmTopicB56431CA',
      'AWS::SQS::Queue ExceptionsQueue11F5B242',
      'AWS::SQS::Queue ParkingQueue949A420A',
      'AWS::SQS::Queue WorkflowRedriveDlq39AAD871',
      'AWS::SQS::Queue WorkflowRedriveQueue0567B2D7',
      'AWS::SecretsManager::Secret ErpCredentialsB14F9BB9',
      'AWS::SecretsManager::Secret HibobServiceUserE29B09E9',
      'AWS::SecretsManager::Secret ShopifyAdminApiToken6356DEB4',
      'AWS::SecretsManager::Secret SpendeskApiTokenEFD54F62',
      'AWS::SecretsManager::Secret WebhookSecretbillinghub29758DE0',
      'AWS::SecretsManager::Secret WebhookSecrethibobE41AC6A6',
      'AWS::SecretsManager::Secret WebhookSecrethubspot37FB4C6F',
      'AWS::SecretsManager::Secret WebhookSecretshopifyE5643090',
      'AWS::SecretsManager::Secret WebhookSecretspendesk79C85055',
      'AWS::SecretsManager::Secret WebhookSecretstripe18F322E3',
    ]);
  });
});

describe('StatelessStack', () => {
  const { stateless } = synthesize('prod');

  it('runs ingest on nodejs22.x arm64 with tracing and its configuration', () => {
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'ingest-webhook',
          EVENT_BUS_NAME: Match.anyValue(),
          DEDUPE_TABLE_NAME: Match.anyValue(),
          ARCHIVE_BUCKET_NAME: Match.anyValue(),
          QUARANTINE_BUCKET_NAME: Match.anyValue(),
          WEBHOOK_SECRET_IDS: Match.anyValue(),
          MAX_BODY_BYTES: '1048576',
          IN_PROGRESS_SEC: '60',
          // Shopify secrets must be bound per shop: a flat list is a configuration error in prod.
          ACCEPT_UNBOUND_SENDER_SECRETS: 'false',
        }),
      },
    });
  });

  it('routes POST /webhooks/{source} to the ingest function with payload format 2.0', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/{source}' });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('logs API access and throttles the stage', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue() },
      DefaultRouteSettings: { ThrottlingRateLimit: 2000, ThrottlingBurstLimit: 5000 },
    });
  });

  it('keeps log groups for the stage retention', () => {
    stateless.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('grants no wildcard action and no managed AWS policy', () => {
    // Prepare
    const policies = [
      ...Object.values(stateless.findResources('AWS::IAM::Policy')),
      ...Object.values(synthesize('prod').stateful.findResources('AWS::IAM::ManagedPolicy')),
    ];
    const actions = policies.flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((statement) =>
        [statement.Action].flat(),
      ),
    );
    // Assess
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    const roles = Object.values(stateless.findResources('AWS::IAM::Role'));
    expect(JSON.stringify(roles)).not.toContain('arn:aws:iam::aws:policy');
  });

  it('reconciles the previous day at 03:00 UTC with the warehouse query policy, and alarms on any mismatch', () => {
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'reconcile',
          ATHENA_WORKGROUP: 'concord-prod',
          WAREHOUSE_DATABASE: 'concord_prod',
          ALLOWED_LAG_MS: '600000',
        }),
      },
    });
    stateless.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue() })],
    });
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Concord',
      MetricName: 'ReconciliationMismatches',
      Dimensions: [{ Name: 'stage', Value: 'prod' }],
      Threshold: 1,
    });
    const reconcileRole = Object.values(stateless.findResources('AWS::IAM::Role')).find((role) =>
      JSON.stringify(role).includes('WarehouseCatalogQueryPolicy'),
    );
    expect(reconcileRole).toBeDefined();
  });

  it('loads governance events into the warehouse beside the canonical and ERP ones', () => {
    stateless.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['concord.ingest', 'concord.erp', 'concord.governance'] },
    });
  });

  it('scopes PutEvents to the stage bus', () => {
    stateless.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'events:PutEvents',
            Resource: Match.objectLike({ 'Fn::ImportValue': Match.anyValue() }),
          }),
        ]),
      },
    });
  });
});

describe('StatelessStack (workflows)', () => {
  const { stateful, stateless } = synthesize('prod');

  it('runs order-to-cash as an Express workflow with logs and tracing, invoking exactly its two functions', () => {
    stateless.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR' }),
      DefinitionSubstitutions: {
        ErpAdapterFunctionArn: Match.anyValue(),
        VersionGateFunctionArn: Match.anyValue(),
        ExceptionsQueueUrl: Match.anyValue(),
      },
    });
  });

  it('routes placed orders and credit releases to it with a retry policy and a dead-letter queue', () => {
    stateless.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['concord.ingest', 'concord.erp'],
        'detail-type': [
          'commerce.order.placed.v1',
          'commerce.order.amended.v1',
          'commerce.order.cancelled.v1',
          'erp.order.credit-released.v1',
        ],
      },
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
  });

  it('routes captured and refunded payments to payment-application, which invokes only the ERP adapter', () => {
    stateless.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['concord.ingest'],
        'detail-type': ['billing.payment.succeeded.v1', 'billing.payment.refunded.v1'],
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^PaymentApplicationStateMachine') },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    stateless.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      DefinitionSubstitutions: {
        ErpAdapterFunctionArn: Match.anyValue(),
        ExceptionsQueueUrl: Match.anyValue(),
      },
    });
  });

  it('routes CRM customer changes to customer-sync', () => {
    stateless.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['concord.ingest'], 'detail-type': ['crm.customer.upserted.v1'] },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^CustomerSyncStateMachine') } })],
    });
  });

  it('writes ERP answers with an origin back to platforms, keeping failed writes in a dead-letter queue', () => {
    stateless.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['concord.erp'],
        'detail-type': [
          'erp.order.accepted.v1',
          'erp.order.credit-held.v1',
          'erp.invoice.posted.v1',
          'erp.customer.synced.v1',
        ],
        detail: { origin: [{ exists: true }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WriteBackFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WriteBackDlq'), 'Arn'] } },
        }),
      ],
    });
    stateless.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^WriteBackFunction') },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WriteBackDlq'), 'Arn'] } },
      },
    });
  });

  it('gives every event-driven workflow a rule, one per flow; order validation is started by the API only', () => {
    const machines = Object.keys(stateless.findResources('AWS::StepFunctions::StateMachine'));
    const targeted = Object.values(stateless.findResources('AWS::Events::Rule')).flatMap((rule) =>
      (rule.Properties.Targets as { Arn: { Ref?: string } }[]).map((target) => target.Arn.Ref),
    );
    const eventDriven = machines.filter((machine) => !machine.startsWith('OrderValidation'));
    expect(eventDriven.length).toBe(6);
    const rulesTargeting = (machine: string) => targeted.filter((ref) => ref === machine).length;
    expect(eventDriven.map((machine) => [machine, rulesTargeting(machine)])).toEqual(
      eventDriven.map((machine) => [machine, 1]),
    );
    expect(targeted.filter((ref) => ref?.startsWith('OrderValidation'))).toEqual([]);
  });

  it('serves POST /orders/validate with IAM auth through a function that may only start order validation synchronously', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /orders/validate',
      AuthorizationType: 'AWS_IAM',
    });
    stateless.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'states:StartSyncExecution',
            Resource: { Ref: Match.stringLikeRegexp('^OrderValidationStateMachine') },
          }),
        ]),
      },
    });
  });

  it('logs no execution data of any workflow in prod: the exceptions queue keeps the failed case with its data', () => {
    // Prepare
    const stateMachines = Object.values(stateless.findResources('AWS::StepFunctions::StateMachine'));
    // Assess
    expect(stateMachines).toHaveLength(7);
    expect(
      stateMachines.map((machine) => ({
        level: machine.Properties.LoggingConfiguration.Level,
        includeExecutionData: machine.Properties.LoggingConfiguration.IncludeExecutionData,
      })),
    ).toEqual(Array(7).fill({ level: 'ERROR', includeExecutionData: false }));
  });

  it.each([
    ['local', true],
    ['dev', true],
    ['staging', false],
  ])('logs execution data of the %s stage only as its stage config says (%s)', (stage, included) => {
    // Prepare
    const template = synthesize(stage).stateless;
    // Act
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    // Assess
    expect(machines.map((machine) => machine.Properties.LoggingConfiguration.IncludeExecutionData)).toEqual(
      Array(machines.length).fill(included),
    );
    expect(stageConfig(stage).workflowLogs.includeExecutionData).toBe(included);
  });

  it('alarms on timed-out executions of every workflow, the one failure a Catch cannot record', () => {
    const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties.MetricName === 'ExecutionsTimedOut',
    );
    expect(alarms).toHaveLength(7);
    expect(alarms.map(({ Properties: { Namespace, Threshold } }) => ({ Namespace, Threshold }))).toEqual(
      Array(alarms.length).fill({ Namespace: 'AWS/States', Threshold: 1 }),
    );
  });

  it('gives every async function an on-failure destination, and every dead-letter queue its two alarms', () => {
    const functions = stateless.findResources('AWS::Lambda::Function');
    const asyncFunctions = Object.values(stateless.findResources('AWS::Events::Rule')).flatMap((rule) =>
      (rule.Properties.Targets as { Arn: { 'Fn::GetAtt'?: string[] } }[])
        .map((target) => target.Arn['Fn::GetAtt']?.[0])
        .filter((id): id is string => Boolean(id && functions[id])),
    );
    const configs = Object.values(stateless.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(asyncFunctions.length).toBeGreaterThan(0);
    const withoutDestination = asyncFunctions.filter(
      (functionId) =>
        !configs.some(
          (config) =>
            config.Properties.FunctionName.Ref === functionId &&
            config.Properties.DestinationConfig?.OnFailure,
        ),
    );
    expect(withoutDestination).toEqual([]);
    // Work queues (the item write-back's) redrive to a dead-letter queue; the dead-letter queues are the alarmed ones.
    const queues = Object.entries(stateless.findResources('AWS::SQS::Queue'))
      .filter(([, queue]) => !queue.Properties?.RedrivePolicy)
      .map(([id]) => id);
    const alarmedQueues = Object.values(stateless.findResources('AWS::CloudWatch::Alarm'))
      .filter((alarm) => alarm.Properties.Namespace === 'AWS/SQS')
      .map(
        (alarm) =>
          (alarm.Properties.Dimensions as { Value: { 'Fn::GetAtt': string[] } }[])[0]?.Value['Fn::GetAtt'][0],
      );
    for (const queue of queues) expect(alarmedQueues.filter((id) => id === queue)).toHaveLength(2);
  });

  it('lets the replay function read and delete only the dead-letter queues and the exceptions queue', () => {
    const statements = Object.values(stateless.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown[] }[],
    );
    // The workflow redrive and the item write-back consume their own queues; every other delete is the replay's.
    const deleting = statements.filter(
      (candidate) =>
        [candidate.Action].flat().includes('sqs:DeleteMessage') &&
        !JSON.stringify(candidate.Resource).includes('WorkflowRedriveQueue') &&
        !JSON.stringify(candidate.Resource).includes('ItemWriteBackQueue'),
    );
    const [statement] = deleting;
    expect(deleting).toHaveLength(1);
    // This stack's dead-letter queues, the exceptions queue and the parking queue.
    const deadLetterQueues = Object.values(stateless.findResources('AWS::SQS::Queue')).filter(
      (queue) => !queue.Properties?.RedrivePolicy,
    );
    expect(statement?.Resource).toHaveLength(deadLetterQueues.length + 2);
  });

  it('lets the replay function reach only the targets of this stack that a dead letter can record', () => {
    // Prepare
    const replayPolicies = Object.values(stateless.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref.startsWith('ReplayRole')),
    );
    const statements = replayPolicies.flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown }[],
    );
    const resourcesOf = (action: string) =>
      statements
        .filter((candidate) => [candidate.Action].flat().includes(action))
        .flatMap((candidate) => [candidate.Resource].flat());
    // Act
    const started = resourcesOf('states:StartExecution');
    const invoked = resourcesOf('lambda:InvokeFunction');
    const listed = resourcesOf('events:ListTargetsByRule');
    const put = resourcesOf('firehose:PutRecord');
    // Assess: the routed workflows, the functions rules and destinations invoke, this stack's rules, the warehouse.
    expect(started).toHaveLength(6);
    expect(started.filter((arn) => !JSON.stringify(arn).includes('StateMachine'))).toEqual([]);
    expect(invoked.map((arn) => (arn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]).sort()).toEqual([
      expect.stringMatching(/^ErpOutboxRelay/),
      expect.stringMatching(/^PurchaseOrderWriteBack/),
      expect.stringMatching(/^Reconcile/),
      expect.stringMatching(/^WriteBack/),
    ]);
    expect(listed).toHaveLength(Object.keys(stateless.findResources('AWS::Events::Rule')).length);
    expect(put).toHaveLength(1);
    expect(JSON.stringify([...started, ...invoked, ...listed, ...put])).not.toContain('*');
  });

  it('bounds the calls in flight to the ERP by the stage config, and redrives deferred transactions from their queue', () => {
    // Assess: the ERP adapter's reserved concurrency, and the redrive function starting exactly the three workflows
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 25,
    });
    const redrivePolicies = Object.values(stateless.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) =>
        role.Ref.startsWith('WorkflowRedriveRole'),
      ),
    );
    const started = redrivePolicies
      .flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
      )
      .filter((statement) => [statement.Action].flat().includes('states:StartExecution'))
      .flatMap((statement) => [statement.Resource].flat());
    expect(started).toHaveLength(6);
    expect(JSON.stringify(started)).not.toContain('*');
    stateful.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 60,
      RedrivePolicy: { maxReceiveCount: 5 },
    });
  });

  it('gives every queue a function consumes a redrive policy to a dead-letter queue of its own', () => {
    // Prepare
    const queues = {
      ...stateful.findResources('AWS::SQS::Queue'),
      ...stateless.findResources('AWS::SQS::Queue'),
    };
    // Logical ids end in an 8-hex-digit hash of the construct path; the rows name constructs without it.
    const construct = (logicalId: string | undefined) => logicalId?.replace(/[0-9A-F]{8}$/, '');
    // Act: each mapping as consumer, queue and where the queue's failed messages go.
    const mappings = {
      ...stateful.findResources('AWS::Lambda::EventSourceMapping'),
      ...stateless.findResources('AWS::Lambda::EventSourceMapping'),
    };
    const consumed = Object.values(mappings).map((mapping) => {
      // A queue of this stack by GetAtt, one of the stateful stack's through its export's name.
      const source = mapping.Properties.EventSourceArn as {
        'Fn::GetAtt'?: string[];
        'Fn::ImportValue'?: string;
      };
      const queueId =
        source['Fn::GetAtt']?.[0] ??
        Object.keys(queues).find((id) => source['Fn::ImportValue']?.includes(`FnGetAtt${id}Arn`));
      const redrive = queueId
        ? (queues[queueId]?.Properties.RedrivePolicy as
            | { deadLetterTargetArn: { 'Fn::GetAtt': string[] } }
            | undefined)
        : undefined;
      return {
        consumer: construct((mapping.Properties.FunctionName as { Ref: string }).Ref),
        queue: construct(queueId) ?? JSON.stringify(source),
        deadLetters: construct(redrive?.deadLetterTargetArn['Fn::GetAtt'][0]),
      };
    });
    // Assess: the workflow redrive and the item write-back are the stacks' queue consumers.
    expect(consumed.sort((a, b) => String(a.consumer).localeCompare(String(b.consumer)))).toEqual([
      { consumer: 'ItemWriteBackFunction', queue: 'ItemWriteBackQueue', deadLetters: 'ItemWriteBackDlq' },
      {
        consumer: 'WorkflowRedriveFunction',
        queue: 'WorkflowRedriveQueue',
        deadLetters: 'WorkflowRedriveDlq',
      },
    ]);
  });

  it('gives every rule target a dead-letter queue', () => {
    const rules = Object.values(stateless.findResources('AWS::Events::Rule'));
    const targets = rules.flatMap((rule) => rule.Properties.Targets as { DeadLetterConfig?: unknown }[]);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => !target.DeadLetterConfig)).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each(['local', 'dev', 'staging', 'prod'])(
    'synthesizes the %s stage with no unacknowledged finding',
    (stage) => {
      const { app } = synthesize(stage);
      expect(() => app.synth()).not.toThrow();
    },
  );

  it('fails synthesis on an unacknowledged finding', () => {
    // Prepare: a bucket without encryption, access logs or TLS enforcement.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    buildApp(app, 'dev', '123456789012');
    new Bucket(new Stack(app, 'Careless'), 'Open');
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // Act
    let message = '';
    try {
      app.synth();
    } catch (error) {
      message = (error as Error).message;
    } finally {
      stderr.mockRestore();
    }
    // Assess
    const reportPath = /found in: (\S+)/.exec(message)?.[1] ?? '';
    const report = readFileSync(reportPath, 'utf8');
    expect(report).toContain('AwsSolutions-S1');
    expect(report).toContain('Careless/Open/Resource');
  });
});

describe('StatelessStack (platform settings)', () => {
  /** Synthesizes both stacks of a stage config given as data, as `buildApp` would. */
  function synthesizeConfig(config: StageConfig) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stateful = new StatefulStack(app, 'Stateful', { config });
    return new StatelessStack(app, 'Stateless', { config, stateful: stateful.resources });
  }
  const prod = stageConfig('prod');

  it("passes the stage's HiBob and Shopify settings and secret ids to the functions, no credential value", () => {
    // Prepare
    const { stateless } = synthesize('prod');
    // Assess
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          HIBOB_API_URL: prod.platforms?.hibob?.apiUrl,
          HIBOB_COST_CENTRE_FIELD_ID: prod.platforms?.hibob?.costCentreFieldId,
          HIBOB_SERVICE_USER_SECRET_ID: { 'Fn::ImportValue': Match.stringLikeRegexp('RefHibobServiceUser') },
        }),
      },
    });
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SHOPIFY_ADMIN_API_URL: `${prod.platforms?.shopify?.shopUrl}/admin/api/2025-01`,
          SHOPIFY_ACCESS_TOKEN_SECRET_ID: {
            'Fn::ImportValue': Match.stringLikeRegexp('RefShopifyAdminApiToken'),
          },
        }),
      },
    });
    const variables = JSON.stringify(
      Object.values(stateless.findResources('AWS::Lambda::Function'))
        .map((fn) => fn.Properties.Environment?.Variables ?? {})
        .filter((env) => ['hris-reader', 'write-back/items'].includes(env.POWERTOOLS_SERVICE_NAME)),
    );
    expect(variables).toContain('HIBOB_API_URL');
    expect(variables).not.toMatch(/HIBOB_SERVICE_USER_TOKEN|SHOPIFY_ACCESS_TOKEN"|sandbox-stand-in/);
  });

  it.each([
    [
      'platforms.hibob.costCentreFieldId',
      { ...prod, platforms: { ...prod.platforms, hibob: { apiUrl: 'https://api.hibob.com/v1' } } },
    ],
    ['platforms.hibob.apiUrl', { ...prod, platforms: undefined }],
    [
      'platforms.shopify.shopUrl',
      { ...prod, platforms: { ...prod.platforms, shopify: { ...prod.platforms?.shopify, shopUrl: '' } } },
    ],
    ['platforms.spendesk.apiUrl', { ...prod, platforms: { ...prod.platforms, spendesk: {} } }],
  ])('fails synthesis of a non-local stage that lacks %s, naming it', (key, config) => {
    // Act / Assess
    expect(() => synthesizeConfig(config as StageConfig)).toThrow(
      new RegExp(`Stage "prod" lacks ${key.replaceAll('.', '\\.')}`),
    );
  });

  it("passes the stage's Spendesk API and its token secret id to the purchase-order write-back", () => {
    // Prepare
    const { stateless } = synthesize('prod');
    // Assess
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SPENDESK_API_URL: prod.platforms?.spendesk?.apiUrl,
          SPENDESK_API_TOKEN_SECRET_ID: { 'Fn::ImportValue': Match.stringLikeRegexp('RefSpendeskApiToken') },
        }),
      },
    });
    // Never the sandbox's stand-in outside local, wherever the stage's ERP is.
    expect(JSON.stringify(stateless.toJSON())).not.toContain('/spendesk/v1');
  });

  it('fails synthesis of a non-local stage whose Spendesk API is not https', () => {
    // Prepare
    const config = {
      ...prod,
      platforms: { ...prod.platforms, spendesk: { apiUrl: 'http://api.spendesk.com/v1' } },
    };
    // Act / Assess
    expect(() => synthesizeConfig(config)).toThrow(
      'Stage "prod": platforms.spendesk.apiUrl "http://api.spendesk.com/v1" must be an https:// URL',
    );
  });

  it('fails synthesis of a non-local stage whose platform URL is not https', () => {
    // Prepare
    const config = {
      ...prod,
      platforms: {
        ...prod.platforms,
        hibob: { ...prod.platforms?.hibob, apiUrl: 'http://api.hibob.com/v1' },
      },
    };
    // Act / Assess
    expect(() => synthesizeConfig(config)).toThrow(
      'Stage "prod": platforms.hibob.apiUrl "http://api.hibob.com/v1" must be an https:// URL',
    );
  });

  it("points the local stage at the ERP sandbox's stand-ins, where `concord dev` runs it", () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { stateless } = buildApp(app, 'local', '000000000000', 'http://127.0.0.1:4999');
    const template = Template.fromStack(stateless);
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HIBOB_API_URL: 'http://127.0.0.1:4999/hibob/v1' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SHOPIFY_ADMIN_API_URL: 'http://127.0.0.1:4999/shopify/admin/api/2025-01',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SPENDESK_API_URL: 'http://127.0.0.1:4999/spendesk/v1' }) },
    });
  });
});

describe('stageConfig', () => {
  it('rejects an unknown stage naming the valid ones', () => {
    expect(() => stageConfig('qa')).toThrow(
      'Unknown stage "qa": use one of local, dev, staging, prod (-c stage=…)',
    );
  });
});
