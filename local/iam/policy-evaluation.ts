/** IAM's evaluation logic for calls within one account: explicit deny wins, then any allow (identity or resource policy), else deny. */
import { type ConditionContext, conditionHolds, wildcardMatch } from './condition-operators';
import type { PolicyDocument, PolicyPrincipal, PolicyStatement } from './policy-document';

/** Who makes a call: a role session (a function, a state machine, a rule target's role) or an AWS service principal. */
export type CallerPrincipal =
  | {
      kind: 'role';
      /** The role's ARN (arn:aws:iam::ACCOUNT:role/NAME). */
      roleArn: string;
      /** The session's ARN (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION), the "User" of AWS's message. */
      sessionArn: string;
      accountId: string;
    }
  | { kind: 'service'; service: string; accountId: string };

/** One authorization question: may the principal perform the action on the resource, in this context. */
export interface AuthorizationRequest {
  principal: CallerPrincipal;
  /** `service:Operation`, e.g. `sqs:SendMessage`. */
  action: string;
  /** The resource ARN, or `*` for actions without a resource. */
  resource: string;
  context: ConditionContext;
}

/** The outcome, and which kind of policy decided it (for AWS's wording of the refusal). */
export type AuthorizationDecision =
  | { effect: 'Allow' }
  | { effect: 'ExplicitDeny'; by: 'identity' | 'resource' }
  | { effect: 'ImplicitDeny' };

function actionMatches(statement: PolicyStatement, action: string): boolean {
  // Actions are case-insensitive, resources are not.
  if (statement.Action) return statement.Action.some((pattern) => wildcardMatch(pattern, action, true));
  return !(statement.NotAction ?? []).some((pattern) => wildcardMatch(pattern, action, true));
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.Resource) return statement.Resource.some((pattern) => wildcardMatch(pattern, resource));
  if (statement.NotResource)
    return !statement.NotResource.some((pattern) => wildcardMatch(pattern, resource));
  // A resource policy may leave Resource out: it applies to the resource it is attached to.
  return true;
}

function principalNames(principal: CallerPrincipal): { aws: string[]; service?: string } {
  if (principal.kind === 'service') return { aws: [], service: principal.service };
  const roleName = principal.roleArn.split('/').at(-1) ?? '';
  return {
    aws: [principal.roleArn, principal.sessionArn, `arn:aws:iam::${principal.accountId}:role/${roleName}`],
  };
}

/**
 * Whether a resource policy's principal names the caller itself. The account root (or a bare account id) only
 * delegates to the account's identity policies: within the account, it allows nothing by itself.
 */
function principalNamesCaller(principal: PolicyPrincipal, caller: CallerPrincipal): boolean {
  const names = principalNames(caller);
  if (names.service)
    return (principal.Service ?? []).includes(names.service) || (principal.AWS ?? []).includes('*');
  return (principal.AWS ?? []).some((name) => name === '*' || names.aws.includes(name));
}

function principalCoversCaller(principal: PolicyPrincipal, caller: CallerPrincipal): boolean {
  if (principalNamesCaller(principal, caller)) return true;
  // For a Deny, the account root covers every principal of the account.
  const root = [`arn:aws:iam::${caller.accountId}:root`, caller.accountId];
  return caller.kind === 'role' && (principal.AWS ?? []).some((name) => root.includes(name));
}

function conditionsHold(statement: PolicyStatement, context: ConditionContext): boolean {
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    conditionHolds(operator, keys, context),
  );
}

function applies(
  statement: PolicyStatement,
  request: AuthorizationRequest,
  resourcePolicy: boolean,
): boolean {
  if (!actionMatches(statement, request.action) || !resourceMatches(statement, request.resource))
    return false;
  if (resourcePolicy) {
    const covers = statement.Effect === 'Deny' ? principalCoversCaller : principalNamesCaller;
    if (statement.Principal && !covers(statement.Principal, request.principal)) return false;
    if (statement.NotPrincipal && principalCoversCaller(statement.NotPrincipal, request.principal))
      return false;
    if (!statement.Principal && !statement.NotPrincipal) return false;
  }
  return conditionsHold(statement, request.context);
}

/**
 * Evaluates a same-account request: an explicit Deny in any policy refuses; otherwise an Allow in an identity
 * policy or in the resource's policy (naming the caller) allows; otherwise the default is deny.
 */
export function evaluateAuthorization(
  request: AuthorizationRequest,
  identityPolicies: readonly PolicyDocument[],
  resourcePolicy?: PolicyDocument,
): AuthorizationDecision {
  const identity = identityPolicies.flatMap((policy) => policy.Statement);
  const resource = resourcePolicy?.Statement ?? [];
  if (identity.some((statement) => statement.Effect === 'Deny' && applies(statement, request, false)))
    return { effect: 'ExplicitDeny', by: 'identity' };
  if (resource.some((statement) => statement.Effect === 'Deny' && applies(statement, request, true)))
    return { effect: 'ExplicitDeny', by: 'resource' };
  const allowed =
    identity.some((statement) => statement.Effect === 'Allow' && applies(statement, request, false)) ||
    resource.some((statement) => statement.Effect === 'Allow' && applies(statement, request, true));
  return allowed ? { effect: 'Allow' } : { effect: 'ImplicitDeny' };
}
