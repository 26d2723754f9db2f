/** Signing of webhooks the way each provider signs them, so `concord send` can post what a real sender would. */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { ConcordError } from '../functions/shared/errors';
import {
  type DeclaredHmacSignature,
  signDeclaredHmac,
} from '../functions/shared/sources/signatures/declared-hmac';

/** The scheme-specific headers of a signed request. */
/** A source's registry entry names a signing scheme `concord send` cannot sign with, or lacks what it needs. */
export class WebhookSigningError extends ConcordError {
  override readonly name = 'WebhookSigningError';
}

export function signWebhook(
  scheme: string,
  secret: string,
  body: string,
  url: string,
  options: { topic?: string; shopDomain?: string; signature?: DeclaredHmacSignature } = {},
): Record<string, string> {
  const nowSec = Math.floor(Date.now() / 1000);
  switch (scheme) {
    case 'shopify':
      return {
        'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
        'x-shopify-topic': options.topic ?? 'orders/create',
        'x-shopify-shop-domain': options.shopDomain ?? 'concord-local.myshopify.com',
        'x-shopify-event-id': randomUUID(),
        'x-shopify-webhook-id': randomUUID(),
        'x-shopify-triggered-at': new Date().toISOString(),
        'x-shopify-api-version': '2026-10',
      };
    case 'stripe':
      return {
        'stripe-signature': `t=${nowSec},v1=${createHmac('sha256', secret).update(`${nowSec}.${body}`).digest('hex')}`,
      };
    case 'hubspot-v3': {
      const timestamp = String(Date.now());
      return {
        'x-hubspot-signature-v3': createHmac('sha256', secret)
          .update(`POST${url}${body}${timestamp}`)
          .digest('base64'),
        'x-hubspot-request-timestamp': timestamp,
      };
    }
    case 'standard-webhooks': {
      const id = `msg_${randomBytes(12).toString('hex')}`;
      const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
      return {
        'webhook-id': id,
        'webhook-timestamp': String(nowSec),
        'webhook-signature': `v1,${createHmac('sha256', key).update(`${id}.${nowSec}.${body}`).digest('base64')}`,
      };
    }
    case 'hmac':
      // A declared scheme signs as its registry entry says.
      if (!options.signature) throw new WebhookSigningError('The hmac scheme needs its declared signature');
      return signDeclaredHmac(options.signature, secret, body);
    default:
      throw new WebhookSigningError(`No signer for scheme ${scheme}`);
  }
}

/** A fresh random secret in the format the scheme uses (for a first local start). */
export function newLocalSecret(scheme: string): string {
  switch (scheme) {
    case 'stripe':
      return `whsec_${randomBytes(24).toString('hex')}`;
    case 'standard-webhooks':
      return `whsec_${randomBytes(24).toString('base64')}`;
    default:
      return randomBytes(32).toString('hex');
  }
}
