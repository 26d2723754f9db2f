/**
 * SQS's AWS Query protocol (form-encoded `Action=…`, XML answers), as the AWS CLI v1 and older SDKs speak it: each
 * request is read into the JSON protocol's input and answered by the same SqsService, so both protocols share one
 * queue behaviour.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../../edge/aws-error';
import type { RawService } from '../../edge/edge-server';
import type { MessageAttributeValue, SqsService } from './sqs-service';

const namespace = 'http://queue.amazonaws.com/doc/2012-11-05/';

type Input = Record<string, unknown>;
type Output = Record<string, unknown>;

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"\r]/g, (char) => `&#${char.charCodeAt(0)};`);
}

function element(name: string, value: unknown): string {
  return value === undefined || value === null ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** `Prefix.1`, `Prefix.2`, … in number order. */
function numbered(params: URLSearchParams, prefix: string): string[] | undefined {
  const values = [...params.entries()]
    .map(([name, value]) => ({ index: new RegExp(`^${prefix}\\.(\\d+)$`).exec(name)?.[1], value }))
    .filter((entry): entry is { index: string; value: string } => entry.index !== undefined)
    .sort((a, b) => Number(a.index) - Number(b.index))
    .map((entry) => entry.value);
  return values.length > 0 ? values : undefined;
}

