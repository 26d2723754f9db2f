/** The embedded AWS-compatible runtime: every local service behind one edge endpoint, wired to each other as on AWS. */
import type { Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import { LocalClock } from './clock';
import { AwsError } from './edge/aws-error';
import { startEdgeServer } from './edge/edge-server';
import { closeGracefully } from './edge/graceful-close';
import { AccessDeniedError } from './iam/access-denied';
import { authorizingTaskIntegrations } from './iam/authorizing-task-integrations';
import { IamAuthorizer, iamEnforcementFromEnvironment } from './iam/iam-authorizer';
import { IamRegistry } from './iam/iam-registry';
import type { ArnContext } from './iam/operation-actions';
import { AthenaService } from './services/athena/athena-service';
import { ApiMetrics } from './services/cloudwatch/api-metrics';
import { aggregateOf, CloudWatchService } from './services/cloudwatch/cloudwatch-service';
import { emfDatapoints } from './services/cloudwatch/embedded-metric-format';
import { LambdaMetrics } from './services/cloudwatch/lambda-metrics';
import { SnsMetrics } from './services/cloudwatch/sns-metrics';
import { StatesMetrics } from './services/cloudwatch/states-metrics';
import { DynamoDbService } from './services/dynamodb/dynamodb-service';
import { EventsService, type TargetDefinition, TargetDeliveryError } from './services/events/events-service';
import { FirehoseService } from './services/firehose/firehose-service';
import { GlueService } from './services/glue/glue-service';
import { LambdaService } from './services/lambda/lambda-service';
import { type LocalEnvironment, parseArn } from './services/local-environment';
import { LogsService } from './services/logs/logs-service';
import { S3Service } from './services/s3/s3-service';
import { SecretsService } from './services/secrets/secrets-service';
import { SnsService } from './services/sns/sns-service';
import { SqsQueryProtocol } from './services/sqs/sqs-query-protocol';
import { SqsService } from './services/sqs/sqs-service';
import { StatesService } from './services/states/states-service';
import { LocalTaskIntegrations } from './services/states/task-integrations';
import { StsService, stsTargetPrefix } from './services/sts/sts-service';
import { DurableStore } from './store/durable-store';
import { UsageMeter } from './usage/usage-meter';

/** How to start the runtime. */
export interface RuntimeOptions {
  dataDir: string;
  /** 0 picks a free port. */
  edgePort: number;
  /** Local time runs this many times faster than real time (Wait states, retries, visibility timeouts). */
  clockFactor?: number;
  accountId?: string;
  region?: string;
  /** Whether the deployed roles' policies are enforced on functions' and state machines' calls (default: on, unless CONCORD_IAM_ENFORCEMENT=off). */
  iamEnforcement?: boolean;
}

async function withDeliveryErrors(call: () => unknown): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (error instanceof AwsError) {
      const missing = /NotFound|DoesNotExist|NonExistent/.test(error.code);
      throw new TargetDeliveryError(error.code, error.message, !missing);
    }
    if ((error as Error)?.name === 'FunctionNotFoundError')
      throw new TargetDeliveryError('ResourceNotFoundException', (error as Error).message, false);
    throw error;
  }
}

/** A running runtime. */
export class LocalRuntime {
  readonly clock: LocalClock;
  readonly store: DurableStore;
  readonly sqs: SqsService;
  readonly events: EventsService;
  readonly s3: S3Service;
  readonly firehose: FirehoseService;
  readonly secrets: SecretsService;
  readonly dynamodb: DynamoDbService;
  readonly lambda: LambdaService;
  readonly states: StatesService;
  readonly athena: AthenaService;
  /** The Glue Data Catalog the deployment declared (GetDatabases, GetTables, GetTable). */
  readonly glue: GlueService;
  readonly cloudwatch: CloudWatchService;
  readonly sns: SnsService;
  readonly logs: LogsService;
  /** GetCallerIdentity: who a request's access key id says the operator is. */
  readonly sts: StsService;
  /** The deployed IAM, enforced on the calls of functions and state machines (operators act as the account's admin). */
  readonly iam: IamAuthorizer;
  /** How IAM builds the ARNs of the resources a call names. */
  private readonly arns: ArnContext;
  /** Billable units of everything the runtime served since start (or the last reset). */
  readonly usage = new UsageMeter();
  /** Local time when the meter started counting: what it counted is this run's, from here to now. */
  private readonly usageSinceMs: number;
  private server: Server | undefined;
  private url = '';
  private readonly clockSaver: NodeJS.Timeout;

