/** Signed webhook requests for tests, produced with the vendors' own SDKs (Shopify: node:crypto, as Shopify's own tests do). */
import { createHmac } from 'node:crypto';
import { Signature } from '@hubspot/api-client';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import type { WebhookRequest } from '../../functions/shared/sources/webhook-request';

const stripe = new Stripe('sk_test_unused');

/** The public URL the tests pretend to be served at. */
export const webhookBaseUrl = 'https://hooks.concord.example';

function request(
  sourceName: string,
  body: string,
  headers: Record<string, string>,
  receivedAt: Date,
): WebhookRequest {
  return {
    sourceName,
    method: 'POST',
    url: `${webhookBaseUrl}/webhooks/${sourceName}`,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(body, 'utf8'),
    receivedAt,
  };
}

/** The shop a signed Shopify webhook comes from unless a test says otherwise. */
export const testShopDomain = 'acme-outdoor.myshopify.com';

/** A Shopify webhook signed with `secret`, sent as `shopDomain` (Shopify signs the body only, not the shop). */
export function signedShopify(
  body: string,
  secret: string,
  options: { topic?: string; eventId?: string; receivedAt?: Date; shopDomain?: string } = {},
): WebhookRequest {
  const hmac = createHmac('sha256', secret).update(body, 'utf8').digest('base64');
  return request(
    'shopify',
    body,
    {
      'x-shopify-hmac-sha256': hmac,
      'x-shopify-topic': options.topic ?? 'orders/create',
      'x-shopify-shop-domain': options.shopDomain ?? testShopDomain,
      'x-shopify-api-version': '2026-10',
      'x-shopify-webhook-id': `b54557e4-bdd9-4b37-8a5f-${(options.eventId ?? '1').padStart(12, '0')}`,
      'x-shopify-event-id': options.eventId ?? '98880550-7158-44d4-b7cd-2c97c8a091b5',
      'x-shopify-triggered-at': '2026-11-20T14:14:33.000Z',
    },
    options.receivedAt ?? new Date(),
  );
}

/** A Stripe webhook signed by stripe-node's test header generator. */
export function signedStripe(
  body: string,
  secret: string,
  options: { timestampSec?: number; receivedAt?: Date } = {},
): WebhookRequest {
  const receivedAt = options.receivedAt ?? new Date();
  const timestamp = options.timestampSec ?? Math.floor(receivedAt.getTime() / 1000);
  const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
  return request('stripe', body, { 'stripe-signature': header }, receivedAt);
}

/** A HubSpot v3 webhook signed by @hubspot/api-client. */
export function signedHubspot(
  body: string,
  secret: string,
  options: { timestampMs?: number; receivedAt?: Date; url?: string } = {},
): WebhookRequest {
  const receivedAt = options.receivedAt ?? new Date();
  const timestamp = options.timestampMs ?? receivedAt.getTime();
  const url = options.url ?? `${webhookBaseUrl}/webhooks/hubspot`;
  const signature = Signature.getSignature('POST', 'v3', {
    signature: '',
    clientSecret: secret,
    requestBody: body,
    url,
    timestamp,
  });
  return {
    ...request(
      'hubspot',
      body,
      { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) },
      receivedAt,
    ),
    url,
  };
}

/** A Standard Webhooks request signed by the `standardwebhooks` reference library. */
export function signedStandardWebhook(
  sourceName: string,
  body: string,
  secret: string,
  options: { messageId?: string; signedAt?: Date; receivedAt?: Date } = {},
): WebhookRequest {
  const receivedAt = options.receivedAt ?? new Date();
  const signedAt = options.signedAt ?? receivedAt;
  const messageId = options.messageId ?? 'msg_2pQ8sXk4bN7vL1mR3tY6wZ9c';
  const signature = new Webhook(secret).sign(messageId, signedAt, body);
  return request(
    sourceName,
    body,
    {
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(signedAt.getTime() / 1000)),
      'webhook-signature': signature,
    },
    receivedAt,
  );
}
