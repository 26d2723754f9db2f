/** Enforces the deployed IAM on calls: a role session's calls at the edge and in Step Functions tasks, and service principals' deliveries. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../edge/aws-error';
import { sendJsonError } from '../edge/edge-server';
import { AccessDeniedError, accessDeniedMessage } from './access-denied';
import type { ConditionContext } from './condition-operators';
import { type IamRegistry, type RoleSession, roleArnOf, sessionArnOf } from './iam-registry';
import {
  type ArnContext,
  lambdaPermissions,
  type RequiredPermission,
  requiredPermissions,
  s3Permissions,
} from './operation-actions';
import type { PolicyDocument } from './policy-document';
import { type CallerPrincipal, evaluateAuthorization } from './policy-evaluation';

/** The IAM service prefix of each AWS JSON protocol target prefix the edge serves. */
const servicesByTarget: Record<string, string> = {
  AWSEvents: 'events',
  AmazonSQS: 'sqs',
  AWSStepFunctions: 'states',
  Firehose_20150804: 'firehose',
  secretsmanager: 'secretsmanager',
  AmazonAthena: 'athena',
  AWSGlue: 'glue',
  GraniteServiceVersion20100801: 'cloudwatch',
  Logs_20140328: 'logs',
  DynamoDB_20120810: 'dynamodb',
  AWSSecurityTokenServiceV20110615: 'sts',
};

/**
 * The access policy SNS gives a topic that has no policy of its own: the owning account may use the topic, and so
 * may AWS services acting for it (their `AWS:SourceOwner` is the account).
 */
function defaultTopicPolicy(topicArn: string, accountId: string): PolicyDocument {
  return {
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: ['*'] },
        Action: ['SNS:Publish', 'SNS:Subscribe', 'SNS:Receive', 'SNS:GetTopicAttributes'],
        Resource: [topicArn],
        Condition: { StringEquals: { 'AWS:SourceOwner': [accountId] } },
      },
    ],
  };
}

/** Whether enforcement is on: it is unless `CONCORD_IAM_ENFORCEMENT=off` (or `false`, `0`) says otherwise. */
export function iamEnforcementFromEnvironment(environment: NodeJS.ProcessEnv = process.env): boolean {
  const value = environment.CONCORD_IAM_ENFORCEMENT?.trim().toLowerCase();
  return !(value === 'off' || value === 'false' || value === '0');
}