  private constructor(readonly options: RuntimeOptions) {
    this.store = new DurableStore(options.dataDir);
    // Local time continues from where the last run left it, even when it ran faster than real time.
    const saved = this.store.getResource<{ nowMs: number }>('runtime', 'clock');
    this.clock = new LocalClock(options.clockFactor ?? 1, saved?.nowMs ?? 0);
    this.usageSinceMs = this.clock.now();
    this.clockSaver = setInterval(() => this.saveClock(), 1000);
    this.clockSaver.unref();
    const env: LocalEnvironment = {
      accountId: options.accountId ?? '000000000000',
      region: options.region ?? 'us-east-1',
      edgeUrl: () => this.url,
      usage: this.usage,
    };
    this.sqs = new SqsService(this.store, this.clock, env);
    this.events = new EventsService(this.store, this.clock, env);
    this.s3 = new S3Service(this.store, this.clock, this.usage);
    this.firehose = new FirehoseService(this.store, this.clock, env, this.s3);
    this.secrets = new SecretsService(this.store, this.clock, env);
    this.dynamodb = new DynamoDbService(this.store, this.clock, this.usage);
    this.lambda = new LambdaService(this.store, this.clock, env);
    this.states = new StatesService(this.store, this.clock, env);
    this.athena = new AthenaService(this.store, this.clock);
    this.glue = new GlueService(this.store, env);
    this.cloudwatch = new CloudWatchService(this.store, this.clock, env);
    this.sns = new SnsService(this.store, this.clock, env);
    this.logs = new LogsService(this.store, this.clock, env);
    this.sts = new StsService(options.dataDir, env);
    this.arns = {
      accountId: env.accountId,
      region: env.region,
      secretArn: (id) => {
        try {
          return this.secrets.secret(id).arn;
        } catch {
          return id.startsWith('arn:')
            ? id
            : `arn:aws:secretsmanager:${env.region}:${env.accountId}:secret:${id}`;
        }
      },
      athenaWorkGroup: (queryExecutionId) => this.athena.workGroupOf(queryExecutionId),
    };
    this.iam = new IamAuthorizer(
      new IamRegistry(this.store),
      this.arns,
      options.iamEnforcement ?? iamEnforcementFromEnvironment(),
    );
    this.wire();
  }

  /** Starts every service and the edge; resumes what was in flight before the last stop. */
  static async start(options: RuntimeOptions): Promise<LocalRuntime> {
    const runtime = new LocalRuntime(options);
    await runtime.dynamodb.start();
    let edge: Awaited<ReturnType<typeof startEdgeServer>>;
    try {
      edge = await startEdgeServer(
        {
          json: [
            runtime.events,
            runtime.sqs,
            runtime.states,
            runtime.firehose,
            runtime.secrets,
            runtime.athena,
            runtime.glue,
            runtime.cloudwatch,
            runtime.logs,
          ],
          rawByTarget: { DynamoDB_20120810: runtime.dynamodb, [stsTargetPrefix]: runtime.sts },
          rawByScope: {
            s3: runtime.s3,
            lambda: runtime.lambda,
            sns: runtime.sns,
            sts: runtime.sts,
            // The AWS Query protocol (AWS CLI v1, older SDKs); the JSON protocol arrives by X-Amz-Target.
            sqs: new SqsQueryProtocol(runtime.sqs),
          },
          health: () => runtime.health(),
          guard: (request, body, response) => runtime.iam.refuseAtEdge(request, body, response),
          durable: () => runtime.store.durable(),
        },
        options.edgePort,
      );
    } catch (error) {
      // Nothing may linger (dynalite, timers, the store) when the edge cannot start.
      await runtime.stop();
      throw error;
    }
    const { server, url } = edge;
    runtime.server = server;
    runtime.url = url;
    runtime.events.start();
    runtime.lambda.start();
    runtime.states.start();
    runtime.cloudwatch.start();
    return runtime;
  }

