/** SNS (AWS query protocol, XML answers): topics, subscriptions, Publish, HTTP/HTTPS delivery with SNS's envelope, and email to a mailbox file. */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { LocalClock } from '../../clock';
import { AwsError } from '../../edge/aws-error';
import type { RawService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';
import { type OperationTable, operationHandler, operationsOf } from '../operation-table';

/** A topic. */
export interface TopicDefinition {
  name: string;
  arn: string;
  attributes: Record<string, string>;
}

/** A subscription; local subscriptions are confirmed at once (no SubscriptionConfirmation round trip). */
export interface SubscriptionDefinition {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  attributes: Record<string, string>;
}

/** What one Publish carries to the subscribers. */
interface Notification {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  timestamp: string;
  messageAttributes: Record<string, { Type: string; Value: string }>;
}

const topicType = 'sns-topic';
const subscriptionType = 'sns-subscription';
const namespace = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** SNS's default HTTP delivery policy retries three times. */
const httpRetries = 3;
const httpRetryDelayMs = 20_000;

function escapeXml(value: string): string {
  return value.replace(
    /[<>&'"]/g,
    (character) =>
      ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[character] ?? '',
  );
}

function notFound(message: string): AwsError {
  return new AwsError('NotFound', message, 404);
}

function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameter', message, 400);
}

/** The `Prefix.entry.N.<key>` / `.<value>` maps of the query protocol. */
function entries(params: URLSearchParams, prefix: string, keyName: string, valueName: string) {
  const result: [string, string, URLSearchParams][] = [];
  for (let index = 1; params.has(`${prefix}.entry.${index}.${keyName}`); index++) {
    const base = `${prefix}.entry.${index}.`;
    const scoped = new URLSearchParams();
    for (const [key, value] of params) if (key.startsWith(base)) scoped.set(key.slice(base.length), value);
    result.push([String(params.get(`${base}${keyName}`)), String(scoped.get(valueName) ?? ''), scoped]);
  }
  return result;
}

/** The SNS service. */
export class SnsService implements RawService {
  /** Delivers to the protocols another service owns (sqs, lambda); wired by the runtime. */
  deliverToService: (
    subscription: SubscriptionDefinition,
    envelope: Record<string, unknown>,
  ) => Promise<void> = async () => {};
  /**
   * Told of each delivery's outcome once it is final (after retries), for the AWS/SNS metrics
   * NumberOfNotificationsDelivered and NumberOfNotificationsFailed.
   */
  onDeliveryOutcome: (topicArn: string, delivered: boolean) => void = () => {};
  /** Where email subscriptions' messages are recorded, one JSON line per message, a file per topic. */
  readonly mailboxDir: string;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
  ) {
    this.mailboxDir = path.join(store.dataDir, 'mailbox');
  }

  async handleRaw(_request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action') ?? '';
    const requestId = randomUUID();
    try {
      const result = await this.handle(action, params);
      const text = `<${action}Response xmlns="${namespace}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
      response.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      response.end(text);
    } catch (error) {
      const aws =
        error instanceof AwsError
          ? error
          : new AwsError('InternalError', 'The local SNS failed; see its log', 500);
      if (!(error instanceof AwsError)) console.error('[sns] internal failure', error);
      const text = `<ErrorResponse xmlns="${namespace}"><Error><Type>${aws.statusCode >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(aws.code)}</Code><Message>${escapeXml(aws.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      response.writeHead(aws.statusCode, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      response.end(text);
    }
  }

  /** One query-protocol action; answers the inner XML of its Result element. */
  /** What answers each SNS operation; any operation not a key is refused. */
  static readonly operations: OperationTable<SnsService, URLSearchParams, string> = {
    CreateTopic: (service, params) => {
      const attributes = Object.fromEntries(
        entries(params, 'Attributes', 'key', 'value').map(([key, value]) => [key, value]),
      );
      const topic = service.createTopic(String(params.get('Name') ?? ''), attributes);
      return `<TopicArn>${escapeXml(topic.arn)}</TopicArn>`;
    },
    DeleteTopic: (service, params) => {
      service.deleteTopic(String(params.get('TopicArn')));
      return '';
    },
    ListTopics: (service) =>
      `<Topics>${service.store
        .listResources<TopicDefinition>(topicType)
        .map(({ value }) => `<member><TopicArn>${escapeXml(value.arn)}</TopicArn></member>`)
        .join('')}</Topics>`,
    Subscribe: (service, params) => {
      const attributes = Object.fromEntries(
        entries(params, 'Attributes', 'key', 'value').map(([key, value]) => [key, value]),
      );
      const subscription = service.subscribe(
        String(params.get('TopicArn')),
        String(params.get('Protocol') ?? ''),
        String(params.get('Endpoint') ?? ''),
        attributes,
      );
      return `<SubscriptionArn>${escapeXml(subscription.arn)}</SubscriptionArn>`;
    },
    Unsubscribe: (service, params) => {
      service.unsubscribe(String(params.get('SubscriptionArn')));
      return '';
    },
    ListSubscriptionsByTopic: (service, params) => {
      const topicArn = String(params.get('TopicArn'));
      service.topic(topicArn);
      return `<Subscriptions>${service
        .subscriptions(topicArn)
        .map(
          (subscription) =>
            `<member><TopicArn>${escapeXml(subscription.topicArn)}</TopicArn><Protocol>${escapeXml(subscription.protocol)}</Protocol><SubscriptionArn>${escapeXml(subscription.arn)}</SubscriptionArn><Owner>${service.env.accountId}</Owner><Endpoint>${escapeXml(subscription.endpoint)}</Endpoint></member>`,
        )
        .join('')}</Subscriptions>`;
    },
    Publish: (service, params) => {
      const messageAttributes = Object.fromEntries(
        entries(params, 'MessageAttributes', 'Name', 'Value.DataType').map(([name, dataType, scoped]) => [
          name,
          {
            Type: dataType,
            Value: String(scoped.get('Value.StringValue') ?? scoped.get('Value.BinaryValue') ?? ''),
          },
        ]),
      );
      const subject = params.get('Subject');
      const messageId = service.publish(String(params.get('TopicArn') ?? params.get('TargetArn')), {
        message: String(params.get('Message') ?? ''),
        ...(subject ? { subject } : {}),
        messageAttributes,
      });
      return `<MessageId>${messageId}</MessageId>`;
    },
  };

  async handle(action: string, params: URLSearchParams): Promise<string> {
    const answer = operationHandler(SnsService.operations, action);
    if (answer) return answer(this, params, action);
    throw new AwsError('InvalidAction', `The local SNS does not support ${action}`);
  }

  /** The ARN a topic of this name has. */
  topicArn(name: string): string {
    return `arn:aws:sns:${this.env.region}:${this.env.accountId}:${name}`;
  }

  /** Creates a topic (idempotent, as on AWS). */
  createTopic(name: string, attributes: Record<string, string> = {}): TopicDefinition {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) throw invalidParameter('Invalid parameter: Topic Name');
    const topic: TopicDefinition = {
      name,
      arn: this.topicArn(name),
      attributes: { ...this.store.getResource<TopicDefinition>(topicType, name)?.attributes, ...attributes },
    };
    this.store.putResource(topicType, name, topic);
    return topic;
  }

  /** Deletes a topic and its subscriptions. */
  deleteTopic(topicArn: string): void {
    this.store.transaction(() => {
      for (const subscription of this.subscriptions(topicArn))
        this.store.deleteResource(subscriptionType, subscription.arn);
      this.store.deleteResource(topicType, topicArn.split(':').at(-1) ?? '');
    });
  }

  private topic(topicArn: string): TopicDefinition {
    const topic = this.store.getResource<TopicDefinition>(topicType, topicArn.split(':').at(-1) ?? '');
    if (!topic || topic.arn !== topicArn) throw notFound('Topic does not exist');
    return topic;
  }

  /** Subscribes an endpoint; http/https subscriptions are confirmed at once locally (no confirmation request). */
  subscribe(
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string> = {},
  ): SubscriptionDefinition {
    this.topic(topicArn);
    if (!['http', 'https', 'email', 'email-json', 'sqs', 'lambda'].includes(protocol))
      throw invalidParameter(`Invalid parameter: Protocol ${protocol} is not supported locally`);
    if ((protocol === 'http' || protocol === 'https') && !endpoint.startsWith(`${protocol}://`))
      throw invalidParameter('Invalid parameter: Endpoint must match the specified protocol');
    const existing = this.subscriptions(topicArn).find(
      (subscription) => subscription.protocol === protocol && subscription.endpoint === endpoint,
    );
    if (existing) return existing;
    const subscription: SubscriptionDefinition = {
      arn: `${topicArn}:${randomUUID()}`,
      topicArn,
      protocol,
      endpoint,
      attributes,
    };
    this.store.putResource(subscriptionType, subscription.arn, subscription);
    return subscription;
  }

  /** Removes a subscription. */
  unsubscribe(subscriptionArn: string): void {
    this.store.deleteResource(subscriptionType, subscriptionArn);
  }

  /** A topic's subscriptions. */
  subscriptions(topicArn: string): SubscriptionDefinition[] {
    return this.store
      .listResources<SubscriptionDefinition>(subscriptionType)
      .map(({ value }) => value)
      .filter((subscription) => subscription.topicArn === topicArn);
  }

  /** Publishes a message to every subscription of a topic; delivery runs in the background, as on AWS. */
  publish(
    topicArn: string,
    input: { message: string; subject?: string; messageAttributes?: Notification['messageAttributes'] },
  ): string {
    this.topic(topicArn);
    if (input.subject !== undefined && input.subject.length > 100)
      throw invalidParameter('Invalid parameter: Subject');
    const notification: Notification = {
      messageId: randomUUID(),
      topicArn,
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      message: input.message,
      timestamp: this.clock.date().toISOString(),
      messageAttributes: input.messageAttributes ?? {},
    };
    for (const subscription of this.subscriptions(topicArn)) {
      this.deliver(subscription, notification).then(
        () => this.onDeliveryOutcome(topicArn, true),
        (error: unknown) => {
          this.onDeliveryOutcome(topicArn, false);
          // A refused delivery (a queue policy or Lambda permission not allowing SNS) is an operator's error: a
          // warning with its reason, as SNS's delivery status log says it; anything else is the runtime's.
          if ((error as Error)?.name === 'AccessDeniedError')
            console.warn(
              `[sns] delivery of ${notification.messageId} to ${subscription.endpoint} failed: ${(error as Error).message}`,
            );
          else console.error(`[sns] delivery to ${subscription.endpoint} failed`, error);
        },
      );
    }
    return notification.messageId;
  }

  /** The JSON document SNS sends to HTTP endpoints (and SQS queues without raw delivery). */
  private envelope(
    subscription: SubscriptionDefinition,
    notification: Notification,
  ): Record<string, unknown> {
    return {
      Type: 'Notification',
      MessageId: notification.messageId,
      TopicArn: notification.topicArn,
      ...(notification.subject !== undefined ? { Subject: notification.subject } : {}),
      Message: notification.message,
      Timestamp: notification.timestamp,
      SignatureVersion: '1',
      // Nothing signs locally: a subscriber that verifies signatures must skip it against the local runtime.
      Signature: 'LOCAL',
      SigningCertURL: `${this.env.edgeUrl()}/_concord/sns/signing-cert.pem`,
      UnsubscribeURL: `${this.env.edgeUrl()}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscription.arn)}`,
      ...(Object.keys(notification.messageAttributes).length > 0
        ? { MessageAttributes: notification.messageAttributes }
        : {}),
    };
  }

  private async deliver(subscription: SubscriptionDefinition, notification: Notification): Promise<void> {
    const envelope = this.envelope(subscription, notification);
    switch (subscription.protocol) {
      case 'http':
      case 'https':
        return this.deliverHttp(subscription, envelope);
      case 'email':
      case 'email-json':
        return this.recordEmail(subscription, notification, envelope);
      default:
        return this.deliverToService(subscription, envelope);
    }
  }

  private async deliverHttp(
    subscription: SubscriptionDefinition,
    envelope: Record<string, unknown>,
  ): Promise<void> {
    const raw = subscription.attributes.RawMessageDelivery === 'true';
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(subscription.endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'text/plain; charset=UTF-8',
            'user-agent': 'Amazon Simple Notification Service Agent',
            'x-amz-sns-message-type': 'Notification',
            'x-amz-sns-message-id': String(envelope.MessageId),
            'x-amz-sns-topic-arn': subscription.topicArn,
            'x-amz-sns-subscription-arn': subscription.arn,
            ...(raw ? { 'x-amz-sns-rawdelivery': 'true' } : {}),
          },
          body: raw ? String(envelope.Message) : JSON.stringify(envelope),
          signal: AbortSignal.timeout(15_000),
        });
        await response.arrayBuffer();
        // SNS counts any 2xx as delivered and retries everything else.
        if (response.status >= 200 && response.status < 300) return;
        throw new Error(`HTTP ${response.status}`);
      } catch (error) {
        if (attempt >= httpRetries) throw error;
        await this.clock.sleep(httpRetryDelayMs);
      }
    }
  }

  private async recordEmail(
    subscription: SubscriptionDefinition,
    notification: Notification,
    envelope: Record<string, unknown>,
  ): Promise<void> {
    mkdirSync(this.mailboxDir, { recursive: true });
    const topicName = subscription.topicArn.split(':').at(-1) ?? 'topic';
    const mail = {
      to: subscription.endpoint,
      from: 'no-reply@sns.amazonaws.com',
      subject: notification.subject ?? 'AWS Notification Message',
      body: subscription.protocol === 'email-json' ? JSON.stringify(envelope) : notification.message,
      messageId: notification.messageId,
      topicArn: notification.topicArn,
      timestamp: notification.timestamp,
    };
    appendFileSync(path.join(this.mailboxDir, `${topicName}.jsonl`), `${JSON.stringify(mail)}\n`);
  }
}

/** The SNS operations the local runtime answers: the keys of the table it dispatches by. */
export const snsOperations = operationsOf(SnsService.operations);