function xmlEscape(value: string): string {
  return value.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The deployed IAM, evaluated on every call that carries a role's identity. */
export class IamAuthorizer {
  /** The role session the edge request being served is signed as: services acting with the caller's rights ask. */
  private readonly callers = new AsyncLocalStorage<RoleSession | undefined>();

  constructor(
    readonly registry: IamRegistry,
    private readonly arns: ArnContext,
    /** Off: every call is allowed, as before IAM was enforced (CONCORD_IAM_ENFORCEMENT=off). */
    readonly enabled: boolean,
  ) {}

  private context(principal: CallerPrincipal, extra: ConditionContext = {}): ConditionContext {
    return {
      // The edge stands in for AWS's HTTPS endpoints: a policy denying plain-HTTP calls must not deny local ones.
      'aws:SecureTransport': 'true',
      'aws:PrincipalAccount': principal.accountId,
      'aws:RequestedRegion': this.arns.region,
      'aws:CurrentTime': new Date().toISOString(),
      ...(principal.kind === 'role'
        ? { 'aws:PrincipalArn': principal.roleArn, 'aws:PrincipalType': 'AssumedRole' }
        : { 'aws:PrincipalServiceName': principal.service }),
      ...extra,
    };
  }

  /** Logs a refusal where the operator looks (the runtime's console), as CloudTrail records AccessDenied on AWS. */
  private refused(error: AccessDeniedError): AccessDeniedError {
    console.warn(`[iam] refused: ${error.message}`);
    return error;
  }

  /** Throws AccessDeniedError unless the role session may perform every permission the call needs. */
  authorizeRole(session: RoleSession, service: string, permissions: RequiredPermission[]): void {
    if (!this.enabled) return;
    const principal: CallerPrincipal = {
      kind: 'role',
      roleArn: session.roleArn,
      sessionArn: sessionArnOf(session),
      accountId: this.arns.accountId,
    };
    const identity = this.registry.identityPolicies(session.roleArn);
    for (const { action, resource } of permissions) {
      const decision = evaluateAuthorization(
        { principal, action, resource, context: this.context(principal) },
        identity,
        resource === '*' ? undefined : this.resourcePolicyOf(resource),
      );
      if (decision.effect !== 'Allow')
        throw this.refused(
          new AccessDeniedError(
            service,
            accessDeniedMessage(principal.sessionArn, service, action, resource, decision),
          ),
        );
    }
  }

  /**
   * Throws AccessDeniedError unless the resource's policy lets an AWS service (events.amazonaws.com delivering a
   * rule's event, sns.amazonaws.com a topic's message) perform the action on behalf of the source ARN.
   */
  authorizeServicePrincipal(
    servicePrincipal: string,
    sourceArn: string,
    permission: RequiredPermission,
  ): void {
    if (!this.enabled) return;
    const principal: CallerPrincipal = {
      kind: 'service',
      service: servicePrincipal,
      accountId: this.arns.accountId,
    };
    const service = permission.action.split(':')[0] ?? '';
    const decision = evaluateAuthorization(
      {
        principal,
        ...permission,
        context: this.context(principal, {
          'aws:SourceArn': sourceArn,
          'aws:SourceAccount': this.arns.accountId,
        }),
      },
      [],
      this.resourcePolicyOf(permission.resource),
    );
    if (decision.effect !== 'Allow')
      throw this.refused(
        new AccessDeniedError(
          service,
          accessDeniedMessage(servicePrincipal, service, permission.action, permission.resource, decision),
        ),
      );
  }

  /** The permission a delivery to a target ARN needs (a rule's target, a function's destination). */
  private deliveryPermission(targetArn: string): RequiredPermission | undefined {
    const [, , service = '', , , ...rest] = targetArn.split(':');
    const actions: Record<string, string> = {
      sqs: 'sqs:SendMessage',
      lambda: 'lambda:InvokeFunction',
      states: 'states:StartExecution',
      firehose: 'firehose:PutRecord',
      events: 'events:PutEvents',
      sns: 'sns:Publish',
    };
    const action = actions[service];
    return action && rest.length > 0 ? { action, resource: targetArn } : undefined;
  }

  /**
   * Authorizes a deployed rule's delivery to a target as EventBridge does: as the target's role when it has one,
   * otherwise as events.amazonaws.com through the target's resource policy (a queue policy, a Lambda permission).
   */
  authorizeRuleTarget(ruleArn: string, targetArn: string, roleArn?: string): void {
    if (!this.enabled || !this.registry.isDeployedRule(ruleArn)) return;
    const permission = this.deliveryPermission(targetArn);
    if (!permission) return;
    const service = permission.action.split(':')[0] ?? '';
    if (roleArn) {
      const session = this.roleSession(roleArn, `events-${ruleArn.split('/').at(-1)}`.slice(0, 64));
      if (!session)
        throw new AccessDeniedError(
          service,
          `EventBridge cannot assume the role ${roleArn}: it is not deployed`,
        );
      this.authorizeRole(session, service, [permission]);
    } else this.authorizeServicePrincipal('events.amazonaws.com', ruleArn, permission);
  }

  /**
   * The ARN API Gateway names itself by (`aws:SourceArn`) when an HTTP API route invokes its integration:
   * `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH`, or `…/API/STAGE/$default` for the catch-all route.
   */
  apiSourceArn(apiId: string, stage: string, routeKey: string, requestMethod: string): string {
    const [routeMethod = '', routePath = ''] = routeKey.split(' ');
    const tail =
      routeKey === '$default'
        ? '$default'
        : `${routeMethod === 'ANY' ? requestMethod : routeMethod}${routePath}`;
    return `arn:aws:execute-api:${this.arns.region}:${this.arns.accountId}:${apiId}/${stage}/${tail}`;
  }

  /**
   * Authorizes an HTTP API's Lambda proxy integration as API Gateway does before invoking: as the integration's
   * credentials role when it names one, otherwise as apigateway.amazonaws.com through the function's resource
   * policy (an `AWS::Lambda::Permission` whose `SourceArn` covers the route).
   */
  authorizeApiIntegration(sourceArn: string, functionArn: string, credentialsArn?: string): void {
    if (!this.enabled) return;
    const permission = { action: 'lambda:InvokeFunction', resource: functionArn };
    if (!credentialsArn) {
      this.authorizeServicePrincipal('apigateway.amazonaws.com', sourceArn, permission);
      return;
    }
    const session = this.roleSession(credentialsArn, 'apigateway');
    if (!session)
      throw this.refused(
        new AccessDeniedError(
          'lambda',
          `API Gateway cannot assume the role ${credentialsArn}: it is not deployed`,
        ),
      );
    this.authorizeRole(session, 'lambda', [permission]);
  }

  /**
   * Authorizes SNS delivering a topic's message to a subscribed queue or function: sns.amazonaws.com through the
   * queue's policy (`sqs:SendMessage`) or the function's (`lambda:InvokeFunction`), `aws:SourceArn` the topic.
   * Other protocols (HTTP, email) need no grant.
   */
  authorizeSubscriptionDelivery(topicArn: string, protocol: string, endpoint: string): void {
    const action =
      protocol === 'sqs' ? 'sqs:SendMessage' : protocol === 'lambda' ? 'lambda:InvokeFunction' : undefined;
    if (!action) return;
    this.authorizeServicePrincipal('sns.amazonaws.com', topicArn, { action, resource: endpoint });
  }

  /**
   * Authorizes an alarm's SNS action as CloudWatch publishes: cloudwatch.amazonaws.com (`aws:SourceArn` the alarm)
   * through the topic's policy. A topic without an `AWS::SNS::TopicPolicy` keeps SNS's default policy, which lets
   * the owning account (and services acting for it, `AWS:SourceOwner`) publish: same-account alarms work as on AWS.
   */
  authorizeAlarmAction(alarmArn: string, topicArn: string): void {
    if (!this.enabled) return;
    const principal: CallerPrincipal = {
      kind: 'service',
      service: 'cloudwatch.amazonaws.com',
      accountId: this.arns.accountId,
    };
    const policy =
      this.registry.resourcePolicy(topicArn) ?? defaultTopicPolicy(topicArn, this.arns.accountId);
    const decision = evaluateAuthorization(
      {
        principal,
        action: 'sns:Publish',
        resource: topicArn,
        context: this.context(principal, {
          'aws:SourceArn': alarmArn,
          'aws:SourceAccount': this.arns.accountId,
          'AWS:SourceOwner': this.arns.accountId,
        }),
      },
      [],
      policy,
    );
    if (decision.effect !== 'Allow')
      throw this.refused(
        new AccessDeniedError(
          'sns',
          accessDeniedMessage('cloudwatch.amazonaws.com', 'sns', 'sns:Publish', topicArn, decision),
        ),
      );
  }

  /**
   * Authorizes Firehose writing an object of a delivery stream to its S3 bucket as the stream's role
   * (`s3:PutObject` on the object). A role that is not deployed (a stream an operator created naming any ARN) is not
   * evaluated, as operators' calls act as the account's administrator locally.
   */
  authorizeFirehoseWrite(roleArn: string | undefined, streamName: string, bucket: string, key: string): void {
    if (!this.enabled || !roleArn) return;
    const session = this.roleSession(roleArn, `firehose-${streamName}`.slice(0, 64));
    if (!session) return;
    this.authorizeRole(session, 's3', [
      { action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/${key}` },
    ]);
  }

  /**
   * Why Athena may not run a query for the calling role session, in Athena's words (the failed query's
   * StateChangeReason), or undefined when it may: Athena reads the catalog (`glue:GetDatabase`, `glue:GetTable`),
   * lists and reads the tables' data (`s3:ListBucket`, `s3:GetObject`) and writes the results (`s3:PutObject`) with
   * the caller's rights. The operator's calls (no role session) act as the account's administrator.
   */
  athenaQueryRefusal(query: {
    database: string;
    tables: { name: string; location?: string }[];
    outputLocation?: string;
  }): string | undefined {
    const session = this.callers.getStore();
    if (!this.enabled || !session) return undefined;
    const glue = `arn:aws:glue:${this.arns.region}:${this.arns.accountId}`;
    const s3Path = (location: string) => location.replace(/^s3:\/\//, '').replace(/\/?$/, '/');
    try {
      this.authorizeRole(session, 'glue', [
        { action: 'glue:GetDatabase', resource: `${glue}:database/${query.database}` },
        ...query.tables.map((table) => ({
          action: 'glue:GetTable',
          resource: `${glue}:table/${query.database}/${table.name}`,
        })),
      ]);
    } catch (error) {
      if (!(error instanceof AccessDeniedError)) throw error;
      return `Insufficient permissions to execute the query. ${error.message} (Service: AWSGlue; Status Code: 400; Error Code: AccessDeniedException)`;
    }
    for (const table of query.tables) {
      if (!table.location) continue;
      const path = s3Path(table.location);
      const bucket = path.split('/')[0] ?? '';
      try {
        this.authorizeRole(session, 's3', [
          { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` },
          { action: 's3:GetObject', resource: `arn:aws:s3:::${path}*` },
        ]);
      } catch (error) {
        if (!(error instanceof AccessDeniedError)) throw error;
        return `Permission denied on S3 path: s3://${path}`;
      }
    }
    if (query.outputLocation) {
      const path = s3Path(query.outputLocation);
      try {
        this.authorizeRole(session, 's3', [{ action: 's3:PutObject', resource: `arn:aws:s3:::${path}*` }]);
      } catch (error) {
        if (!(error instanceof AccessDeniedError)) throw error;
        return `Access denied when writing output to url: s3://${path} . Please ensure you are allowed to access the S3 bucket. If you are encrypting query results with KMS key, please ensure you are allowed to access your KMS key`;
      }
    }
    return undefined;
  }

  /** Authorizes a function's async-invocation destination as the function's role (its session's access key id). */
  authorizeDestination(accessKeyId: string | undefined, destinationArn: string): void {
    const session = accessKeyId ? this.registry.session(accessKeyId) : undefined;
    const permission = this.deliveryPermission(destinationArn);
    if (!this.enabled || !session || !permission) return;
    this.authorizeRole(session, permission.action.split(':')[0] ?? '', [permission]);
  }

  /**
   * Refuses an SQS event source mapping whose function's role cannot consume the queue, as Lambda refuses
   * CreateEventSourceMapping (InvalidParameterValueException) before any message is polled.
   */
  authorizeEventSourceMapping(accessKeyId: string | undefined, queueArn: string): void {
    const session = accessKeyId ? this.registry.session(accessKeyId) : undefined;
    if (!this.enabled || !session) return;
    for (const operation of ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes']) {
      try {
        this.authorizeRole(session, 'sqs', [{ action: `sqs:${operation}`, resource: queueArn }]);
      } catch (error) {
        if (!(error instanceof AccessDeniedError)) throw error;
        throw new AwsError(
          'InvalidParameterValueException',
          `The provided execution role does not have permissions to call ${operation} on SQS`,
        );
      }
    }
  }

  /**
   * What GetCallerIdentity answers for a role session's access key id: the assumed-role ARN and `ROLEID:SESSION`
   * (the role's id an `AROA…` derived from its ARN, stable across restarts).
   */
  sessionIdentity(accessKeyId: string): { Arn: string; UserId: string } | undefined {
    const session = this.registry.session(accessKeyId);
    if (!session) return undefined;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    const digest = createHash('sha256').update(`iam-role:${session.roleArn}`).digest();
    const roleId = `AROA${[...digest.subarray(0, 17)].map((byte) => alphabet[byte % 32]).join('')}`;
    return { Arn: sessionArnOf(session), UserId: `${roleId}:${session.sessionName}` };
  }

  /** The session a role ARN runs as when the runtime itself acts for it (a state machine, a rule target's role). */
  roleSession(roleNameOrArn: string, sessionName: string): RoleSession | undefined {
    const roleArn = roleArnOf(this.arns.accountId, roleNameOrArn);
    return this.registry.hasRole(roleArn) ? { roleArn, sessionName } : undefined;
  }

  private resourcePolicyOf(resource: string) {
    // An object's bucket policy is the bucket's; a queue's, topic's, function's or bus's policy is its own.
    if (resource.startsWith('arn:aws:s3:::'))
      return this.registry.resourcePolicy(resource.split('/')[0] as string);
    const unqualified = resource.startsWith('arn:aws:lambda:')
      ? resource.split(':').slice(0, 7).join(':')
      : resource;
    return this.registry.resourcePolicy(unqualified);
  }

  /** The role session an edge request is signed as, if its access key id is one the runtime issued. */
  private sessionOf(request: IncomingMessage): RoleSession | undefined {
    // Signed in the Authorization header, or presigned (X-Amz-Credential in the query, as S3 presigned URLs are).
    const keyId =
      /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ??
      new URL(request.url ?? '/', 'http://local').searchParams.get('X-Amz-Credential')?.split('/')[0];
    return keyId ? this.registry.session(keyId) : undefined;
  }

  /**
   * The edge's guard: refuses (answering in the service's own error shape) a call signed by a role session that
   * IAM would deny, and answers whether it did. Calls signed otherwise (the operator, the CLI) act as the account's
   * administrator, as they do with admin credentials on AWS.
   */
  refuseAtEdge(request: IncomingMessage, body: Buffer, response: ServerResponse): boolean {
    if (!this.enabled) return false;
    const session = this.sessionOf(request);
    // Set on every request (the operator's too), so that nothing carries over on a kept-alive connection.
    this.callers.enterWith(session);
    if (!session) return false;
    const url = new URL(request.url ?? '/', 'http://local');
    const target = request.headers['x-amz-target'];
    try {
      if (typeof target === 'string') {
        const separator = target.indexOf('.');
        const service = servicesByTarget[target.slice(0, separator)];
        if (!service) return false;
        let input: Record<string, unknown> = {};
        try {
          input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
        } catch {
          // The service itself answers SerializationException for a body that is not JSON.
          return false;
        }
        this.authorizeRole(
          session,
          service,
          requiredPermissions(service, target.slice(separator + 1), input, this.arns),
        );
        return false;
      }
      const credential =
        request.headers.authorization ?? `Credential=${url.searchParams.get('X-Amz-Credential') ?? ''}`;
      const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(credential)?.[1];
      const method = request.method ?? 'GET';
      if (scope === 's3')
        this.authorizeRole(session, 's3', s3Permissions(method, url, request.headers, body));
      else if (scope === 'lambda')
        this.authorizeRole(session, 'lambda', lambdaPermissions(method, url, this.arns));
      else if (scope === 'sqs' || scope === 'sns' || scope === 'sts') {
        const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
        const operation = form.Action ?? '';
        this.authorizeRole(session, scope, requiredPermissions(scope, operation, form, this.arns));
      }
      return false;
    } catch (error) {
      if (!(error instanceof AccessDeniedError)) throw error;
      this.render(error, request, response);
      return true;
    }
  }

  private render(error: AccessDeniedError, request: IncomingMessage, response: ServerResponse): void {
    const requestId = crypto.randomUUID();
    if (typeof request.headers['x-amz-target'] === 'string') {
      const contentType = String(request.headers['content-type'] ?? 'application/x-amz-json-1.1');
      const prefix = error.service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#' : '';
      sendJsonError(response, contentType, error, prefix);
      return;
    }
    if (error.service === 'lambda') {
      const text = JSON.stringify({ Type: 'User', Message: error.message, message: error.message });
      response.writeHead(error.statusCode, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-amzn-errortype': error.code,
        'x-amzn-requestid': requestId,
      });
      response.end(text);
      return;
    }
    const xml =
      error.service === 's3'
        ? `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message><RequestId>${requestId}</RequestId></Error>`
        : `<?xml version="1.0"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    response.writeHead(error.statusCode, {
      'content-type': error.service === 's3' ? 'application/xml' : 'text/xml',
      'content-length': Buffer.byteLength(xml),
      'x-amz-request-id': requestId,
      'x-amzn-requestid': requestId,
    });
    response.end(xml);
  }
}
