/** Which IAM action, on which resource ARNs, each service operation asks for: the same map for the edge and for Step Functions tasks. */

/** The account and region ARNs are built in, and the lookups an ARN needs (a secret's name to its ARN). */
export interface ArnContext {
  accountId: string;
  region: string;
  /** The ARN of a secret named by name (Secrets Manager ARNs end in a random suffix). */
  secretArn(nameOrArn: string): string;
  /** The workgroup a query execution ran in (Athena authorizes calls on an execution against it). */
  athenaWorkGroup?(queryExecutionId: string): string | undefined;
}

/** One permission a call needs. */
export interface RequiredPermission {
  /** `service:Action`. */
  action: string;
  /** The resource ARN, or `*`. */
  resource: string;
}

/** Operations that need no permission at all (GetCallerIdentity works even under an explicit deny). */
const unauthorized = new Set(['sts:GetCallerIdentity']);

const sqsBatchActions: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

const dynamoDbTransactActions: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function regional(context: ArnContext, service: string, resource: string): string {
  return `arn:aws:${service}:${context.region}:${context.accountId}:${resource}`;
}

function sqs(operation: string, input: Record<string, unknown>, context: ArnContext): RequiredPermission[] {
  const action = `sqs:${sqsBatchActions[operation] ?? operation}`;
  const name = text(input.QueueUrl)?.split('/').at(-1) ?? text(input.QueueName);
  return [{ action, resource: name ? regional(context, 'sqs', name) : '*' }];
}

function dynamodb(
  operation: string,
  input: Record<string, unknown>,
  context: ArnContext,
): RequiredPermission[] {
  const table = (name: string, index?: string) =>
    regional(context, 'dynamodb', `table/${name}${index ? `/index/${index}` : ''}`);
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    const items = (input.RequestItems ?? {}) as Record<string, unknown[]>;
    return Object.entries(items).flatMap(([name, requests]) =>
      operation === 'BatchGetItem'
        ? [{ action: 'dynamodb:BatchGetItem', resource: table(name) }]
        : [{ action: 'dynamodb:BatchWriteItem', resource: table(name) }].concat(
            (Array.isArray(requests) ? requests : []).flatMap((request) =>
              Object.keys(request as object).map((kind) => ({
                action: `dynamodb:${kind === 'PutRequest' ? 'PutItem' : 'DeleteItem'}`,
                resource: table(name),
              })),
            ),
          ),
    );
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    const items = (input.TransactItems ?? []) as Record<string, { TableName?: string }>[];
    return items.flatMap((item) =>
      Object.entries(item).map(([kind, request]) => ({
        action: `dynamodb:${dynamoDbTransactActions[kind] ?? kind}`,
        resource: table(String(request?.TableName ?? '')),
      })),
    );
  }
  const name = text(input.TableName);
  return [
    {
      action: `dynamodb:${operation}`,
      resource: name
        ? table(name, operation === 'Query' || operation === 'Scan' ? text(input.IndexName) : undefined)
        : '*',
    },
  ];
}

function busArn(context: ArnContext, nameOrArn: unknown): string {
  const bus = text(nameOrArn) ?? 'default';
  return bus.startsWith('arn:') ? bus : regional(context, 'events', `event-bus/${bus}`);
}

function events(
  operation: string,
  input: Record<string, unknown>,
  context: ArnContext,
): RequiredPermission[] {
  const action = `events:${operation}`;
  if (operation === 'PutEvents') {
    const entries = (input.Entries ?? []) as { EventBusName?: unknown }[];
    const buses = new Set(entries.map((entry) => busArn(context, entry.EventBusName)));
    return [...buses].map((resource) => ({ action, resource }));
  }
  const rule = text(input.Rule) ?? (operation.includes('Rule') ? text(input.Name) : undefined);
  if (rule && operation !== 'ListRules') {
    const bus = text(input.EventBusName)?.split('/').at(-1) ?? 'default';
    return [
      { action, resource: regional(context, 'events', `rule/${bus === 'default' ? '' : `${bus}/`}${rule}`) },
    ];
  }
  if (text(input.ArchiveName))
    return [{ action, resource: regional(context, 'events', `archive/${input.ArchiveName}`) }];
  if (text(input.ReplayName))
    return [{ action, resource: regional(context, 'events', `replay/${input.ReplayName}`) }];
  if (operation.endsWith('EventBus')) return [{ action, resource: busArn(context, input.Name) }];
  return [{ action, resource: '*' }];
}

