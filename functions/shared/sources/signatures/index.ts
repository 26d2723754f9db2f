/** The signature schemes Concord verifies, by the name the source registry uses. */
import type { WebhookRequest } from '../webhook-request';
import { verifyHubspot } from './hubspot';
import { verifyShopify } from './shopify';
import { verifyStandardWebhooks } from './standard-webhooks';
import { verifyStripe } from './stripe';

/** A signature scheme's name in the source registry. */
export type SignatureScheme = 'shopify' | 'stripe' | 'hubspot-v3' | 'standard-webhooks';

/** Throws SignatureInvalidError unless the request is signed by one of the secrets. */
export type SignatureVerifier = (request: WebhookRequest, secrets: readonly string[]) => void;

/** Every verifier, by scheme. */
export const signatureVerifiers: Record<SignatureScheme, SignatureVerifier> = {
  shopify: verifyShopify,
  stripe: verifyStripe,
  'hubspot-v3': verifyHubspot,
  'standard-webhooks': verifyStandardWebhooks,
};
