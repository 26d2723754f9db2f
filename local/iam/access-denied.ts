/** The refusal AWS answers when IAM denies a call: each service's error code and status, and IAM's message. */
import { AwsError } from '../edge/aws-error';
import type { AuthorizationDecision } from './policy-evaluation';

/** How a service spells its access-denied error (the code SDKs surface as the error's name) and its HTTP status. */
const refusals: Record<string, { code: string; status: number; queryCode?: string }> = {
  s3: { code: 'AccessDenied', status: 403 },
  // SQS answers in JSON but keeps its Query code for compatibility (x-amzn-query-error), which SDK v3 surfaces.
  sqs: { code: 'AccessDenied', status: 403, queryCode: 'AccessDenied' },
  sns: { code: 'AuthorizationError', status: 403 },
  monitoring: { code: 'AccessDenied', status: 403 },
  cloudwatch: { code: 'AccessDenied', status: 403 },
  lambda: { code: 'AccessDeniedException', status: 403 },
};

/** A call IAM refused; carries the service's error code so the edge and Step Functions render it as AWS would. */
export class AccessDeniedError extends AwsError {
  override readonly name = 'AccessDeniedError';

  constructor(
    /** The IAM service prefix of the call (sqs, dynamodb, …). */
    readonly service: string,
    message: string,
  ) {
    const refusal = refusals[service] ?? { code: 'AccessDeniedException', status: 400 };
    super(refusal.code, message, refusal.status, refusal.queryCode);
  }
}

/**
 * IAM's message: "User: <session ARN> is not authorized to perform: <action> on resource: <ARN> because …", with
 * the reason AWS gives for a missing allow or an explicit deny. SNS names the action in upper case (SNS:Publish)
 * and S3 quotes the resource, as they do on AWS.
 */
export function accessDeniedMessage(
  user: string,
  service: string,
  action: string,
  resource: string,
  decision: Exclude<AuthorizationDecision, { effect: 'Allow' }>,
): string {
  const shownAction = service === 'sns' ? action.replace(/^sns:/, 'SNS:') : action;
  const shownResource = service === 's3' ? `"${resource}"` : resource;
  const reason =
    decision.effect === 'ExplicitDeny'
      ? `with an explicit deny in ${decision.by === 'identity' ? 'an identity-based' : 'a resource-based'} policy`
      : `because no identity-based policy allows the ${shownAction} action`;
  return `User: ${user} is not authorized to perform: ${shownAction} on resource: ${shownResource} ${reason}`;
}
