/** Step Functions Task resources routed to the local services: Lambda, EventBridge, SQS, DynamoDB, Step Functions, aws-sdk:*. */
import { randomUUID } from 'node:crypto';
import type { TaskIntegrations } from '../../asl/interpreter';
import { StatesError } from '../../asl/states-error';
import { AwsError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import { ThrottledError } from '../../lambda-host/function-host';
import type { EventsService } from '../events/events-service';
import type { FunctionNotFoundError, LambdaService } from '../lambda/lambda-service';
import type { SqsService } from '../sqs/sqs-service';
import type { StatesService } from './states-service';

/** Sends a DynamoDB JSON request (operation + input) to the local DynamoDB; resolves with its JSON answer. */
export type DynamoDbCall = (operation: string, input: unknown) => Promise<unknown>;

/** The local services a Task can reach. */
export interface IntegrationTargets {
  lambda: LambdaService;
  events: EventsService;
  sqs: SqsService;
  states: StatesService;
  dynamodb: DynamoDbCall;
  /** Other JSON-protocol services for aws-sdk:* (by SDK service name: firehose, secretsmanager, …). */
  json: Record<string, JsonService>;
}

const sdkHttpMetadata = { HttpStatusCode: 200, HttpHeaders: {} };

function serviceErrorName(service: string): string {
  const names: Record<string, string> = {
    dynamodb: 'DynamoDb',
    sqs: 'Sqs',
    sfn: 'Sfn',
    eventbridge: 'EventBridge',
    lambda: 'Lambda',
    firehose: 'Firehose',
    secretsmanager: 'SecretsManager',
    s3: 'S3',
  };
  return names[service] ?? service.charAt(0).toUpperCase() + service.slice(1);
}

function pascal(action: string): string {
  return action.charAt(0).toUpperCase() + action.slice(1);
}

async function asStatesError<T>(prefix: string, call: () => Promise<T> | T): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StatesError) throw error;
    if (error instanceof AwsError) throw new StatesError(`${prefix}.${error.code}`, error.message);
    if ((error as { code?: string })?.code)
      throw new StatesError(
        `${prefix}.${(error as { code: string }).code}`,
        String((error as Error).message),
      );
    throw new StatesError(`${prefix}.AmazonServiceException`, String((error as Error)?.message ?? error));
  }
}

/** Knows, before running anything, which Task resources the local services cannot run. */
export interface ResourceSupport {
  /** Why a Task resource (with or without `.waitForTaskToken`) cannot run locally, or undefined when it can. */
  unsupportedReason(resource: string): string | undefined;
}

/** Whether an integrations object can say which resources it cannot run. */
export function hasResourceSupport(value: unknown): value is ResourceSupport {
  return typeof (value as Partial<ResourceSupport> | undefined)?.unsupportedReason === 'function';
}

const optimizedResource = /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)(\.sync(?::2)?)?$/;

/** The optimized integrations `run` routes, by `service:action` (with `.sync`/`.sync:2` only where listed). */
const optimizedActions: Record<string, { sync: boolean }> = {
  'lambda:invoke': { sync: false },
  'events:putEvents': { sync: false },
  'sqs:sendMessage': { sync: false },
  'dynamodb:getItem': { sync: false },
  'dynamodb:putItem': { sync: false },
  'dynamodb:updateItem': { sync: false },
  'dynamodb:deleteItem': { sync: false },
  'states:startExecution': { sync: true },
};

/** The integration behaviour of each resource ARN, over the local services. */
export class LocalTaskIntegrations implements TaskIntegrations, ResourceSupport {
  constructor(private readonly targets: IntegrationTargets) {}

  unsupportedReason(resource: string): string | undefined {
    // The interpreter waits for the token itself; the resource without the suffix is what runs.
    const base = resource.replace(/\.waitForTaskToken$/, '');
    if (base.startsWith('arn:aws:lambda:')) return undefined;
    const match = optimizedResource.exec(base);
    if (!match) return `Resource ${base} is not supported by the embedded runtime`;
    const [, service = '', action = '', sync] = match;
    if (base.includes(':aws-sdk:')) {
      const local = ['dynamodb', 'sqs', 'eventbridge', 'sfn', ...Object.keys(this.targets.json)];
      if (sync || !local.includes(service))
        return `aws-sdk:${service}${sync ?? ''} is not supported by the embedded runtime (it serves aws-sdk:${local.join(', aws-sdk:')})`;
      return undefined;
    }
    const known = optimizedActions[`${service}:${action}`];
    if (!known || (sync && !known.sync)) return `Resource ${base} is not supported by the embedded runtime`;
    return undefined;
  }

  awaitTaskToken(): Promise<unknown> {
    throw new Error('awaitTaskToken is provided by the Step Functions service');
  }

