/** The whole platform for end-to-end tests: the real CDK app synthesized for `local`, deployed onto a fresh runtime. */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Signature } from '@hubspot/api-client';
import Stripe from 'stripe';
import { localWebhookSecrets, synthesizeLocalStage } from '../../../cli/commands/dev';
import { LocalPlatform } from '../../../local/platform';
import { sdkClients } from '../../local/support/local-runtime';

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
