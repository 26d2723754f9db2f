/** Shopify: X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body; neither the shop nor a time is signed. */
import { SignatureInvalidError } from '../../errors';
import type { WebhookRequest } from '../webhook-request';
import { anySignatureMatches, decodeBase64, hmacSha256, requireHeader } from './hmac';

// A host name: the shop's permanent <name>.myshopify.com domain, as Shopify sends it.
const hostNamePattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * The shop a Shopify webhook says it is from (X-Shopify-Shop-Domain, lower-cased). The header is not signed, so
 * the ingest edge verifies the body with this shop's secrets only; the canonical event's `source` is built from
 * the same value, so it is always the shop whose secret verified the body.
 */
export function shopifyShopDomain(request: WebhookRequest): string {
  const domain = requireHeader(request.headers, 'x-shopify-shop-domain').trim().toLowerCase();
  if (!hostNamePattern.test(domain))
    throw new SignatureInvalidError('X-Shopify-Shop-Domain is not a domain name');
  return domain;
}

/** Verifies a Shopify webhook against any of the shop's active secrets (replay protection is the dedupe on the event id). */
export function verifyShopify(request: WebhookRequest, secrets: readonly string[]): void {
  const presented = decodeBase64(requireHeader(request.headers, 'x-shopify-hmac-sha256'));
  const expected = secrets.map((secret) => hmacSha256(secret, request.body));
  if (!anySignatureMatches(expected, [presented]))
    throw new SignatureInvalidError('Shopify HMAC does not match');
}