  /** The edge endpoint (AWS_ENDPOINT_URL). */
  get endpoint(): string {
    return this.url;
  }

  private saveClock(): void {
    this.store.putResource('runtime', 'clock', { nowMs: this.clock.now() });
  }

  /** Set while something (a deployment) must finish before the runtime counts as ready. */
  startingReason: string | undefined;
  /** Extra health information (the deployed resources, once deployed). */
  healthDetails: () => Record<string, unknown> = () => ({});

  health(): { status: string } & Record<string, unknown> {
    return {
      status: this.startingReason ? 'starting' : 'ok',
      ...(this.startingReason ? { startingReason: this.startingReason } : {}),
      endpoint: this.url,
      dataDir: this.options.dataDir,
      services: [
        'events',
        'sqs',
        'states',
        'firehose',
        's3',
        'dynamodb',
        'lambda',
        'secretsmanager',
        'athena',
        'glue',
        'monitoring',
        'sns',
        'logs',
      ],
      pendingEventDeliveries: this.events.pendingDeliveries(),
      // The console prices it per order (its Overview): the units since start, in local time.
      usage: {
        since: new Date(this.usageSinceMs).toISOString(),
        at: new Date(this.clock.now()).toISOString(),
        counts: this.usage.snapshot(),
      },
      ...this.healthDetails(),
    };
  }

