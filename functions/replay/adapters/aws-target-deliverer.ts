/**
 * The {@link TargetDeliverer} port on AWS: delivers a dead letter to the one target that failed it, as EventBridge or
 * Lambda would have: the rule's input settings applied to the event, then StartExecution, an asynchronous Invoke,
 * PutRecord, SendMessage or PutEvents. Replaying the warehouse's dead letters thus feeds the warehouse only, and
 * re-runs no business flow.
 */
import {
  type EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { type FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { targetInput } from '../../shared/bus/target-input';
import { isBusEvent, type RecordedTarget } from '../dead-letters';
import type { ReplayMetadata, TargetDeliverer } from '../ports';

/** The clients that reach each kind of target. */
export interface TargetClients {
  events: EventBridgeClient;
  sfn: SFNClient;
  lambda: LambdaClient;
  firehose: FirehoseClient;
  sqs: SQSClient;
}

/** The recorded target is of a service the replayer cannot deliver to. */
export class UnsupportedTargetError extends Error {
  override readonly name = 'UnsupportedTargetError';
  constructor(readonly targetArn: string) {
    super(
      `Replay cannot deliver to ${targetArn}: only state machines, functions, delivery streams, queues and buses`,
    );
  }
}

/** The rule no longer routes to the recorded target (it was removed or changed since the failure). */
export class TargetNotFoundError extends Error {
  override readonly name = 'TargetNotFoundError';
  constructor(
    readonly ruleArn: string,
    readonly targetArn: string,
    options?: { cause?: unknown },
  ) {
    super(`Rule ${ruleArn} has no target ${targetArn} any more: the message stays in its queue`, options);
  }
}

/** The target refused the delivery. */
export class TargetRefusedError extends Error {
  override readonly name = 'TargetRefusedError';
}

interface ParsedArn {
  service: string;
  region: string;
  account: string;
  resource: string;
}

function parseArn(arn: string): ParsedArn {
  const [prefix, , service = '', region = '', account = '', ...resource] = arn.split(':');
  if (prefix !== 'arn' || !service) throw new UnsupportedTargetError(arn);
  return { service, region, account, resource: resource.join(':') };
}

/** The rule's bus and name: `rule/<name>` on the default bus, `rule/<bus>/<name>` on another. */
export function ruleOf(ruleArn: string): { eventBusName?: string; name: string } {
  const path = parseArn(ruleArn)
    .resource.replace(/^rule\//, '')
    .split('/');
  const name = path.pop() ?? '';
  return path.length > 0 ? { eventBusName: path.join('/'), name } : { name };
}

/** What the target receives for the event: its Input, InputPath or InputTransformer applied, or the event itself. */
export function shapeInput(target: Target | undefined, event: unknown, ruleName: string): string {
  const transformer = target?.InputTransformer;
  return targetInput(
    {
      Input: target?.Input,
      InputPath: target?.InputPath,
      InputTransformer:
        transformer?.InputTemplate !== undefined
          ? { InputPathsMap: transformer.InputPathsMap, InputTemplate: transformer.InputTemplate }
          : undefined,
    },
    event as Record<string, unknown>,
    ruleName,
  );
}

/** The rule's settings for the target, read now: the message recorded only the two ARNs. */
async function describeTarget(
  events: EventBridgeClient,
  ruleArn: string,
  targetArn: string,
): Promise<Target> {
  const rule = ruleOf(ruleArn);
  let NextToken: string | undefined;
  try {
    do {
      const page = await events.send(
        new ListTargetsByRuleCommand({ Rule: rule.name, EventBusName: rule.eventBusName, NextToken }),
      );
      const found = page.Targets?.find((target) => target.Arn === targetArn);
      if (found) return found;
      NextToken = page.NextToken;
    } while (NextToken);
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException')
      throw new TargetNotFoundError(ruleArn, targetArn, { cause: error });
    throw error;
  }
  throw new TargetNotFoundError(ruleArn, targetArn);
}

/**
 * The input with the replay's metadata: on a bus event, inside its canonical event (the flows and the version gate
 * read `replayid` there); on a relay redrive, beside the entries.
 */
export function withReplayMetadata(input: unknown, metadata: ReplayMetadata): unknown {
  if (isBusEvent(input)) return { ...input, detail: { ...input.detail, ...metadata } };
  const request = input as Record<string, unknown> | null;
  if (typeof request === 'object' && request !== null && Array.isArray(request.redrive))
    return { ...request, replay: metadata };
  return input;
}

/** The delivery's id at the target: the execution ARN, the request id, the record id or the message id. */
export async function deliverToTarget(
  clients: TargetClients,
  recorded: RecordedTarget,
  metadata: ReplayMetadata,
): Promise<string> {
  const { service, resource, account } = parseArn(recorded.arn);
  const event = withReplayMetadata(recorded.input, metadata);
  const target = recorded.ruleArn
    ? await describeTarget(clients.events, recorded.ruleArn, recorded.arn)
    : undefined;
  const payload = recorded.ruleArn
    ? shapeInput(target, event, ruleOf(recorded.ruleArn).name)
    : JSON.stringify(event);
  switch (service) {
    case 'states': {
      const { executionArn } = await clients.sfn.send(
        new StartExecutionCommand({ stateMachineArn: recorded.arn, input: payload }),
      );
      return executionArn ?? '';
    }
    case 'lambda': {
      // `$LATEST` is what an unqualified ARN runs; the unqualified form is the one the replayer may invoke.
      const functionName = recorded.arn.replace(/:\$LATEST$/, '');
      const answer = await clients.lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: Buffer.from(payload),
        }),
      );
      if (answer.StatusCode !== 202)
        throw new TargetRefusedError(`Invoke of ${functionName} answered ${answer.StatusCode}`);
      return answer.$metadata?.requestId ?? '';
    }
    case 'firehose': {
      const { RecordId } = await clients.firehose.send(
        new PutRecordCommand({
          DeliveryStreamName: resource.replace(/^deliverystream\//, ''),
          Record: { Data: Buffer.from(payload) },
        }),
      );
      return RecordId ?? '';
    }
    case 'sqs': {
      const { QueueUrl } = await clients.sqs.send(
        new GetQueueUrlCommand({ QueueName: resource, QueueOwnerAWSAccountId: account }),
      );
      const group = target?.SqsParameters?.MessageGroupId;
      const { MessageId } = await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: payload,
          // A FIFO target: EventBridge deduplicates on the event id.
          ...(group
            ? {
                MessageGroupId: group,
                MessageDeduplicationId: String((event as { id?: unknown }).id ?? metadata.replayof),
              }
            : {}),
        }),
      );
      return MessageId ?? '';
    }
    case 'events': {
      // A bus target receives the event itself (EventBridge allows no input settings on one).
      if (!isBusEvent(event)) throw new TargetRefusedError(`${recorded.arn} takes bus events only`);
      const { FailedEntryCount, Entries = [] } = await clients.events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: recorded.arn,
              Source: String(event.source),
              DetailType: String(event['detail-type']),
              Detail: JSON.stringify(event.detail),
              ...(typeof event.time === 'string' ? { Time: new Date(event.time) } : {}),
              ...(Array.isArray(event.resources) ? { Resources: event.resources as string[] } : {}),
            },
          ],
        }),
      );
      if (FailedEntryCount)
        throw new TargetRefusedError(
          `PutEvents to ${recorded.arn} refused: ${Entries[0]?.ErrorCode} ${Entries[0]?.ErrorMessage}`,
        );
      return Entries[0]?.EventId ?? '';
    }
    default:
      throw new UnsupportedTargetError(recorded.arn);
  }
}

/** The {@link TargetDeliverer} port with the AWS clients of every kind of target. */
export class AwsTargetDeliverer implements TargetDeliverer {
  constructor(private readonly clients: TargetClients) {}

  deliver(recorded: RecordedTarget, metadata: ReplayMetadata): Promise<string> {
    return deliverToTarget(this.clients, recorded, metadata);
  }
}
