/**
 * Where the ops commands act: the embedded runtime by default (`npm start`), another runtime with `--endpoint URL`
 * or AWS_ENDPOINT_URL, or a real AWS account through the normal credential chain with `--stage <name>`.
 */

import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsTargetDeliverer } from '../functions/replay/adapters/aws-target-deliverer';
import { DynamoDbAppliedVersions } from '../functions/replay/adapters/dynamodb-applied-versions';
import { EventBridgeBusArchive } from '../functions/replay/adapters/eventbridge-bus-archive';
import { EventBridgeReplayBus } from '../functions/replay/adapters/eventbridge-replay-bus';
import { SqsDeadLetterQueues } from '../functions/replay/adapters/sqs-dead-letter-queues';
import { CallerNotVerifiedError, operatorOf } from '../functions/replay/caller-identity';
import { queueNameOf } from '../functions/replay/dead-letters';
import type { PlanRunDependencies } from '../functions/replay/from-plan';
import { OpsJournal } from '../functions/replay/ops-journal';
import type { DeadLetterQueues, ReplayDependencies } from '../functions/replay/ports';
import { pickQueue } from '../functions/replay/replay';
import { ConcordError } from '../functions/shared/errors';

/** The options every ops command takes. */
/** A bucket, function or table the stage should have is not there: the stage is not deployed (or not this one). */
export class StageResourceNotFoundError extends ConcordError {
  override readonly name = 'StageResourceNotFoundError';
}