function states(operation: string, input: Record<string, unknown>): RequiredPermission[] {
  const resource =
    text(input.executionArn) ??
    text(input.stateMachineArn) ??
    text(input.ExecutionArn) ??
    text(input.StateMachineArn);
  return [{ action: `states:${operation}`, resource: resource ?? '*' }];
}

function named(
  service: string,
  kind: string,
  field: string,
): (operation: string, input: Record<string, unknown>, context: ArnContext) => RequiredPermission[] {
  return (operation, input, context) => {
    const name = text(input[field]);
    return [
      {
        action: `${service}:${operation}`,
        resource: name ? regional(context, service, `${kind}/${name}`) : '*',
      },
    ];
  };
}

/**
 * Athena's calls act on a workgroup: named (`primary` when StartQueryExecution names none), or the workgroup of
 * the query execution they name.
 */
function athena(
  operation: string,
  input: Record<string, unknown>,
  context: ArnContext,
): RequiredPermission[] {
  const execution = text(input.QueryExecutionId);
  const workGroup =
    text(input.WorkGroup) ??
    (execution
      ? context.athenaWorkGroup?.(execution)
      : operation === 'StartQueryExecution'
        ? 'primary'
        : undefined);
  return [
    {
      action: `athena:${operation}`,
      resource: workGroup ? regional(context, 'athena', `workgroup/${workGroup}`) : '*',
    },
  ];
}

function glue(operation: string, input: Record<string, unknown>, context: ArnContext): RequiredPermission[] {
  const action = `glue:${operation}`;
  const catalog = regional(context, 'glue', 'catalog');
  const database =
    text(input.DatabaseName) ?? (operation.endsWith('Database') ? text(input.Name) : undefined);
  if (!database) return [{ action, resource: catalog }];
  const resources = [catalog, regional(context, 'glue', `database/${database}`)];
  const table = text(input.TableName) ?? (operation.endsWith('Table') ? text(input.Name) : undefined);
  if (table) resources.push(regional(context, 'glue', `table/${database}/${table}`));
  else if (operation === 'GetTables') resources.push(regional(context, 'glue', `table/${database}/*`));
  return resources.map((resource) => ({ action, resource }));
}

function logs(operation: string, input: Record<string, unknown>, context: ArnContext): RequiredPermission[] {
  const group = text(input.logGroupName);
  const stream = text(input.logStreamName);
  if (!group) return [{ action: `logs:${operation}`, resource: '*' }];
  const base = regional(context, 'logs', `log-group:${group}`);
  return [{ action: `logs:${operation}`, resource: stream ? `${base}:log-stream:${stream}` : `${base}:*` }];
}

function secretsmanager(
  operation: string,
  input: Record<string, unknown>,
  context: ArnContext,
): RequiredPermission[] {
  const id = text(input.SecretId);
  return [{ action: `secretsmanager:${operation}`, resource: id ? context.secretArn(id) : '*' }];
}

function cloudwatch(
  operation: string,
  input: Record<string, unknown>,
  context: ArnContext,
): RequiredPermission[] {
  const alarm = text(input.AlarmName);
  return [
    {
      action: `cloudwatch:${operation}`,
      resource: alarm ? regional(context, 'cloudwatch', `alarm:${alarm}`) : '*',
    },
  ];
}

function sns(operation: string, input: Record<string, unknown>): RequiredPermission[] {
  const resource =
    text(input.TopicArn) ??
    text(input.TargetArn) ??
    text(input.SubscriptionArn)?.split(':').slice(0, 6).join(':');
  return [{ action: `sns:${operation}`, resource: resource ?? '*' }];
}

function lambda(
  operation: string,
  input: Record<string, unknown>,
  context: ArnContext,
): RequiredPermission[] {
  const action =
    operation === 'Invoke' || operation === 'InvokeAsync' ? 'lambda:InvokeFunction' : `lambda:${operation}`;
  const name = text(input.FunctionName);
  if (!name) return [{ action, resource: '*' }];
  // A name, a partial ARN (ACCOUNT:function:NAME) or a full ARN, optionally qualified (NAME:alias).
  const parts = name.split(':');
  const functionName = name.startsWith('arn:')
    ? (parts[6] ?? '')
    : parts.length >= 3
      ? (parts[2] ?? '')
      : (parts[0] ?? '');
  const qualifier = name.startsWith('arn:') ? parts[7] : parts.length >= 3 ? parts[3] : parts[1];
  const resource = regional(context, 'lambda', `function:${functionName}${qualifier ? `:${qualifier}` : ''}`);
  return [{ action, resource }];
}

const services: Record<
  string,
  (operation: string, input: Record<string, unknown>, context: ArnContext) => RequiredPermission[]
