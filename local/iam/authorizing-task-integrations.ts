/** Step Functions tasks authorized as the state machine's role before they reach a service, as Step Functions does on AWS. */
import type { TaskIntegrations } from '../asl/interpreter';
import { StatesError } from '../asl/states-error';
import type { ResourceSupport } from '../services/states/task-integrations';
import { AccessDeniedError } from './access-denied';
import type { IamAuthorizer } from './iam-authorizer';
import { type ArnContext, type RequiredPermission, requiredPermissions } from './operation-actions';

/** The IAM service prefix of an SDK integration's service name, where they differ. */
const iamPrefixes: Record<string, string> = { sfn: 'states', eventbridge: 'events' };

/** The States error prefix of each service's failures, as Step Functions names them. */
const errorPrefixes: Record<string, string> = {
  lambda: 'Lambda',
  dynamodb: 'DynamoDB',
  sqs: 'SQS',
  events: 'EventBridge',
  states: 'StepFunctions',
  sns: 'SNS',
};

/** What a Task's resource asks IAM for: its service (IAM prefix), the States error prefix, and the permissions. */
export function taskPermissions(
  resource: string,
  input: unknown,
  arns: ArnContext,
): { service: string; errorPrefix: string; permissions: RequiredPermission[] } | undefined {
  const params = (input ?? {}) as Record<string, unknown>;
  if (resource.startsWith('arn:aws:lambda:'))
    return {
      service: 'lambda',
      errorPrefix: 'Lambda',
      permissions: requiredPermissions('lambda', 'Invoke', { FunctionName: resource }, arns),
    };
  const match = /^arn:aws:states:::(aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)(\.sync(?::2)?)?$/.exec(resource);
  if (!match) return undefined;
  const [, sdk, sdkService = '', action = ''] = match;
  const service = iamPrefixes[sdkService] ?? sdkService;
  const operation = action.charAt(0).toUpperCase() + action.slice(1);
  const errorPrefix = sdk
    ? sdkService === 'dynamodb'
      ? 'DynamoDb'
      : sdkService.charAt(0).toUpperCase() + sdkService.slice(1)
    : (errorPrefixes[service] ?? service);
  return { service, errorPrefix, permissions: requiredPermissions(service, operation, params, arns) };
}

/** Wraps the integrations so that every task is authorized as its execution's role before it runs. */
export function authorizingTaskIntegrations(
  inner: TaskIntegrations & Partial<ResourceSupport>,
  authorizer: IamAuthorizer,
  arns: ArnContext,
): TaskIntegrations & Partial<ResourceSupport> {
  return {
    // Which resources can run does not depend on who runs them (ValidateStateMachineDefinition asks).
    ...(inner.unsupportedReason
      ? { unsupportedReason: (resource: string) => inner.unsupportedReason?.(resource) }
      : {}),
    async run(resource, input, options) {
      const role =
        options.session && authorizer.roleSession(options.session.roleArn, options.session.sessionName);
      const needed = role ? taskPermissions(resource, input, arns) : undefined;
      if (role && needed) {
        try {
          authorizer.authorizeRole(role, needed.service, needed.permissions);
        } catch (error) {
          if (!(error instanceof AccessDeniedError)) throw error;
          // The task fails with the service's error name, the cause carrying IAM's message, as on AWS.
          throw new StatesError(`${needed.errorPrefix}.${error.code}`, error.message);
        }
      }
      return inner.run(resource, input, options);
    },
    awaitTaskToken: (token, options) => inner.awaitTaskToken(token, options),
  };
}