export const opsOptions = {
  endpoint: { type: 'string' },
  stage: { type: 'string' },
  profile: { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const opsOptionsHelp = `  --endpoint URL  an AWS-compatible endpoint (env AWS_ENDPOINT_URL; default: the embedded runtime on
                  127.0.0.1:$CONCORD_EDGE_PORT or 4566, when the stage is local)
  --stage NAME    local (default), dev, staging, prod: a real account through the AWS credential chain
  --profile NAME  the AWS shared-config profile to take credentials from (env AWS_PROFILE)
  --region NAME   the AWS region (env AWS_REGION)
  --json          JSON for scripts instead of a table`;

/** The stack a resource belongs to: its physical names begin `Concord-<stage>-<Stack>-`. */
export type ConcordStack = 'Stateless' | 'Stateful';

/**
 * How the physical names of a stage's resources begin: CloudFormation names them `<stack>-<logical id>-<suffix>`,
 * and Concord's stacks are `Concord-<stage>-Stateless` and `Concord-<stage>-Stateful`. The CLI discovers resources by
 * these prefixes; the functions never do (the stack gives them their resources' names).
 */
export function stackPrefix(stage: string, stack: ConcordStack, logicalName = ''): string {
  return `Concord-${stage}-${stack}-${logicalName}`;
}

/** Every queue of the stage that holds failures: rule and function DLQs, the exceptions and parking queues. */
export async function deadLetterQueueUrls(sqs: SQSClient, stage: string): Promise<string[]> {
  const urls: string[] = [];
  for (const stack of ['Stateless', 'Stateful'] as const) {
    let NextToken: string | undefined;
    do {
      const page = await sqs.send(
        new ListQueuesCommand({ QueueNamePrefix: stackPrefix(stage, stack), NextToken }),
      );
      urls.push(...(page.QueueUrls ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return urls.filter((url) => /Dlq|ExceptionsQueue|ParkingQueue/.test(queueNameOf(url))).sort();
}

/** The dead-letter queue of the stage a name, a unique part of a name, or a URL designates. */
export async function resolveQueue(sqs: SQSClient, stage: string, designation: string): Promise<string> {
  if (/^https?:\/\//.test(designation)) return designation;
  return pickQueue(await deadLetterQueueUrls(sqs, stage), designation);
}

/**
 * The replay dependencies of a stage, with the concrete journal (`concord audit` and the console search it), the
 * bus's archive (a reconciliation's replay plan) and the SQS client the queues adapter sends with.
 */
export interface OpsReplayDependencies extends ReplayDependencies, PlanRunDependencies {
  journal: OpsJournal;
  /** The client behind `queues`, the same as the context's (an end-to-end test injects a failure into it). */
  sqs: SQSClient;
}

/** The clients and names of one stage. */
export interface OpsContext {
  stage: string;
  sqs: SQSClient;
  /** The stage's dead-letter queues, through the port the replay use cases read them with. */
  deadLetters: DeadLetterQueues;
  dynamodb: DynamoDBClient;
  events: EventBridgeClient;
  s3: S3Client;
  lambda: LambdaClient;
  /** Step Functions: a replay's targets, and the executions `concord trace` and the console read. */
  sfn: SFNClient;
  athena: AthenaClient;
  /** Metrics and alarms (`concord status`). */
  cloudwatch: CloudWatchClient;
  /** The functions' log groups (`concord trace`). */
  logs: CloudWatchLogsClient;
  /** The physical name of a stateful bucket, by its lower-cased logical id (warehousebucket, rawarchivebucket, …). */
  bucketName(logicalName: string): Promise<string>;
  /** The physical name of a stateless function (Reconcile, Replay, …). */
  functionName(logicalName: string): Promise<string>;
  /** The physical name of a stateful table (OpsAuditTable, VersionTable, …). */
  tableName(logicalName: string): Promise<string>;
  /**
   * Who is acting, as the credentials say (STS GetCallerIdentity): the name an audit entry records. Never taken
   * from a flag, so that the audit names the person the account knows, not the one they typed.
   */
  operator(): Promise<string>;
  deps(): Promise<OpsReplayDependencies>;
  close(): void;
}

/** The operator's name from a caller identity ARN: one rule for the CLI, the console and the Replay function. */
export { operatorOf };

export function opsContext(values: {
  endpoint?: string;
  stage?: string;
  profile?: string;
  region?: string;
}): OpsContext {
  const stage = values.stage ?? 'local';
  const endpoint =
    values.endpoint ??
    process.env.AWS_ENDPOINT_URL ??
    (stage === 'local' ? `http://127.0.0.1:${process.env.CONCORD_EDGE_PORT ?? '4566'}` : undefined);
  const config = endpoint
    ? {
        endpoint,
        region: values.region ?? process.env.AWS_REGION ?? 'us-east-1',
        credentials: {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
        },
      }
    : { region: values.region, profile: values.profile };
  const sqs = new SQSClient(config);
  const dynamodb = new DynamoDBClient(config);
  const events = new EventBridgeClient(config);
  // Path-style: a local endpoint has no per-bucket host names.
  const s3 = new S3Client({ ...config, forcePathStyle: Boolean(endpoint) });
  const lambda = new LambdaClient(config);
  // The targets a dead letter may record: a replay delivers to the one that failed.
  const sfn = new SFNClient(config);
  const firehose = new FirehoseClient(config);
  const bucketName = async (logicalName: string): Promise<string> => {
    const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
    const found = Buckets.find((candidate) =>
      candidate.Name?.startsWith(`concord-${stage}-stateful-${logicalName}`),
    )?.Name;
    if (!found) throw new StageResourceNotFoundError(`no ${logicalName} for stage ${stage}: is it deployed?`);
    return found;
  };
  const athena = new AthenaClient(config);
  const cloudwatch = new CloudWatchClient(config);
  const logs = new CloudWatchLogsClient(config);
  const sts = new STSClient(config);
  let operator: Promise<string> | undefined;
  const functionName = async (logicalName: string): Promise<string> => {
    const prefix = stackPrefix(stage, 'Stateless', logicalName);
    let Marker: string | undefined;
    do {
      const page = await lambda.send(new ListFunctionsCommand({ Marker }));
      const found = page.Functions?.find((candidate) => candidate.FunctionName?.startsWith(prefix));
      if (found?.FunctionName) return found.FunctionName;
      Marker = page.NextMarker;
    } while (Marker);
    throw new StageResourceNotFoundError(
      `no ${logicalName} function for stage ${stage}${endpoint ? ` at ${endpoint}` : ''}: is it deployed?`,
    );
  };
  const table = async (logicalName: string): Promise<string> => {
    const prefix = stackPrefix(stage, 'Stateful', logicalName);
    let ExclusiveStartTableName: string | undefined;
    do {
      const page = await dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName }));
      const found = page.TableNames?.find((name) => name.startsWith(prefix));
      if (found) return found;
      ExclusiveStartTableName = page.LastEvaluatedTableName;
    } while (ExclusiveStartTableName);
    throw new StageResourceNotFoundError(
      `no ${logicalName} table for stage ${stage}${endpoint ? ` at ${endpoint}` : ''}: is it deployed?`,
    );
  };
  const deadLetters = new SqsDeadLetterQueues(sqs);
  const busName = `concord-${stage}`;
  return {
    stage,
    sqs,
    deadLetters,
    dynamodb,
    events,
    s3,
    lambda,
    sfn,
    athena,
    cloudwatch,
    logs,
    bucketName,
    functionName,
    tableName: table,
    operator() {
      operator ??= sts.send(new GetCallerIdentityCommand({})).then(({ Arn }) => {
        if (!Arn)
          throw new CallerNotVerifiedError(
            'STS GetCallerIdentity named no caller: cannot tell who is acting',
          );
        return operatorOf(Arn);
      });
      return operator;
    },
    async deps() {
      const [auditTable, versionTable] = await Promise.all([table('OpsAuditTable'), table('VersionTable')]);
      const versions = new DynamoDbAppliedVersions(dynamodb, versionTable);
      return {
        queues: deadLetters,
        sqs,
        bus: new EventBridgeReplayBus(events, busName),
        busName,
        busArchive: new EventBridgeBusArchive(events, busName),
        journal: new OpsJournal(dynamodb, auditTable),
        targets: new AwsTargetDeliverer({ events, sqs, sfn, lambda, firehose }),
        appliedVersion: (subject: string) => versions.appliedVersion(subject),
      };
    },
    close() {
      sqs.destroy();
      dynamodb.destroy();
      events.destroy();
      s3.destroy();
      lambda.destroy();
      athena.destroy();
      cloudwatch.destroy();
      logs.destroy();
      sfn.destroy();
      firehose.destroy();
      sts.destroy();
    },
  };
}
