/** The signature schemes Concord verifies, by the name the source registry uses. */
import type { WebhookRequest } from '../webhook-request';
import { verifyHubspot } from './hubspot';
import { shopifyShopDomain, verifyShopify } from './shopify';
import { verifyStandardWebhooks } from './standard-webhooks';
import { verifyStripe } from './stripe';

/** A scheme coded once per vendor protocol. */
export type BuiltInSignatureScheme = 'shopify' | 'stripe' | 'hubspot-v3' | 'standard-webhooks';

/** A signature scheme's name in the source registry: a built-in one, or `hmac` declared field by field. */
export type SignatureScheme = BuiltInSignatureScheme | 'hmac';

/** Throws SignatureInvalidError unless the request is signed by one of the secrets. */
export type SignatureVerifier = (request: WebhookRequest, secrets: readonly string[]) => void;

/** Every built-in verifier, by scheme (a declared `hmac` scheme is compiled from its declaration). */
export const signatureVerifiers: Record<BuiltInSignatureScheme, SignatureVerifier> = {
  shopify: verifyShopify,
  stripe: verifyStripe,
  'hubspot-v3': verifyHubspot,
  'standard-webhooks': verifyStandardWebhooks,
};

/** Names the sender a request claims to come from, for a scheme whose signature does not cover the sender. */
export type SenderResolver = (request: WebhookRequest) => string;

/**
 * The schemes whose secrets are bound to a sender, and how each names it: Shopify signs only the body, so each
 * shop domain has its own secrets and a body signed for one shop cannot be sent as another.
 */
export const senderResolvers: Partial<Record<SignatureScheme, SenderResolver>> = {
  shopify: shopifyShopDomain,
};