> = {
  sqs,
  dynamodb,
  events,
  states: (operation, input) => states(operation, input),
  firehose: named('firehose', 'deliverystream', 'DeliveryStreamName'),
  athena,
  glue,
  logs,
  secretsmanager,
  cloudwatch,
  sns: (operation, input) => sns(operation, input),
  lambda,
};

/**
 * The permissions one call needs, by IAM service prefix and operation name (as in the API reference) and its
 * input. Operations without a resource ask for `*`, as IAM does; GetCallerIdentity asks for nothing.
 */
export function requiredPermissions(
  service: string,
  operation: string,
  input: Record<string, unknown>,
  context: ArnContext,
): RequiredPermission[] {
  if (unauthorized.has(`${service}:${operation}`)) return [];
  const map = services[service];
  return map ? map(operation, input, context) : [{ action: `${service}:${operation}`, resource: '*' }];
}

/**
 * The permissions of an S3 REST request (path-style, as the local edge serves S3): object operations on
 * `arn:aws:s3:::BUCKET/KEY`, bucket operations on `arn:aws:s3:::BUCKET`.
 */
export function s3Permissions(
  method: string,
  url: URL,
  headers: Record<string, unknown>,
  body: Buffer,
): RequiredPermission[] {
  const [, bucket = '', ...keyParts] = url.pathname.split('/');
  let key: string;
  try {
    key = decodeURIComponent(keyParts.join('/'));
  } catch {
    key = keyParts.join('/');
  }
  const query = url.searchParams;
  if (!bucket) return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const object = `${bucketArn}/${key}`;
  if (!key) {
    if (method === 'POST' && query.has('delete')) {
      // DeleteObjects is authorized per key it names.
      const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1] ?? '');
      return keys.map((name) => ({ action: 's3:DeleteObject', resource: `${bucketArn}/${name}` }));
    }
    if (query.has('uploads')) return [{ action: 's3:ListBucketMultipartUploads', resource: bucketArn }];
    if (query.has('location')) return [{ action: 's3:GetBucketLocation', resource: bucketArn }];
    if (query.has('versions')) return [{ action: 's3:ListBucketVersions', resource: bucketArn }];
    if (method === 'PUT') return [{ action: 's3:CreateBucket', resource: bucketArn }];
    if (method === 'DELETE') return [{ action: 's3:DeleteBucket', resource: bucketArn }];
    return [{ action: 's3:ListBucket', resource: bucketArn }];
  }
  if (query.has('uploadId') && method === 'DELETE')
    return [{ action: 's3:AbortMultipartUpload', resource: object }];
  if (query.has('uploadId') && method === 'GET')
    return [{ action: 's3:ListMultipartUploadParts', resource: object }];
  if (method === 'GET' || method === 'HEAD') return [{ action: 's3:GetObject', resource: object }];
  if (method === 'DELETE') return [{ action: 's3:DeleteObject', resource: object }];
  const permissions = [{ action: 's3:PutObject', resource: object }];
  const copySource = headers['x-amz-copy-source'];
  if (method === 'PUT' && typeof copySource === 'string') {
    let source = copySource;
    try {
      source = decodeURIComponent(copySource);
    } catch {
      // an undecodable source is refused by S3 itself
    }
    permissions.push({
      action: 's3:GetObject',
      resource: `arn:aws:s3:::${source.replace(/^\//, '').split('?')[0]}`,
    });
  }
  return permissions;
}

/** The permission of a Lambda REST request (Invoke and the read operations functions use). */
export function lambdaPermissions(method: string, url: URL, context: ArnContext): RequiredPermission[] {
  const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
  const qualifier = url.searchParams.get('Qualifier');
  const withQualifier = (name: string) => (qualifier ? `${name}:${qualifier}` : name);
  if (invoke)
    return lambda('Invoke', { FunctionName: withQualifier(decodeURIComponent(invoke[1] ?? '')) }, context);
  const get = /^\/2015-03-31\/functions\/([^/]+)$/.exec(url.pathname);
  if (get && method === 'GET')
    return lambda('GetFunction', { FunctionName: decodeURIComponent(get[1] ?? '') }, context);
  if (url.pathname === '/2015-03-31/functions' || url.pathname === '/2015-03-31/functions/')
    return [{ action: 'lambda:ListFunctions', resource: '*' }];
  if (url.pathname.startsWith('/2015-03-31/event-source-mappings'))
    return [
      {
        action: `lambda:${method === 'GET' ? 'ListEventSourceMappings' : 'UpdateEventSourceMapping'}`,
        resource: '*',
      },
    ];
  return [{ action: `lambda:${method} ${url.pathname}`, resource: '*' }];
}