  async run(
    resource: string,
    input: unknown,
    options: { signal: AbortSignal; taskToken?: string },
  ): Promise<unknown> {
    if (resource.startsWith('arn:aws:lambda:')) {
      const result = await this.invokeLambda(resource, input);
      return result.payload;
    }
    const match = /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)(\.sync(?::2)?)?$/.exec(
      resource,
    );
    if (!match)
      throw new StatesError('States.Runtime', `Resource ${resource} is not supported by the local runtime`);
    const [, service = '', action = '', sync] = match;
    const generic = resource.includes(':aws-sdk:');
    const params = (input ?? {}) as Record<string, unknown>;
    if (service === 'lambda' && action === 'invoke') {
      const result = await this.invokeLambda(String(params.FunctionName ?? ''), params.Payload ?? {});
      return {
        ExecutedVersion: '$LATEST',
        Payload: result.payload,
        SdkHttpMetadata: sdkHttpMetadata,
        SdkResponseMetadata: { RequestId: result.requestId },
        StatusCode: 200,
      };
    }
    if (generic) return this.awsSdk(service, action, params);
    switch (`${service}:${action}`) {
      case 'events:putEvents': {
        const entries = ((params.Entries as Record<string, unknown>[]) ?? []).map((entry) => ({
          ...entry,
          Detail: typeof entry.Detail === 'string' ? entry.Detail : JSON.stringify(entry.Detail ?? {}),
        }));
        return asStatesError('EventBridge', () => this.targets.events.putEvents(entries));
      }
      case 'sqs:sendMessage': {
        const body =
          typeof params.MessageBody === 'string' ? params.MessageBody : JSON.stringify(params.MessageBody);
        const queueName =
          String(params.QueueUrl ?? '')
            .split('/')
            .at(-1) ?? '';
        const result = await asStatesError('SQS', () =>
          this.targets.sqs.sendMessage(this.targets.sqs.queue(queueName), { ...params, MessageBody: body }),
        );
        return {
          ...result,
          SdkHttpMetadata: sdkHttpMetadata,
          SdkResponseMetadata: { RequestId: randomUUID() },
        };
      }
      case 'dynamodb:getItem':
      case 'dynamodb:putItem':
      case 'dynamodb:updateItem':
      case 'dynamodb:deleteItem':
        return asStatesError('DynamoDB', () => this.targets.dynamodb(pascal(action), params));
      case 'states:startExecution': {
        const inputText =
          typeof params.Input === 'string' ? params.Input : JSON.stringify(params.Input ?? {});
        const started = await asStatesError('StepFunctions', () =>
          this.targets.states.startExecution({
            stateMachineArn: params.StateMachineArn,
            name: params.Name,
            input: inputText,
          }),
        );
        if (!sync)
          return {
            ExecutionArn: started.executionArn,
            StartDate: started.startDate,
            SdkHttpMetadata: sdkHttpMetadata,
          };
        const done = await this.targets.states.waitForExecution(started.executionArn, options.signal);
        if (done.status !== 'SUCCEEDED') throw new StatesError('States.TaskFailed', JSON.stringify(done));
        const output = sync === '.sync:2' ? JSON.parse(done.output ?? 'null') : done.output;
        return {
          ExecutionArn: done.executionArn,
          Input: sync === '.sync:2' ? JSON.parse(done.input) : done.input,
          Name: done.name,
          Output: output,
          StartDate: done.startDate,
          StateMachineArn: done.stateMachineArn,
          Status: done.status,
          StopDate: done.stopDate,
        };
      }
      default:
        throw new StatesError('States.Runtime', `Resource ${resource} is not supported by the local runtime`);
    }
  }

  private async invokeLambda(
    nameOrArn: string,
    payload: unknown,
  ): Promise<{ payload: unknown; requestId: string }> {
    let result: Awaited<ReturnType<LambdaService['invoke']>>;
    try {
      result = await this.targets.lambda.invoke(nameOrArn, JSON.stringify(payload ?? {}));
    } catch (error) {
      if (error instanceof ThrottledError)
        throw new StatesError('Lambda.TooManyRequestsException', error.message);
      if ((error as FunctionNotFoundError).name === 'FunctionNotFoundError')
        throw new StatesError('Lambda.ResourceNotFoundException', (error as Error).message);
      throw new StatesError('Lambda.ServiceException', String((error as Error)?.message ?? error));
    }
    if (result.functionError) {
      let errorType = 'Lambda.Unknown';
      try {
        errorType = (JSON.parse(result.payload) as { errorType?: string }).errorType ?? errorType;
      } catch {
        // keep Lambda.Unknown
      }
      throw new StatesError(errorType, result.payload);
    }
    return { payload: JSON.parse(result.payload), requestId: result.requestId };
  }

  private async awsSdk(service: string, action: string, params: Record<string, unknown>): Promise<unknown> {
    const prefix = serviceErrorName(service);
    const operation = pascal(action);
    if (service === 'dynamodb') return asStatesError(prefix, () => this.targets.dynamodb(operation, params));
    const local: Record<string, JsonService> = {
      sqs: this.targets.sqs,
      eventbridge: this.targets.events,
      sfn: this.targets.states,
      ...this.targets.json,
    };
    const target = local[service];
    if (!target)
      throw new StatesError('States.Runtime', `aws-sdk:${service} is not supported by the local runtime`);
    // The SDK integration speaks each API in PascalCase; Step Functions' own API is camelCase.
    const input =
      service === 'sfn'
        ? Object.fromEntries(
            Object.entries(params).map(([key, value]) => [key.charAt(0).toLowerCase() + key.slice(1), value]),
          )
        : params;
    const result = await asStatesError(prefix, () => target.handle(operation, input));
    if (service === 'sfn' && result && typeof result === 'object') {
      return Object.fromEntries(
        Object.entries(result).map(([key, value]) => [key.charAt(0).toUpperCase() + key.slice(1), value]),
      );
    }
    return result;
  }
}
