/** Shopify: X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body; nothing time-based is signed. */
import { SignatureInvalidError } from '../../errors';
import type { WebhookRequest } from '../webhook-request';
import { anySignatureMatches, decodeBase64, hmacSha256, requireHeader } from './hmac';

/** Verifies a Shopify webhook against any of the active secrets (replay protection is the dedupe on the event id). */
export function verifyShopify(request: WebhookRequest, secrets: readonly string[]): void {
  const presented = decodeBase64(requireHeader(request.headers, 'x-shopify-hmac-sha256'));
  const expected = secrets.map((secret) => hmacSha256(secret, request.body));
  if (!anySignatureMatches(expected, [presented]))
    throw new SignatureInvalidError('Shopify HMAC does not match');
}
