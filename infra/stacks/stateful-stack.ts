/** The stateful stack: what holds data and must survive a redeploy (bus, tables, buckets, secrets). Logical ids are pinned by a test. */
import { Duration, Size, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import { AlarmBase, type IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, type ITable, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  AppendDelimiterToRecordProcessor,
  Compression,
  DeliveryStream,
  type IDeliveryStream,
  MetadataExtractionProcessor,
  S3Bucket,
  StreamEncryption,
} from 'aws-cdk-lib/aws-kinesisfirehose';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { erpCredentialsSecretTag } from '../../functions/shared/erp/erp-credentials';
import {
  type CredentialedPlatform,
  platformCredentialsSecretTag,
} from '../../functions/shared/secrets/platform-credentials';
import { registeredSourceNames, webhookSourceTag } from '../../functions/shared/sources/source-registry';
import type { StageConfig } from '../config/stage-config';
import { AlarmTopic } from '../constructs/alarm-topic';
import { BucketPrefixWriter } from '../constructs/bucket-prefix-writer';
import { EventSchemaRegistry } from '../constructs/event-schema-registry';
import { alarmOnFailures } from '../constructs/failure-alarms';
import { alarmOnMismatchAge, alarmOnWarehouseFreshness } from '../constructs/slo-alarms';
import { WarehouseCatalog } from '../constructs/warehouse-catalog';

/** Props of the stateful stack. */
export interface StatefulStackProps extends StackProps {
  /** What the stage decides: names, retention, removal policy, alarm subscribers. */
  readonly config: StageConfig;
}

/**
 * What the stateless stack binds to, handed over as resources rather than as the stack (`StatefulStack.resources`):
 * only these cross the stack boundary, each as a CloudFormation export.
 */
export interface StatefulResources {
  /** The stage bus every event is published to. */
  readonly bus: IEventBus;
  /** Delivery ids the ingest edge has seen, for deduplication. */
  readonly dedupeTable: ITable;
  /** One secret per webhook source, by source name. */
  readonly webhookSecrets: Readonly<Record<string, ISecret>>;
  /** Concord's API key at the ERP. */
  readonly erpCredentials: ISecret;
  /** Concord's credentials at each platform API it calls. */
  readonly platformCredentials: Readonly<Record<CredentialedPlatform, ISecret>>;
  /** The raw archive's Firehose stream, which the ingest edge writes to. */
  readonly rawArchiveStream: IDeliveryStream;
  /** PutObject under raw/ of the archive. */
  readonly rawArchiveWriter: BucketPrefixWriter;
  /** PutObject under quarantine/ of the quarantine bucket. */
  readonly quarantineWriter: BucketPrefixWriter;
  /** Powertools idempotency records of the ERP adapters. */
  readonly idempotencyTable: ITable;
  /** The per-entity version gate. */
  readonly versionTable: ITable;
  /** Failed business transactions with the context to replay them. */
  readonly exceptionsQueue: IQueue;
  /** Requests to start a deferred transaction's execution that failed five times. */
  readonly redriveDeadLetterQueue: IQueue;
  /** Transactions a workflow deferred, delayed until their next execution. */
  readonly redriveQueue: IQueue;
  /** The warehouse's Firehose stream. */
  readonly warehouseStream: IDeliveryStream;
  /** Glue database, tables and model views, and the Athena workgroup. */
  readonly warehouseCatalog: WarehouseCatalog;
  /** PutObject under reconciliations/ of the warehouse bucket. */
  readonly reconciliationWriter: BucketPrefixWriter;
  /** Dead letters set aside by an operator, with the reason. */
  readonly parkingQueue: IQueue;
  /** Who replayed, parked or edited what, when and why. */
  readonly opsAuditTable: ITable;
  /** Every alarm of the stateful stack, for the stage dashboard's alarm grid. */
  readonly alarms: readonly IAlarm[];
}

/** Bus, dedupe table, raw archive, quarantine and webhook secrets of one stage. */
export class StatefulStack extends Stack {
  readonly bus: EventBus;
  /** The EventBridge Schema Registry of the stage, with one schema per canonical event type. */
  readonly eventSchemaRegistry: EventSchemaRegistry;
  readonly dedupeTable: Table;
  readonly archiveBucket: Bucket;
  readonly quarantineBucket: Bucket;
  readonly webhookSecrets: Record<string, Secret>;
  /** Concord's API key at the ERP (`{ "apiKey": "…" }`), read by every function that calls the ERP. */
  readonly erpCredentials: Secret;
  /** Concord's credentials at each platform API it calls (HiBob's service user, Shopify's Admin API token). */
  readonly platformCredentials: Record<CredentialedPlatform, Secret>;
  /** Delivers the raw archive into the archive bucket, in batches; what the ingest edge writes to. */
  readonly rawArchiveStream: DeliveryStream;
  /** PutObject under raw/ of the archive: for webhooks too large for a Firehose record. */
  readonly rawArchiveWriter: BucketPrefixWriter;
  /** PutObject under quarantine/ of the quarantine bucket. */
  readonly quarantineWriter: BucketPrefixWriter;
  /** Powertools idempotency records of the ERP adapters. */
  readonly idempotencyTable: Table;
  /** The per-entity version gate. */
  readonly versionTable: Table;
  /** Failed business transactions with the context to replay them. */
  readonly exceptionsQueue: Queue;
  /** Requests to start a deferred transaction's execution that failed five times. */
  readonly redriveDeadLetterQueue: Queue;
  /** Every alarm of the stage notifies it, on alarm and on recovery; the stage config names its subscribers. */
  readonly alarmTopic: AlarmTopic;
  /** Transactions a workflow deferred (a long Retry-After, an ERP outage), delayed until their next execution. */
  readonly redriveQueue: Queue;
  /** Canonical and ERP events as the warehouse reads them: `events/event_type=<type>/event_date=<yyyy-MM-dd>/`. */
  readonly warehouseBucket: Bucket;
  readonly warehouseStream: DeliveryStream;
  /** Glue database, tables and model views, and the Athena workgroup. */
  readonly warehouseCatalog: WarehouseCatalog;
  /** PutObject under reconciliations/ of the warehouse bucket: each reconciliation's report and replay plan. */
  readonly reconciliationWriter: BucketPrefixWriter;
  /** Dead letters set aside by an operator, with the reason. */
  readonly parkingQueue: Queue;
  /** Who replayed, parked or edited what, when and why; and each replay's journal. */
  readonly opsAuditTable: Table;

  /** What the stateless stack binds to; read once the stack is built (its alarms are listed at that moment). */
  get resources(): StatefulResources {
    return {
      bus: this.bus,
      dedupeTable: this.dedupeTable,
      webhookSecrets: this.webhookSecrets,
      erpCredentials: this.erpCredentials,
      platformCredentials: this.platformCredentials,
      rawArchiveStream: this.rawArchiveStream,
      rawArchiveWriter: this.rawArchiveWriter,
      quarantineWriter: this.quarantineWriter,
      idempotencyTable: this.idempotencyTable,
      versionTable: this.versionTable,
      exceptionsQueue: this.exceptionsQueue,
      redriveDeadLetterQueue: this.redriveDeadLetterQueue,
      redriveQueue: this.redriveQueue,
      warehouseStream: this.warehouseStream,
      warehouseCatalog: this.warehouseCatalog,
      reconciliationWriter: this.reconciliationWriter,
      parkingQueue: this.parkingQueue,
      opsAuditTable: this.opsAuditTable,
      alarms: this.node
        .findAll()
        .filter((construct): construct is AlarmBase => construct instanceof AlarmBase),
    };
  }

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      stage: config.stage,
      alerting: config.alerting,
      removalPolicy: config.removalPolicy,
    });

    this.bus = new EventBus(this, 'Bus', { eventBusName: `concord-${config.stage}` });
    new Archive(this, 'BusArchive', {
      sourceEventBus: this.bus,
      eventPattern: { account: [this.account] },
      retention: config.busArchiveRetention,
      description: 'Every event on the bus, for audit and time-window replay',
    });
    // The contract of the bus where AWS users look for it: the schema of every event type it carries.
    this.eventSchemaRegistry = new EventSchemaRegistry(this, 'EventSchemas', {
      stage: config.stage,
      busName: `concord-${config.stage}`,
    });

    this.dedupeTable = new Table(this, 'DedupeTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: config.removalPolicy,
    });

    const accessLogs = new Bucket(this, 'AccessLogBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: config.removalPolicy,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access log bucket; logging it into itself would loop',
    });

    this.archiveBucket = new Bucket(this, 'RawArchiveBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'raw-archive/',
      removalPolicy: config.removalPolicy,
      lifecycleRules: [
        {
          transitions: [
            {
              storageClass: StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(config.archive.infrequentAccessAfterDays),
            },
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(config.archive.glacierAfterDays),
            },
          ],
          expiration: Duration.days(config.archive.expireAfterDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.quarantineBucket = new Bucket(this, 'QuarantineBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'quarantine/',
      removalPolicy: config.removalPolicy,
      lifecycleRules: [
        {
          expiration: Duration.days(config.quarantine.expireAfterDays),
          noncurrentVersionExpiration: Duration.days(7),
        },
      ],
    });

    this.idempotencyTable = new Table(this, 'IdempotencyTable', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiration',
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: config.removalPolicy,
    });
    this.versionTable = new Table(this, 'VersionTable', {
      partitionKey: { name: 'subject', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: config.removalPolicy,
    });
    this.opsAuditTable = new Table(this, 'OpsAuditTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: config.removalPolicy,
    });
    this.exceptionsQueue = new Queue(this, 'ExceptionsQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: config.removalPolicy,
    });
    alarmOnFailures(this, 'ExceptionsQueue', this.exceptionsQueue, 'A workflow');
    alarmOnMismatchAge(this, this.exceptionsQueue, config.slos.reconciliationClean);
    // A deferred transaction waits here, delayed, and comes back as a new execution that resumes it
    // (functions/workflow-redrive). A request that cannot start one after five tries waits in the DLQ, alarmed,
    // for an operator to move back with SQS's own redrive once the cause is fixed.
    const redriveDlq = new Queue(this, 'WorkflowRedriveDlq', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: config.removalPolicy,
    });
    alarmOnFailures(this, 'WorkflowRedriveDlq', redriveDlq, 'The workflow redrive (deferred transactions)');
    Validations.of(redriveDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'It is the dead-letter queue of the workflow redrive queue',
    });
    this.redriveQueue = new Queue(this, 'WorkflowRedriveQueue', {
      retentionPeriod: Duration.days(4),
      // Longer than the redrive function's timeout (30 s), as Lambda's SQS event source requires.
      visibilityTimeout: Duration.seconds(60),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: config.removalPolicy,
      deadLetterQueue: { queue: redriveDlq, maxReceiveCount: 5 },
    });
    this.redriveDeadLetterQueue = redriveDlq;
    // Dead letters an operator set aside with a reason (`concord dlq park`), to replay once the cause is fixed.
    this.parkingQueue = new Queue(this, 'ParkingQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.parkingQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'Operators park dead letters here by hand and replay them from here; nothing consumes it automatically',
    });
    Validations.of(this.exceptionsQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'A terminal queue: operators inspect and replay from it; a DLQ of a DLQ would only hide messages',
    });

    this.rawArchiveWriter = new BucketPrefixWriter(this, 'RawArchiveWriter', {
      bucket: this.archiveBucket,
      keyPrefix: 'raw',
    });
    // Batches of every source under raw/stream/<yyyy>/<mm>/<dd>/ (each record names its source); a webhook too
    // large for a record is written by the ingest function itself under raw/<source>/<yyyy>/<mm>/<dd>/. Dynamic
    // partitioning by source would need 64 MiB buffers and a 60-second interval at least.
    this.warehouseBucket = new Bucket(this, 'WarehouseBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'warehouse/',
      removalPolicy: config.removalPolicy,
      lifecycleRules: [
        {
          transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(90) }],
          expiration: Duration.days(config.warehouse.expireAfterDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        { prefix: 'athena-results/', expiration: Duration.days(7) },
      ],
    });
    this.warehouseCatalog = new WarehouseCatalog(this, 'WarehouseCatalog', {
      bucket: this.warehouseBucket,
      stage: config.stage,
      firstEventDate: config.warehouse.firstEventDate,
      bytesScannedCutoffPerQuery: config.warehouse.queryScanLimitGiB * 1024 ** 3,
    });
    this.reconciliationWriter = new BucketPrefixWriter(this, 'ReconciliationWriter', {
      bucket: this.warehouseBucket,
      keyPrefix: 'reconciliations',
    });
    const warehouseRole = this.deliveryRole('WarehouseDeliveryRole', this.warehouseBucket, [
      'events',
      'errors',
    ]);
    this.warehouseStream = new DeliveryStream(this, 'WarehouseEventsStream', {
      encryption: StreamEncryption.awsOwnedKey(),
      destination: new S3Bucket(this.warehouseBucket, {
        role: warehouseRole.withoutPolicyUpdates(),
        dataOutputPrefix:
          'events/event_type=!{partitionKeyFromQuery:type}/event_date=!{timestamp:yyyy-MM-dd}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/event_date=!{timestamp:yyyy-MM-dd}/',
        compression: Compression.GZIP,
        fileExtension: '.jsonl.gz',
        bufferingSize: Size.mebibytes(config.warehouse.bufferSizeMiB),
        bufferingInterval: Duration.seconds(config.warehouse.deliveryIntervalSec),
        dynamicPartitioning: { enabled: true },
        processors: [
          MetadataExtractionProcessor.jq16({ type: '.type' }),
          new AppendDelimiterToRecordProcessor(),
        ],
      }),
      role: warehouseRole.withoutPolicyUpdates(),
    });
    alarmOnWarehouseFreshness(this, this.warehouseStream, config.slos.invoiceVisibleInWarehouse);
    const deliveryRole = this.rawArchiveDeliveryRole();
    this.rawArchiveStream = new DeliveryStream(this, 'RawArchiveStream', {
      encryption: StreamEncryption.awsOwnedKey(),
      destination: new S3Bucket(this.archiveBucket, {
        // Its own least-privilege role: the destination's default grant would include deleting archive objects.
        role: deliveryRole.withoutPolicyUpdates(),
        dataOutputPrefix: 'raw/stream/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        errorOutputPrefix:
          'raw-errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        compression: Compression.GZIP,
        fileExtension: '.jsonl.gz',
        bufferingSize: Size.mebibytes(5),
        bufferingInterval: Duration.seconds(config.archive.deliveryIntervalSec),
      }),
      role: deliveryRole.withoutPolicyUpdates(),
    });
    this.quarantineWriter = new BucketPrefixWriter(this, 'QuarantineWriter', {
      bucket: this.quarantineBucket,
      keyPrefix: 'quarantine',
    });

    this.erpCredentials = this.erpCredentialsSecret(config);
    this.platformCredentials = {
      hibob: this.platformCredentialsSecret(
        config,
        'hibob',
        'HibobServiceUser',
        `Concord ${config.stage}'s HiBob service user: { "id": "<service user id>", "token": "<token>" }`,
      ),
      shopify: this.platformCredentialsSecret(
        config,
        'shopify',
        'ShopifyAdminApiToken',
        `Concord ${config.stage}'s Shopify Admin API access token: { "accessToken": "<token>" }`,
      ),
      spendesk: this.platformCredentialsSecret(
        config,
        'spendesk',
        'SpendeskApiToken',
        `Concord ${config.stage}'s Spendesk API token (purchase-order write-back): { "apiToken": "<token>" }`,
      ),
    };
    // One secret per webhook source. The initial value is random: ops replace it with the vendor's signing
    // secret(s), as a JSON array during a rotation (docs/runbooks/rotate-webhook-secret.md).
    this.webhookSecrets = Object.fromEntries(
      registeredSourceNames().map((source) => [
        source,
        new Secret(this, `WebhookSecret-${source}`, {
          description: `Webhook signing secret(s) of ${source} for Concord ${config.stage}: a string, or a JSON array during rotation`,
          removalPolicy: config.removalPolicy,
        }),
      ]),
    );
    for (const [source, secret] of Object.entries(this.webhookSecrets)) {
      // Lets `npm start` load the local secrets file into the right secret.
      Tags.of(secret).add(webhookSourceTag, source);
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Webhook signing secrets are issued by the SaaS vendor; they are rotated there, with both values active here meanwhile',
      });
    }
  }

  /**
   * The ERP credentials: a random placeholder at first, which ops replace with the key the ERP issued
   * (docs/runbooks/rotate-erp-credentials.md); locally `npm start` loads the sandbox's own key.
   */
  private erpCredentialsSecret(config: StageConfig): Secret {
    const secret = new Secret(this, 'ErpCredentials', {
      description: `Concord ${config.stage}'s API key at the ERP: { "apiKey": "<key>" }`,
      removalPolicy: config.removalPolicy,
    });
    Tags.of(secret).add(erpCredentialsSecretTag, 'api-key');
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The ERP issues the key; it is rotated there, and a 401 makes the connector read the secret again',
    });
    return secret;
  }

  /**
   * A platform's API credentials: a random placeholder at first (no value in the template), which ops replace with
   * what the platform issued (docs/runbooks/platform-credentials.md); locally `npm start` loads the stand-in's own.
   */
  private platformCredentialsSecret(
    config: StageConfig,
    platform: CredentialedPlatform,
    id: string,
    description: string,
  ): Secret {
    const secret = new Secret(this, id, { description, removalPolicy: config.removalPolicy });
    Tags.of(secret).add(platformCredentialsSecretTag, platform);
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The platform issues the credentials; they are rotated there, and a 401 makes the client read the secret again',
    });
    return secret;
  }

  /** What Firehose needs to deliver the raw archive: write under raw/ and raw-errors/, and nothing else. */
  private rawArchiveDeliveryRole(): Role {
    return this.deliveryRole('RawArchiveDeliveryRole', this.archiveBucket, ['raw', 'raw-errors']);
  }

  /** A Firehose delivery role that can add objects under `prefixes` of one bucket, and nothing else. */
  private deliveryRole(id: string, bucket: Bucket, prefixes: string[]): Role {
    const role = new Role(this, id, { assumedBy: new ServicePrincipal('firehose.amazonaws.com') });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}/*`)),
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [bucket.bucketArn],
      }),
    );
    const bucketLogicalId = this.resolve((bucket.node.defaultChild as CfnBucket).logicalId);
    for (const prefix of prefixes)
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}/*]`,
        reason: `Firehose names each batch object itself; PutObject under ${prefix}/ only`,
      });
    return role;
  }
}
