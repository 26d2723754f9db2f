import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { SignatureV4 } from '@smithy/signature-v4';
import { md5OfMessageAttributes } from '../../local/services/sqs/sqs-service';
import { startTestRuntime } from './support/local-runtime';

/** SHA-256 for the signer, from node:crypto (the shape @smithy/hash-node would give). */
class Sha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac('sha256', key);
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
          : Buffer.from(data),
    );
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }
}

const signer = new SignatureV4({
  service: 'sqs',
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIAQUERY', secretAccessKey: 'local' },
  sha256: Sha256,
});

/** Every `<tag>` text of an XML document, entities resolved. */
function texts(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) =>
    (match[1] ?? '').replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))),
  );
}

function text(xml: string, tag: string): string | undefined {
  return texts(xml, tag)[0];
}

describe('SQS Query protocol (signed form requests, XML answers)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    await local.stop();
  });

  /** Posts a SigV4-signed form, as the AWS CLI v1 does, to the edge or to a queue URL. */
  async function query(params: Record<string, string>, target = local.runtime.endpoint) {
    const url = new URL(target);
    const body = new URLSearchParams({ Version: '2012-11-05', ...params }).toString();
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      xml: await response.text(),
    };
  }

  async function createQueue(name: string): Promise<string> {
    const { xml } = await query({
      Action: 'CreateQueue',
      QueueName: name,
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '40',
    });
    return text(xml, 'QueueUrl') as string;
  }

  it('creates, finds and lists queues, answering the XML documents SQS answers', async () => {
    // Act
    const created = await query({ Action: 'CreateQueue', QueueName: 'query-orders' });
    const found = await query({ Action: 'GetQueueUrl', QueueName: 'query-orders' });
    const listed = await query({ Action: 'ListQueues', QueueNamePrefix: 'query-' });

    // Assess
    const queueUrl = `${local.runtime.endpoint}/000000000000/query-orders`;
    expect(created.status).toBe(200);
    expect(created.contentType).toBe('text/xml');
    expect(created.xml).toMatch(
      new RegExp(
        `^<\\?xml version="1.0"\\?><CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult><QueueUrl>${queueUrl}</QueueUrl></CreateQueueResult><ResponseMetadata><RequestId>[0-9a-f-]{36}</RequestId></ResponseMetadata></CreateQueueResponse>$`,
      ),
    );
    expect(text(found.xml, 'QueueUrl')).toBe(queueUrl);
    expect(texts(listed.xml, 'QueueUrl')).toEqual([queueUrl]);
  });

  it('sends with message attributes and receives them with system attributes and matching MD5s', async () => {
    // Prepare
    const queueUrl = await createQueue('query-attributes');
    const attributes = {
      tenant: { DataType: 'String', StringValue: 'acme & co' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]).toString('base64') },
    };

    // Act
    const sent = await query({
      Action: 'SendMessage',
      QueueUrl: queueUrl,
      MessageBody: '<invoice id="7"/>\r\nline two',
      'MessageAttribute.1.Name': 'tenant',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'acme & co',
      'MessageAttribute.2.Name': 'blob',
      'MessageAttribute.2.Value.DataType': 'Binary',
      'MessageAttribute.2.Value.BinaryValue': attributes.blob.BinaryValue,
    });
    const received = await query({
      Action: 'ReceiveMessage',
      QueueUrl: queueUrl,
      'AttributeName.1': 'All',
      'MessageAttributeName.1': 'All',
      MaxNumberOfMessages: '10',
    });

    // Assess
    const md5Body = createHash('md5').update('<invoice id="7"/>\r\nline two').digest('hex');
    expect(text(sent.xml, 'MD5OfMessageBody')).toBe(md5Body);
    expect(text(sent.xml, 'MD5OfMessageAttributes')).toBe(md5OfMessageAttributes(attributes));
    expect(texts(received.xml, 'Message')).toHaveLength(1);
    expect(text(received.xml, 'MessageId')).toBe(text(sent.xml, 'MessageId'));
    expect(text(received.xml, 'Body')).toBe('<invoice id="7"/>\r\nline two');
    expect(text(received.xml, 'MD5OfBody')).toBe(md5Body);
    expect(text(received.xml, 'MD5OfMessageAttributes')).toBe(md5OfMessageAttributes(attributes));
    expect(received.xml).toContain(
      '<MessageAttribute><Name>tenant</Name><Value><StringValue>acme &#38; co</StringValue><DataType>String</DataType></Value></MessageAttribute>',
    );
    expect(received.xml).toContain(
      '<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>',
    );
  });

  it('changes visibility, deletes, counts and purges through the same queue as the JSON protocol', async () => {
    // Prepare
    const queueUrl = await createQueue('query-lifecycle');
    await local.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'from json' }));
    const first = await query({ Action: 'ReceiveMessage', QueueUrl: queueUrl });
    const receipt = text(first.xml, 'ReceiptHandle') as string;

    // Act
    const hiddenWhileInFlight = await query({ Action: 'ReceiveMessage', QueueUrl: queueUrl });
    const changed = await query({
      Action: 'ChangeMessageVisibility',
      QueueUrl: queueUrl,
      ReceiptHandle: receipt,
      VisibilityTimeout: '0',
    });
    const again = await query({ Action: 'ReceiveMessage', QueueUrl: queueUrl });
    const deleted = await query({
      Action: 'DeleteMessage',
      QueueUrl: queueUrl,
      ReceiptHandle: text(again.xml, 'ReceiptHandle') as string,
    });
    await query({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'one' });
    await query({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'two' });
    const counted = await query({
      Action: 'GetQueueAttributes',
      QueueUrl: queueUrl,
      'AttributeName.1': 'ApproximateNumberOfMessages',
      'AttributeName.2': 'VisibilityTimeout',
    });
    const purged = await query({ Action: 'PurgeQueue', QueueUrl: queueUrl });
    const afterPurge = await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));

    // Assess
    expect(text(first.xml, 'Body')).toBe('from json');
    expect(texts(hiddenWhileInFlight.xml, 'Message')).toEqual([]);
    expect(hiddenWhileInFlight.xml).toContain('<ReceiveMessageResult></ReceiveMessageResult>');
    expect(changed.xml).toMatch(
      /^<\?xml version="1.0"\?><ChangeMessageVisibilityResponse xmlns="[^"]+"><ResponseMetadata><RequestId>/,
    );
    expect(text(again.xml, 'Body')).toBe('from json');
    expect(deleted.status).toBe(200);
    expect(counted.xml).toContain(
      '<GetQueueAttributesResult><Attribute><Name>ApproximateNumberOfMessages</Name><Value>2</Value></Attribute><Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute></GetQueueAttributesResult>',
    );
    expect(purged.status).toBe(200);
    expect(afterPurge.Messages).toBeUndefined();
  });

  it('takes the queue from the URL path when the form is posted to the queue URL', async () => {
    // Prepare
    const queueUrl = await createQueue('query-by-path');

    // Act
    const sent = await query({ Action: 'SendMessage', MessageBody: 'posted to the queue' }, queueUrl);
    const { Messages = [] } = await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));

    // Assess
    expect(sent.status).toBe(200);
    expect(Messages.map((message) => message.Body)).toEqual(['posted to the queue']);
  });

  it('answers batch sends with result and error entries', async () => {
    // Prepare
    const queueUrl = await createQueue('query-batch');

    // Act
    const batch = await query({
      Action: 'SendMessageBatch',
      QueueUrl: queueUrl,
      'SendMessageBatchRequestEntry.1.Id': 'ok',
      'SendMessageBatchRequestEntry.1.MessageBody': 'fine',
      'SendMessageBatchRequestEntry.2.Id': 'bad',
      'SendMessageBatchRequestEntry.2.MessageBody': 'late',
      'SendMessageBatchRequestEntry.2.DelaySeconds': '901',
    });

    // Assess
    expect(batch.xml).toMatch(
      /<SendMessageBatchResultEntry><Id>ok<\/Id><MessageId>[0-9a-f-]{36}<\/MessageId><MD5OfMessageBody>/,
    );
    expect(batch.xml).toContain(
      '<BatchResultErrorEntry><Id>bad</Id><SenderFault>true</SenderFault><Code>InvalidParameterValue</Code>',
    );
  });

  it('fails with the XML ErrorResponse SQS gives, naming the legacy error code', async () => {
    // Prepare
    const queueUrl = await createQueue('query-errors');
    await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'query-untouched' }));

    // Act
    const missingQueue = await query({
      Action: 'SendMessage',
      QueueUrl: `${local.runtime.endpoint}/000000000000/absent`,
      MessageBody: 'x',
    });
    const missingBody = await query({ Action: 'SendMessage', QueueUrl: queueUrl });
    const unknownAction = await query({ Action: 'TagQueue', QueueUrl: queueUrl });
    const badReceipt = await query({
      Action: 'DeleteMessage',
      QueueUrl: queueUrl,
      ReceiptHandle: 'not-a-receipt',
    });
    const counts = await query({
      Action: 'GetQueueAttributes',
      QueueUrl: queueUrl,
      'AttributeName.1': 'ApproximateNumberOfMessages',
    });

    // Assess
    expect(missingQueue.status).toBe(400);
    expect(missingQueue.xml).toMatch(
      /^<\?xml version="1.0"\?><ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code><Message>The specified queue does not exist.<\/Message><Detail\/><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    expect([missingBody.status, text(missingBody.xml, 'Code')]).toEqual([400, 'MissingParameter']);
    expect([unknownAction.status, text(unknownAction.xml, 'Code')]).toEqual([400, 'InvalidAction']);
    expect(text(badReceipt.xml, 'Code')).toBe('ReceiptHandleIsInvalid');
    expect(counts.xml).toContain('<Name>ApproximateNumberOfMessages</Name><Value>0</Value>');
  });
});
