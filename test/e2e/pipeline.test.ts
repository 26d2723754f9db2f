import { createHmac } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListBucketsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import {
  postShopifyOrder,
  postStripeEvent,
  startDeployedPlatform,
  synthesizeToTemp,
} from './support/deployed-platform';

const orderBody = readFileSync(path.join(__dirname, '../fixtures/shopify/orders-create.json'), 'utf8');

describe('npm start pipeline (synthesized stacks on the embedded runtime)', () => {
  let assemblyDir: string;
  let local: Awaited<ReturnType<typeof startDeployedPlatform>>;
  let observer: { url: string };

  beforeAll(async () => {
    assemblyDir = synthesizeToTemp();
    local = await startDeployedPlatform(assemblyDir);
    // An observer on the deployed bus, added through the SDK as any developer could.
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'observer' }));
    const { Attributes } = await local.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await local.clients.events.send(
      new PutRuleCommand({
        Name: 'observe-ingest',
        EventBusName: 'concord-local',
        EventPattern: JSON.stringify({ source: ['concord.ingest'] }),
      }),
    );
    await local.clients.events.send(
      new PutTargetsCommand({
        Rule: 'observe-ingest',
        EventBusName: 'concord-local',
        Targets: [{ Id: 'observer', Arn: Attributes?.QueueArn }],
      }),
    );
    observer = { url: QueueUrl as string };
  }, 120_000);

  afterAll(async () => {
    await local.stop();
    rmSync(assemblyDir, { recursive: true, force: true });
  });

  /** The archived raw webhook of a delivery, once the archive stream has delivered its batch (about a second). */
  async function archivedRecord(deliveryId: string) {
    const { Buckets = [] } = await local.clients.s3.send(new ListBucketsCommand({}));
    const bucket = Buckets.find((candidate) => candidate.Name?.includes('rawarchivebucket'))?.Name;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { Contents = [] } = await local.clients.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'raw/stream/' }),
      );
      for (const { Key } of Contents) {
        const object = await local.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        const lines = gunzipSync(
          Buffer.from(
            await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
          ),
        )
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { deliveryIds: string[]; bodyBase64: string });
        const record = lines.find((candidate) => candidate.deliveryIds.includes(deliveryId));
        if (record) return { key: Key as string, record };
      }
      if (Date.now() > deadline) throw new Error(`No archived record for delivery ${deliveryId}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('deploys every stack and reports the types it skips', () => {
    expect(local.report.stacks.map((stack) => stack.name)).toEqual([
      'Concord-local-Stateful',
      'Concord-local-Stateless',
    ]);
    expect(local.report.stacks.every((stack) => stack.created.length > 0)).toBe(true);
    // Access, logging, alarms, encryption keys, the dashboard and X-Ray sampling (the embedded runtime traces nothing)
    // have no local behaviour; anything else skipped would be a silent gap in `npm start`.
    const accessAndLogging =
      /^AWS::(IAM::\w+|Logs::LogGroup|Logs::LogStream|CloudWatch::Alarm|CloudWatch::Dashboard|KMS::Key|Lambda::Permission|S3::BucketPolicy|SQS::QueuePolicy|SNS::TopicPolicy|XRay::SamplingRule)$/;
    expect(Object.keys(local.report.skipped).filter((type) => !accessAndLogging.test(type))).toEqual([]);
    // Roles, their policies and resource policies are deployed: the runtime enforces them (docs/local-runtime.md, IAM).
    expect(local.report.skipped['AWS::IAM::Role']).toBeUndefined();
  });

  it('accepts a signed Shopify order, puts its canonical event on the bus and archives the raw webhook', async () => {
    // Act
    const response = await postShopifyOrder(
      local.platform.apiUrl,
      local.secrets.shopify?.[0] as string,
      orderBody,
      'e2e-evt-1',
    );
    const accepted = (await response.json()) as Record<string, string>;
    const { Messages } = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: observer.url, WaitTimeSeconds: 10 }),
    );
    const busEvent = JSON.parse(Messages?.[0]?.Body ?? '{}');
    const archived = await archivedRecord('e2e-evt-1');
    // Assess
    expect(response.status).toBe(202);
    expect(busEvent).toMatchObject({
      source: 'concord.ingest',
      'detail-type': 'commerce.order.placed.v1',
      detail: { id: accepted.eventId, correlationid: accepted.correlationId, subject: 'order/5820741173332' },
    });
    expect(archived.key).toMatch(/^raw\/stream\/\d{4}\/\d{2}\/\d{2}\/.+\.jsonl\.gz$/);
    expect(archived.record).toMatchObject({ source: 'shopify', deliveryIds: ['e2e-evt-1'], method: 'POST' });
    expect(Buffer.from(archived.record.bodyBase64, 'base64').toString()).toBe(orderBody);
  });

  it('answers a redelivery with 200 and the original ids, publishing nothing more', async () => {
    // Prepare
    const first = (await (
      await postShopifyOrder(
        local.platform.apiUrl,
        local.secrets.shopify?.[0] as string,
        orderBody,
        'e2e-evt-2',
      )
    ).json()) as Record<string, string>;
    await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: observer.url, WaitTimeSeconds: 5 }));
    // Act
    const again = await postShopifyOrder(
      local.platform.apiUrl,
      local.secrets.shopify?.[0] as string,
      orderBody,
      'e2e-evt-2',
    );
    const body = await again.json();
    const nothing = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: observer.url, WaitTimeSeconds: 1 }),
    );
    // Assess
    expect(again.status).toBe(200);
    expect(body).toMatchObject({
      duplicate: true,
      eventId: first.eventId,
      correlationId: first.correlationId,
    });
    expect(nothing.Messages).toBeUndefined();
  });

  it('verifies a Stripe webhook signed by stripe-node with the local secret', async () => {
    const body = readFileSync(
      path.join(__dirname, '../fixtures/stripe/payment-intent-succeeded.json'),
      'utf8',
    );
    const response = await postStripeEvent(local.platform.apiUrl, local.secrets.stripe?.[0] as string, body);
    expect(response.status).toBe(202);
  });

  it("accepts a HiBob webhook declared in sources.json, signed by Bob's rule, and puts hr.employee.hired.v1 on the bus", async () => {
    // Prepare: Bob-Signature is Base64(HmacSHA512(secret, body)), as HiBob documents it.
    const body = readFileSync(path.join(__dirname, '../fixtures/hibob/employee-joined.json'), 'utf8');
    const signature = createHmac('sha512', local.secrets.hibob?.[0] as string)
      .update(body)
      .digest('base64');
    // Act
    const response = await fetch(`${local.platform.apiUrl}/webhooks/hibob`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'bob-signature': signature },
      body,
    });
    const accepted = (await response.json()) as Record<string, string>;
    // Earlier tests leave other events on the observer queue: read until the HR one arrives.
    let busEvent: { 'detail-type'?: string; detail?: Record<string, unknown> } = {};
    for (let attempt = 0; attempt < 5 && busEvent['detail-type'] !== 'hr.employee.hired.v1'; attempt += 1) {
      const { Messages = [] } = await local.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: observer.url, WaitTimeSeconds: 5, MaxNumberOfMessages: 10 }),
      );
      busEvent =
        Messages.map((message) => JSON.parse(message.Body ?? '{}')).find(
          (candidate) => candidate['detail-type'] === 'hr.employee.hired.v1',
        ) ?? busEvent;
    }
    // Assess
    expect(response.status).toBe(202);
    expect(busEvent.detail).toMatchObject({
      id: accepted.eventId,
      source: 'hibob://acme',
      subject: 'employee/3332883854254932743',
      data: { sourceEmployeeId: '3332883854254932743', effectiveDate: '2026-11-02' },
    });
  });

  it('refuses a bad signature with 401 problem+json from the deployed function', async () => {
    const response = await postShopifyOrder(local.platform.apiUrl, 'not-the-secret', orderBody);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 404 from API Gateway for a route that does not exist', async () => {
    const response = await fetch(`${local.platform.apiUrl}/nowhere`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
  });

  it('serves health with the deployed resources', async () => {
    const response = await fetch(`${local.platform.runtime.endpoint}/_concord/health`);
    expect(response.status).toBe(200);
  });

  it('redeploys only what changed: an edited handler takes effect and queued messages stay', async () => {
    // Prepare: the same assembly with the handler's bundle edited, as a rebuild would produce.
    const edited = mkdtempSync(path.join(tmpdir(), 'concord-assembly-edited-'));
    cpSync(assemblyDir, edited, { recursive: true });
    const lambdaAsset = JSON.parse(
      readFileSync(path.join(edited, 'Concord-local-Stateless.assets.json'), 'utf8'),
    ).files;
    const assetPath = Object.values(
      lambdaAsset as Record<string, { source: { path: string; packaging: string } }>,
    ).find((file) => file.source.packaging === 'zip')?.source.path as string;
    const bundle = path.join(edited, assetPath, 'index.js');
    writeFileSync(
      bundle,
      `${readFileSync(bundle, 'utf8')}\n;(() => { const original = module.exports.handler; module.exports = { handler: async (...args) => { const result = await original(...args); result.headers = { ...result.headers, 'x-concord-build': 'edited' }; return result; } }; })();\n`,
    );
    const { QueueUrl } = await local.clients.sqs.send(
      new CreateQueueCommand({ QueueName: 'kept-across-redeploy' }),
    );
    await local.clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'still here' }));
    // Act
    const report = await local.platform.deploy(edited, local.secrets);
    const response = await postShopifyOrder(
      local.platform.apiUrl,
      local.secrets.shopify?.[0] as string,
      orderBody,
    );
    const { Messages } = await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    rmSync(edited, { recursive: true, force: true });
    // Assess
    const stateless = report.stacks.find((stack) => stack.name === 'Concord-local-Stateless');
    expect(stateless?.updated).toEqual([expect.stringMatching(/^IngestWebhookFunction/)]);
    expect(report.stacks.find((stack) => stack.name === 'Concord-local-Stateful')?.updated).toEqual([]);
    expect(response.status).toBe(202);
    expect(response.headers.get('x-concord-build')).toBe('edited');
    expect(Messages?.[0]?.Body).toBe('still here');
  });
});
