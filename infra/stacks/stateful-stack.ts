/** The stateful stack: what holds data and must survive a redeploy (bus, tables, buckets, secrets). Logical ids are pinned by a test. */
import { Duration, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { registeredSourceNames, webhookSourceTag } from '../../functions/shared/sources/source-registry';
import type { StageConfig } from '../config/stage-config';
import { BucketPrefixWriter } from '../constructs/bucket-prefix-writer';

/** Props of the stateful stack. */
export interface StatefulStackProps extends StackProps {
  config: StageConfig;
}

/** Bus, dedupe table, raw archive, quarantine and webhook secrets of one stage. */
export class StatefulStack extends Stack {
  readonly bus: EventBus;
  readonly dedupeTable: Table;
  readonly archiveBucket: Bucket;
  readonly quarantineBucket: Bucket;
  readonly webhookSecrets: Record<string, Secret>;
  /** PutObject under raw/ of the archive: what the ingest edge needs. */
  readonly rawArchiveWriter: BucketPrefixWriter;
  /** PutObject under quarantine/ of the quarantine bucket. */
  readonly quarantineWriter: BucketPrefixWriter;
  /** Powertools idempotency records of the ERP adapters. */
  readonly idempotencyTable: Table;
  /** The per-entity version gate. */
  readonly versionTable: Table;
  /** Failed business transactions with the context to replay them. */
  readonly exceptionsQueue: Queue;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.bus = new EventBus(this, 'Bus', { eventBusName: `concord-${config.stage}` });
    new Archive(this, 'BusArchive', {
      sourceEventBus: this.bus,
      eventPattern: { account: [this.account] },
      retention: config.busArchiveRetention,
      description: 'Every event on the bus, for audit and time-window replay',
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
    this.exceptionsQueue = new Queue(this, 'ExceptionsQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.exceptionsQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'A terminal queue: operators inspect and replay from it; a DLQ of a DLQ would only hide messages',
    });

    this.rawArchiveWriter = new BucketPrefixWriter(this, 'RawArchiveWriter', this.archiveBucket, 'raw');
    this.quarantineWriter = new BucketPrefixWriter(
      this,
      'QuarantineWriter',
      this.quarantineBucket,
      'quarantine',
    );

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
}
