/** The whole platform for end-to-end tests: the real CDK app synthesized for `local`, deployed onto a fresh runtime. */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Signature } from '@hubspot/api-client';
import Stripe from 'stripe';
import { localWebhookSecrets, synthesizeLocalStage } from '../../../cli/commands/dev';
import { staticErpCredentials } from '../../../functions/shared/erp/erp-credentials';
import { HttpErpConnector } from '../../../functions/shared/erp/http-erp-connector';
import type { ErpSandbox } from '../../../local/erp-sandbox/erp-sandbox-server';
import { ErpSandboxAdmin } from '../../../local/erp-sandbox/sandbox-admin';
import { LocalPlatform } from '../../../local/platform';
import { sdkClients } from '../../local/support/local-runtime';
import { freePort } from '../../local/support/runtime-process';

/** Synthesizes the stage `local` into a fresh directory (esbuild bundles included). */
export function synthesizeToTemp(): string {
  return synthesizeLocalStage(mkdtempSync(path.join(tmpdir(), 'concord-assembly-')));
}

/** Starts a platform on free ports and deploys an assembly with generated local webhook secrets. */
export async function startDeployedPlatform(assemblyDir: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'concord-e2e-'));
  const { secrets } = localWebhookSecrets(dataDir);
  const platform = await LocalPlatform.start({ dataDir, edgePort: 0, apiPort: 0 });
  const report = await platform.deploy(assemblyDir, secrets);
  const clients = sdkClients(platform.runtime.endpoint);
  return {
    platform,
    report,
    secrets,
    clients,
    dataDir,
    async stop(): Promise<void> {
      for (const client of Object.values(clients)) client.destroy();
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Synthesizes the stage against an ERP sandbox on a free port and starts the whole platform with it (runtime, API,
 * ERP), deployed, in a fresh directory. `stop` removes everything.
 */
export async function startPlatformWithErp(options: { clockFactor?: number } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-erp-e2e-'));
  const erpPort = await freePort();
  const assembly = synthesizeLocalStage(path.join(dir, 'cdk.out'), `http://127.0.0.1:${erpPort}`);
  const { secrets } = localWebhookSecrets(path.join(dir, 'data'));
  const platform = await LocalPlatform.start({
    dataDir: path.join(dir, 'data'),
    edgePort: 0,
    apiPort: 0,
    erpPort,
    clockFactor: options.clockFactor,
  });
  await platform.deploy(assembly, secrets);
  const clients = sdkClients(platform.runtime.endpoint);
  const erp = platform.erp as ErpSandbox;
  const erpConnection = {
    baseUrl: erp.url,
    credentials: staticErpCredentials(erp.credentials.apiKeys[0] as string),
  };
  return {
    platform,
    secrets,
    clients,
    erpUrl: erp.url,
    /** Where and how Concord's ERP connectors reach the sandbox (its URL and API key). */
    erpConnection,
    /** The ERP as Concord's connector reaches it, with the sandbox's API key. */
    erp: new HttpErpConnector(erpConnection),
    /** The sandbox's admin API: faults, releases and corrections by hand. */
    erpAdmin: new ErpSandboxAdmin(erp.url, erp.credentials.adminToken),
    async stop(): Promise<void> {
      for (const client of Object.values(clients)) client.destroy();
      await platform.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new queue receiving every event of the local bus that matches `pattern`; returns its URL. */
export async function observeBus(
  clients: Pick<ReturnType<typeof sdkClients>, 'sqs' | 'events'>,
  name: string,
  pattern: object,
): Promise<string> {
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await clients.events.send(
    new PutRuleCommand({ Name: name, EventBusName: 'concord-local', EventPattern: JSON.stringify(pattern) }),
  );
  await clients.events.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: 'concord-local',
      Targets: [{ Id: 'observer', Arn: Attributes?.QueueArn }],
    }),
  );
  return QueueUrl as string;
}

/** Every message a queue holds now, parsed and deleted as read. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return bodies;
    for (const message of Messages) bodies.push(JSON.parse(message.Body ?? 'null'));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
}

/** Posts a Shopify webhook signed as Shopify signs it (HMAC-SHA256 of the raw body, base64). */
export async function postShopifyOrder(
  apiUrl: string,
  secret: string,
  body: string,
  eventId: string = randomUUID(),
  topic = 'orders/create',
) {
  return fetch(`${apiUrl}/webhooks/shopify`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': 'acme-outdoor.myshopify.com',
      'x-shopify-event-id': eventId,
      'x-shopify-webhook-id': randomUUID(),
    },
    body,
  });
}

/** Posts a Spendesk webhook signed as Spendesk signs it (x-spendesk-webhook-signature: HMAC-SHA256 of the raw body, hex). */
export async function postSpendeskWebhook(
  apiUrl: string,
  secret: string,
  body: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${apiUrl}/webhooks/spendesk`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-spendesk-webhook-signature': createHmac('sha256', secret).update(body).digest('hex'),
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Posts a Stripe event signed by stripe-node's own test header generator. */
export async function postStripeEvent(apiUrl: string, secret: string, body: string) {
  const signature = new Stripe('sk_test_unused').webhooks.generateTestHeaderString({ payload: body, secret });
  return fetch(`${apiUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body,
  });
}

/** Posts a HubSpot v3 batch signed by @hubspot/api-client (the signature covers method, URL, body and timestamp). */
export async function postHubspotEvents(apiUrl: string, secret: string, body: string) {
  const url = `${apiUrl}/webhooks/hubspot`;
  const timestamp = Date.now();
  const signature = Signature.getSignature('POST', 'v3', {
    signature: '',
    clientSecret: secret,
    requestBody: body,
    url,
    timestamp,
  });
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signature,
      'x-hubspot-request-timestamp': String(timestamp),
    },
    body,
  });
}