  private wire(): void {
    // Function lines go to their log group; CloudWatch extracts EMF documents from them into metrics.
    this.lambda.onLogLine = (functionName, line) => {
      this.logs.recordFunctionLine(functionName, line);
      this.cloudwatch.recordEmf(emfDatapoints(line));
    };
    // CloudWatch records a refused or failed publish in the alarm's history (and warns).
    this.cloudwatch.publishToTopic = (topicArn, subject, message, alarmArn) => {
      this.iam.authorizeAlarmAction(alarmArn, topicArn);
      this.sns.publish(topicArn, { subject, message });
    };
    this.lambda.onInvocation = (functionName, outcome) => this.lambdaMetrics.count(functionName, outcome);
    this.cloudwatch.collectServiceMetrics = () => {
      this.publishQueueMetrics();
      this.lambdaMetrics.publish(this.cloudwatch, this.clock.now());
      this.statesMetrics.publish(this.cloudwatch, this.clock.now());
      this.apiMetrics.publish(this.cloudwatch, this.clock.now());
      this.snsMetrics.publish(this.cloudwatch, this.clock.now());
    };
    this.sns.onDeliveryOutcome = (topicArn, delivered) => this.snsMetrics.count(topicArn, delivered);
    this.sns.deliverToService = async (subscription, envelope) => {
      // SNS delivers as sns.amazonaws.com: the queue's policy or the function's permission must allow the topic.
      this.iam.authorizeSubscriptionDelivery(
        subscription.topicArn,
        subscription.protocol,
        subscription.endpoint,
      );
      const raw = subscription.attributes.RawMessageDelivery === 'true';
      if (subscription.protocol === 'sqs')
        this.sqs.sendMessage(this.sqs.queueByArn(subscription.endpoint), {
          MessageBody: raw ? String(envelope.Message) : JSON.stringify(envelope),
        });
      else if (subscription.protocol === 'lambda')
        this.lambda.invokeAsync(
          subscription.endpoint,
          JSON.stringify({
            Records: [
              {
                EventSource: 'aws:sns',
                EventVersion: '1.0',
                EventSubscriptionArn: subscription.arn,
                Sns: { ...envelope, MessageAttributes: envelope.MessageAttributes ?? {} },
              },
            ],
          }),
        );
    };
    this.sts.roleSessionIdentity = (accessKeyId) => this.iam.sessionIdentity(accessKeyId);
    // Athena reads the catalog and the data, and writes results, with the caller's rights.
    this.athena.authorizeQuery = (query) => this.iam.athenaQueryRefusal(query);
    // Firehose writes to S3 as the delivery stream's role.
    this.firehose.authorizeWrite = (stream, bucket, key) =>
      this.iam.authorizeFirehoseWrite(stream.roleArn, stream.name, bucket, key);
    this.events.dispatch = async (target, payload, event, ruleArn) => {
      try {
        if (ruleArn) this.iam.authorizeRuleTarget(ruleArn, target.Arn, target.RoleArn);
      } catch (error) {
        // EventBridge does not retry a delivery it has no permission for: the event goes to the dead-letter queue.
        if (error instanceof AccessDeniedError)
          throw new TargetDeliveryError('NO_PERMISSIONS', error.message, false);
        throw error;
      }
      return this.deliver(target, payload, event);
    };
    this.states.onExecutionStart = (stateMachineArn) => this.statesMetrics.started(stateMachineArn);
    this.states.onExecutionEnd = ({ stateMachineArn, status, type, transitions, durationMs, logBytes }) => {
      this.usage.execution(type, transitions, durationMs);
      this.usage.logBytes(logBytes);
      this.statesMetrics.ended(stateMachineArn, status, durationMs);
    };
    this.events.sendDeadLetter = (queueArn, body, attributes) => {
      this.sqs.sendMessage(this.sqs.queueByArn(queueArn), {
        MessageBody: body,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      });
    };
    this.lambda.sendToDestination = async (arn, record) => {
      const { service } = parseArn(arn);
      // Lambda sends the record as the function's execution role.
      const functionArn = String(
        (record.requestContext as { functionArn?: string } | undefined)?.functionArn ?? '',
      );
      try {
        this.iam.authorizeDestination(
          this.lambda.functionDefinition(functionArn)?.roleCredentials?.accessKeyId,
          arn,
        );
      } catch (error) {
        if (!(error instanceof AccessDeniedError)) throw error;
        // Lambda drops a record its role may not send (DestinationDeliveryFailures on AWS); the log says why.
        console.warn(`[lambda] destination ${arn} refused the record of ${functionArn}: ${error.message}`);
        return;
      }
      const body = JSON.stringify(record);
      if (service === 'sqs') this.sqs.sendMessage(this.sqs.queueByArn(arn), { MessageBody: body });
      else if (service === 'lambda') this.lambda.invokeAsync(arn, body);
      else if (service === 'events') {
        const failed = (record.requestContext as { condition?: string }).condition !== 'Success';
        this.events.putEvents([
          {
            EventBusName: arn,
            Source: 'lambda',
            DetailType: `Lambda Function Invocation Result - ${failed ? 'Failure' : 'Success'}`,
            Detail: body,
          },
        ]);
      } else console.warn(`[lambda] destination ${arn} is not supported locally; record dropped: ${body}`);
    };
    this.states.integrations = authorizingTaskIntegrations(
      new LocalTaskIntegrations({
        lambda: this.lambda,
        events: this.events,
        sqs: this.sqs,
        states: this.states,
        dynamodb: (operation, input) => this.callDynamoDb(operation, input),
        json: { firehose: this.firehose, secretsmanager: this.secrets },
      }),
      this.iam,
      this.arns,
    );
  }

  private async deliver(
    target: TargetDefinition,
    payload: string,
    event: Record<string, unknown>,
  ): Promise<void> {
    const { service, resource } = parseArn(target.Arn);
    switch (service) {
      case 'sqs':
        return withDeliveryErrors(() =>
          this.sqs.sendMessage(this.sqs.queueByArn(target.Arn), { MessageBody: payload }),
        );
      case 'lambda':
        return withDeliveryErrors(() => this.lambda.invokeAsync(target.Arn, payload));
      case 'states':
        return withDeliveryErrors(() =>
          this.states.startExecution({ stateMachineArn: target.Arn, input: payload }),
        );
      case 'firehose':
        return withDeliveryErrors(() => {
          const [result] = this.firehose.putRecords(
            resource.split('/').at(-1) ?? '',
            [{ Data: payload }],
            'utf8',
          );
          if (result && 'ErrorCode' in result)
            throw new AwsError(String(result.ErrorCode), String(result.ErrorMessage));
        });
      case 'events':
        return withDeliveryErrors(() => {
          const bus = resource.split('/').at(-1) ?? 'default';
          if (!this.store.getResource('events-bus', bus))
            throw new AwsError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
          this.store.transaction(() => this.events.route(bus, event));
        });
      default:
        throw new TargetDeliveryError(
          'UnsupportedTarget',
          `Targets of service ${service} are not supported by the local runtime`,
          false,
        );
    }
  }

