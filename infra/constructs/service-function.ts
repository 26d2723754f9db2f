/** ServiceFunction: a Lambda with the house defaults, and bindXxx() intent methods that set the env var and the grant together. */
import path from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { BucketPrefixWriter } from './bucket-prefix-writer';

/** Where function code lives: functions/<name>/handler.ts. */
export const functionsDir = path.join(__dirname, '../../functions');

/** What a ServiceFunction needs beyond the house defaults. */
export interface ServiceFunctionProps {
  /** Folder under functions/ holding handler.ts; also the function's Powertools service name. */
  readonly functionDir: string;
  /** The stage name, as CONCORD_STAGE: the `stage` dimension of every metric the function emits. */
  readonly stage: string;
  /** Memory, which also sets the function's share of CPU. */
  readonly memorySizeMiB: number;
  /** How long one invocation may run before Lambda stops it. */
  readonly timeoutSec: number;
  /** How long the function's own log group keeps its lines. */
  readonly logRetention: RetentionDays;
  /**
   * Plain configuration values (not resources: bind those, so the grant comes with the name).
   * @default - only the house variables (Powertools, source maps, CONCORD_STAGE)
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Reserved concurrency: at most this many invocations at once, to protect what the function calls.
   * @default - none reserved: the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Whether any invocation error needs a person: an alarm on the function's Errors. False for a function whose
   * errors are how it asks its caller to retry (the ERP adapter: throttles, an ERP outage, a lost answer the next
   * attempt reads back), whose caller alarms once its retries are spent instead.
   * @default true
   */
  readonly alarmOnErrors?: boolean;
}

/** How a function starts the state machine bound to it (`ServiceFunction.bindStateMachine`). */
export interface BindStateMachineOptions {
  /**
   * Start it with StartSyncExecution and wait for its output (Express workflows only) instead of StartExecution.
   * @default false
   */
  readonly synchronous?: boolean;
}

/**
 * A Node.js 22 arm64 Lambda, esbuild-bundled, with its own log group, X-Ray, Powertools settings, a least-privilege
 * role and an alarm on its errors.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  /** Any invocation error in five minutes: an unhandled failure, a timeout or a crash (none when `alarmOnErrors` is false). */
  readonly errorsAlarm?: Alarm;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    // Explicit log permissions on its own log group, instead of the AWS managed basic execution policy.
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(functionsDir, props.functionDir, 'handler.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySizeMiB,
      timeout: Duration.seconds(props.timeoutSec),
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracing: Tracing.ACTIVE,
      logGroup,
      role: this.role,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.functionDir,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        CONCORD_STAGE: props.stage,
        ...props.environment,
      },
      bundling: {
        // The SDK is bundled (pinned versions, tree-shaken through its ES modules) rather than taken from the runtime.
        externalModules: [],
        mainFields: ['module', 'main'],
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
      },
    });
    if (props.alarmOnErrors ?? true)
      this.errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
        alarmDescription: `${props.functionDir} failed (errors, timeouts or crashes): read its log group, or concord trace <id>; docs/observability.md#function-errors`,
        metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource scoping',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime Concord targets (DESIGN.md); moving to a newer one is a deliberate upgrade',
    });
  }

  /** A grant that no intent method covers; say why at the call. */
  allow(actions: string[], resources: string[]): void {
    this.role.addToPolicy(new PolicyStatement({ actions, resources }));
  }

  /** Read and write single items (no scans, no batch, no table management). */
  bindTableItems(envName: string, table: ITable): void {
    this.function.addEnvironment(envName, table.tableName);
    this.allow(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [table.tableArn],
    );
  }

  /** Read single items only (GetItem): a table the function consults but another function keeps. */
  bindTableReader(envName: string, table: ITable): void {
    this.function.addEnvironment(envName, table.tableName);
    this.allow(['dynamodb:GetItem'], [table.tableArn]);
  }

  /** Put objects under the writer's key prefix of its bucket. */
  bindBucketWriter(envName: string, writer: BucketPrefixWriter): void {
    this.function.addEnvironment(envName, writer.bucket.bucketName);
    this.role.addManagedPolicy(writer.policy);
  }

  /** PutRecord and PutRecordBatch on one Firehose stream. */
  bindDeliveryStream(envName: string, stream: IDeliveryStream): void {
    this.function.addEnvironment(envName, stream.deliveryStreamName);
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [stream.deliveryStreamArn],
      }),
    );
  }

  /** PutEvents on one bus. */
  bindEventBus(envName: string, bus: IEventBus): void {
    this.function.addEnvironment(envName, bus.eventBusName);
    this.allow(['events:PutEvents'], [bus.eventBusArn]);
  }

  /** Sets `envName` to the queue's URL and lets the function send to it (SendMessage only: the URL is known). */
  bindQueue(envName: string, queue: IQueue): void {
    this.function.addEnvironment(envName, queue.queueUrl);
    this.allow(['sqs:SendMessage'], [queue.queueArn]);
  }

  /**
   * Sets `envName` to the state machine's ARN and lets the function start it: StartExecution, or StartSyncExecution
   * when `synchronous` (an Express workflow whose output the function answers with).
   */
  bindStateMachine(
    envName: string,
    stateMachine: IStateMachine,
    options: BindStateMachineOptions = {},
  ): void {
    this.function.addEnvironment(envName, stateMachine.stateMachineArn);
    this.allow(
      [options.synchronous ? 'states:StartSyncExecution' : 'states:StartExecution'],
      [stateMachine.stateMachineArn],
    );
  }

  /** Sets `envName` to the state machines' ARNs, comma-separated, and lets the function start any of them. */
  bindStateMachines(envName: string, stateMachines: readonly IStateMachine[]): void {
    const arns = stateMachines.map((stateMachine) => stateMachine.stateMachineArn);
    this.function.addEnvironment(envName, arns.join(','));
    this.allow(['states:StartExecution'], arns);
  }

  /** Sets `envName` to the secret's ARN and lets the function read it. */
  bindSecret(envName: string, secret: ISecret): void {
    this.function.addEnvironment(envName, secret.secretArn);
    this.allow(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], [secret.secretArn]);
  }

  /** Read a set of secrets, passed in `envName` as a JSON object of key → secret ARN. */
  bindSecrets(envName: string, secrets: Readonly<Record<string, ISecret>>): void {
    const ids = Object.fromEntries(Object.entries(secrets).map(([key, secret]) => [key, secret.secretArn]));
    this.function.addEnvironment(envName, Stack.of(this).toJsonString(ids));
    this.allow(
      ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Object.values(secrets).map((secret) => secret.secretArn),
    );
  }
}
