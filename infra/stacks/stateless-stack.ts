/** The stateless stack: functions, the HTTP API and routes, everything that can be replaced at will. */
import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { ServiceFunction } from '../constructs/service-function';
import type { StatefulStack } from './stateful-stack';

/** Props of the stateless stack: the stage config and the stateful resources it binds to. */
export interface StatelessStackProps extends StackProps {
  config: StageConfig;
  stateful: StatefulStack;
}

/** The ingest edge of one stage. */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly ingest: ServiceFunction;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;

    this.ingest = new ServiceFunction(this, 'IngestWebhook', {
      functionDir: 'ingest-webhook',
      memorySizeMiB: config.ingest.memorySizeMiB,
      timeoutSec: config.ingest.timeoutSec,
      logRetention: config.logRetention,
      environment: {
        MAX_BODY_BYTES: String(config.ingest.maxBodyBytes),
        IN_PROGRESS_SEC: String(config.ingest.inProgressSec),
      },
    });
    this.ingest.bindEventBus('EVENT_BUS_NAME', stateful.bus);
    this.ingest.bindTableItems('DEDUPE_TABLE_NAME', stateful.dedupeTable);
    this.ingest.bindBucketWriter('ARCHIVE_BUCKET_NAME', stateful.rawArchiveWriter);
    this.ingest.bindBucketWriter('QUARANTINE_BUCKET_NAME', stateful.quarantineWriter);
    this.ingest.bindSecrets('WEBHOOK_SECRET_IDS', stateful.webhookSecrets);

    this.api = new HttpApi(this, 'HttpApi', {
      description: `Concord ${config.stage} webhooks and APIs`,
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: config.logRetention });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit: config.ingest.rateLimitPerSec, burstLimit: config.ingest.burstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    this.api.addRoutes({
      path: '/webhooks/{source}',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.ingest.function),
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Webhook senders cannot use AWS auth; every request is authenticated by its HMAC signature in the ingest function',
    });
  }
}