  /** Invocations counted since the last evaluation, published as AWS/Lambda metrics once per local minute. */
  private readonly lambdaMetrics = new LambdaMetrics();
  /** Executions started and closed since the last evaluation, published as AWS/States metrics per state machine. */
  private readonly statesMetrics = new StatesMetrics();
  /** HTTP API answers counted since the last evaluation (the API server reports them), published as AWS/ApiGateway. */
  readonly apiMetrics = new ApiMetrics();
  /** SNS delivery outcomes since the last evaluation, published as AWS/SNS metrics per topic. */
  private readonly snsMetrics = new SnsMetrics();

  /** The AWS/SQS metrics CloudWatch keeps for queues, so that queue-depth and DLQ alarms work locally. */
  private publishQueueMetrics(): void {
    const nowMs = this.clock.now();
    // Only watched queues: a row per queue per local minute would grow the store fast under a fast clock.
    const watched = this.cloudwatch.watchedQueues();
    if (watched.size === 0) return;
    const queues = this.store.listResources<{ name: string }>('sqs-queue');
    this.store.transaction(() => {
      for (const { name } of queues) {
        if (!watched.has(name)) continue;
        const counts = this.sqs.queueCounts(name);
        const dimensions = [{ Name: 'QueueName', Value: name }];
        const ageSec =
          counts.oldestSentAt === undefined ? 0 : Math.max(0, (nowMs - counts.oldestSentAt) / 1000);
        for (const [metric, value] of [
          ['ApproximateNumberOfMessagesVisible', counts.visible],
          ['ApproximateNumberOfMessagesNotVisible', counts.inFlight],
          ['ApproximateNumberOfMessagesDelayed', counts.delayed],
          ['ApproximateAgeOfOldestMessage', Math.floor(ageSec)],
        ] as const)
          this.cloudwatch.record('AWS/SQS', metric, dimensions, nowMs, aggregateOf([value]));
      }
    });
  }

  /** One DynamoDB JSON call against the local DynamoDB (for Step Functions integrations). */
  callDynamoDb(operation: string, input: unknown): Promise<unknown> {
    const body = JSON.stringify(input ?? {});
    const endpoint = new URL(this.url);
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: endpoint.hostname,
          port: endpoint.port,
          method: 'POST',
          path: '/',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            'content-length': Buffer.byteLength(body),
            'x-amz-date': '20260101T000000Z',
            authorization:
              'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=local',
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
              __type?: string;
              message?: string;
              Message?: string;
            };
            if ((response.statusCode ?? 500) >= 400) {
              reject(
                new AwsError(
                  (parsed.__type ?? 'InternalServerError').split('#').at(-1) ?? 'InternalServerError',
                  parsed.message ?? parsed.Message ?? '',
                ),
              );
            } else resolve(parsed);
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** Stops accepting work, flushes buffers, closes the store; anything unfinished resumes on the next start. */
  async stop(): Promise<void> {
    // Calls in flight (a function finishing its work) complete; long polls are cut after the grace period.
    await closeGracefully(this.server, 2000);
    this.events.close();
    this.states.close();
    this.cloudwatch.close();
    this.sqs.close();
    this.firehose.flushAll();
    this.firehose.close();
    await this.lambda.close();
    this.logs.close();
    await this.dynamodb.close();
    clearInterval(this.clockSaver);
    this.saveClock();
    this.store.close();
  }
}