/** `Prefix.N.Member…` grouped into one parameter set per N, in number order, member names relative to the entry. */
function entries(params: URLSearchParams, prefix: string): URLSearchParams[] {
  const groups = new Map<number, URLSearchParams>();
  for (const [name, value] of params) {
    const match = new RegExp(`^${prefix}\\.(\\d+)\\.(.+)$`).exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    const group = groups.get(index) ?? new URLSearchParams();
    group.append(match[2] as string, value);
    groups.set(index, group);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
}

/** `Attribute.N.Name` / `Attribute.N.Value` as a map. */
function attributeMap(params: URLSearchParams): Record<string, string> | undefined {
  const list = entries(params, 'Attribute');
  if (list.length === 0) return undefined;
  return Object.fromEntries(list.map((entry) => [entry.get('Name') ?? '', entry.get('Value') ?? '']));
}

/** `MessageAttribute.N.Name` / `.Value.StringValue` / `.Value.BinaryValue` / `.Value.DataType`. */
function messageAttributes(params: URLSearchParams): Record<string, MessageAttributeValue> | undefined {
  const list = entries(params, 'MessageAttribute');
  if (list.length === 0) return undefined;
  return Object.fromEntries(
    list.map((entry) => [
      entry.get('Name') ?? '',
      {
        DataType: entry.get('Value.DataType') ?? '',
        ...(entry.has('Value.StringValue') ? { StringValue: entry.get('Value.StringValue') as string } : {}),
        ...(entry.has('Value.BinaryValue') ? { BinaryValue: entry.get('Value.BinaryValue') as string } : {}),
      },
    ]),
  );
}

function optional(params: URLSearchParams, name: string): string | undefined {
  return params.get(name) ?? undefined;
}

function sendMessageInput(params: URLSearchParams): Input {
  return {
    MessageBody: optional(params, 'MessageBody'),
    DelaySeconds: optional(params, 'DelaySeconds'),
    MessageAttributes: messageAttributes(params),
  };
}

/** Reads each action's form parameters into the JSON protocol's input. */
const inputReaders: Record<string, (params: URLSearchParams) => Input> = {
  CreateQueue: (params) => ({ QueueName: optional(params, 'QueueName'), Attributes: attributeMap(params) }),
  GetQueueUrl: (params) => ({ QueueName: optional(params, 'QueueName') }),
  ListQueues: (params) => ({ QueueNamePrefix: optional(params, 'QueueNamePrefix') }),
  DeleteQueue: () => ({}),
  GetQueueAttributes: (params) => ({ AttributeNames: numbered(params, 'AttributeName') }),
  SetQueueAttributes: (params) => ({ Attributes: attributeMap(params) }),
  SendMessage: sendMessageInput,
  SendMessageBatch: (params) => ({
    Entries: entries(params, 'SendMessageBatchRequestEntry').map((entry) => ({
      Id: optional(entry, 'Id'),
      ...sendMessageInput(entry),
    })),
  }),
  ReceiveMessage: (params) => ({
    MaxNumberOfMessages: optional(params, 'MaxNumberOfMessages'),
    VisibilityTimeout: optional(params, 'VisibilityTimeout'),
    WaitTimeSeconds: optional(params, 'WaitTimeSeconds'),
    AttributeNames: numbered(params, 'AttributeName'),
    MessageSystemAttributeNames: numbered(params, 'MessageSystemAttributeName'),
    MessageAttributeNames: numbered(params, 'MessageAttributeName'),
  }),
  DeleteMessage: (params) => ({ ReceiptHandle: optional(params, 'ReceiptHandle') }),
  DeleteMessageBatch: (params) => ({
    Entries: entries(params, 'DeleteMessageBatchRequestEntry').map((entry) => ({
      Id: optional(entry, 'Id'),
      ReceiptHandle: optional(entry, 'ReceiptHandle'),
    })),
  }),
  ChangeMessageVisibility: (params) => ({
    ReceiptHandle: optional(params, 'ReceiptHandle'),
    VisibilityTimeout: optional(params, 'VisibilityTimeout'),
  }),
  ChangeMessageVisibilityBatch: (params) => ({
    Entries: entries(params, 'ChangeMessageVisibilityBatchRequestEntry').map((entry) => ({
      Id: optional(entry, 'Id'),
      ReceiptHandle: optional(entry, 'ReceiptHandle'),
      VisibilityTimeout: optional(entry, 'VisibilityTimeout'),
    })),
  }),
  PurgeQueue: () => ({}),
  ListDeadLetterSourceQueues: () => ({}),
};

/** The actions the Query protocol answers (the same as the JSON protocol's). */
export const sqsQueryActions = Object.keys(inputReaders);

function attributesXml(attributes: unknown): string {
  return Object.entries((attributes ?? {}) as Record<string, string>)
    .map(([name, value]) => `<Attribute>${element('Name', name)}${element('Value', value)}</Attribute>`)
    .join('');
}

function messageXml(message: Output): string {
  const attributes = (message.MessageAttributes ?? {}) as Record<string, MessageAttributeValue>;
  return `<Message>${element('MessageId', message.MessageId)}${element('ReceiptHandle', message.ReceiptHandle)}${element('MD5OfBody', message.MD5OfBody)}${element('Body', message.Body)}${attributesXml(message.Attributes)}${element('MD5OfMessageAttributes', message.MD5OfMessageAttributes)}${Object.entries(
    attributes,
  )
    .map(
      ([name, value]) =>
        `<MessageAttribute>${element('Name', name)}<Value>${element('StringValue', value.StringValue)}${element('BinaryValue', value.BinaryValue)}${element('DataType', value.DataType)}</Value></MessageAttribute>`,
    )
    .join('')}</Message>`;
}

function batchXml(action: string, output: Output, entryXml: (entry: Output) => string = () => ''): string {
  const successful = ((output.Successful ?? []) as Output[]).map(
    (entry) => `<${action}ResultEntry>${element('Id', entry.Id)}${entryXml(entry)}</${action}ResultEntry>`,
  );
  const failed = ((output.Failed ?? []) as Output[]).map(
    (entry) =>
      `<BatchResultErrorEntry>${element('Id', entry.Id)}${element('SenderFault', entry.SenderFault)}${element('Code', entry.Code)}${element('Message', entry.Message)}</BatchResultErrorEntry>`,
  );
  return [...successful, ...failed].join('');
}

/** Each action's `<…Result>` contents (actions without a result answer only ResponseMetadata). */
const resultWriters: Record<string, (output: Output) => string> = {
  CreateQueue: (output) => element('QueueUrl', output.QueueUrl),
  GetQueueUrl: (output) => element('QueueUrl', output.QueueUrl),
  ListQueues: (output) =>
    ((output.QueueUrls ?? []) as string[]).map((url) => element('QueueUrl', url)).join(''),
  GetQueueAttributes: (output) => attributesXml(output.Attributes),
  SendMessage: (output) =>
    `${element('MD5OfMessageBody', output.MD5OfMessageBody)}${element('MD5OfMessageAttributes', output.MD5OfMessageAttributes)}${element('MessageId', output.MessageId)}`,
  SendMessageBatch: (output) =>
    batchXml(
      'SendMessageBatch',
      output,
      (entry) =>
        `${element('MessageId', entry.MessageId)}${element('MD5OfMessageBody', entry.MD5OfMessageBody)}${element('MD5OfMessageAttributes', entry.MD5OfMessageAttributes)}`,
    ),
  ReceiveMessage: (output) => ((output.Messages ?? []) as Output[]).map(messageXml).join(''),
  DeleteMessageBatch: (output) => batchXml('DeleteMessageBatch', output),
  ChangeMessageVisibilityBatch: (output) => batchXml('ChangeMessageVisibilityBatch', output),
  ListDeadLetterSourceQueues: (output) =>
    ((output.queueUrls ?? []) as string[]).map((url) => element('QueueUrl', url)).join(''),
};

function send(response: ServerResponse, status: number, requestId: string, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  response.end(text);
}

/** The Query-protocol front of the local SQS. */
export class SqsQueryProtocol implements RawService {
  constructor(private readonly sqs: SqsService) {}

  async handleRaw(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://edge');
    // Parameters come in the form body (POST) or the query string (GET); the CLI posts to the queue URL itself.
    const params = new URLSearchParams(url.search);
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) params.append(name, value);
    const action = params.get('Action') ?? '';
    const requestId = randomUUID();
    try {
      const read = Object.hasOwn(inputReaders, action) ? inputReaders[action] : undefined;
      if (!read)
        throw new AwsError(
          action ? 'InvalidAction' : 'MissingAction',
          action
            ? `The action ${action} is not valid for this web service.`
            : 'The request must contain the parameter Action.',
          400,
        );
      const input: Input = { ...read(params) };
      const queueUrl = params.get('QueueUrl') ?? this.queueUrlOfPath(url.pathname);
      if (queueUrl !== undefined) input.QueueUrl = queueUrl;
      const output = ((await this.sqs.handle(action, input)) ?? {}) as Output;
      const result = resultWriters[action];
      send(
        response,
        200,
        requestId,
        `<?xml version="1.0"?><${action}Response xmlns="${namespace}">${result ? `<${action}Result>${result(output)}</${action}Result>` : ''}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (error) {
      const aws =
        error instanceof AwsError
          ? error
          : new AwsError('InternalError', 'The local service failed; see the runtime log', 500);
      if (!(error instanceof AwsError)) console.error('[sqs] internal failure', error);
      // The Query protocol names errors by their legacy codes (AWS.SimpleQueueService.NonExistentQueue, …).
      const code = aws.queryErrorCode ?? aws.code;
      send(
        response,
        aws.statusCode,
        requestId,
        `<?xml version="1.0"?><ErrorResponse xmlns="${namespace}"><Error><Type>${aws.statusCode >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(aws.message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    }
  }

  /** A request posted to a queue URL (`/<account>/<queue>`) names its queue by the path. */
  private queueUrlOfPath(pathname: string): string | undefined {
    return /^\/\d{12}\/[^/]+$/.test(pathname)
      ? this.sqs.queueUrl(pathname.split('/')[2] as string)
      : undefined;
  }
}
