/** Stripe: `Stripe-Signature: t=…,v1=…[,v1=…]`, hex HMAC-SHA256 of "{t}.{body}" keyed with the whsec_ string as is. */
import { SignatureInvalidError } from '../../errors';
import type { WebhookRequest } from '../webhook-request';
import { anySignatureMatches, assertFresh, decodeHex, hmacSha256, requireHeader } from './hmac';

/** Stripe's default tolerance. */
export const stripeToleranceSec = 300;

/** Verifies a Stripe webhook: a fresh timestamp and any v1 signature matching any active secret. */
export function verifyStripe(request: WebhookRequest, secrets: readonly string[]): void {
  const header = requireHeader(request.headers, 'stripe-signature');
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const separator = item.indexOf('=');
    const key = item.slice(0, separator).trim();
    const value = item.slice(separator + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') signatures.push(decodeHex(value));
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    throw new SignatureInvalidError('Stripe-Signature has no valid timestamp');
  if (signatures.length === 0) throw new SignatureInvalidError('Stripe-Signature has no v1 signature');
  assertFresh(Number(timestamp), request.receivedAt, stripeToleranceSec);
  const expected = secrets.map((secret) => hmacSha256(secret, `${timestamp}.`, request.body));
  if (!anySignatureMatches(expected, signatures))
    throw new SignatureInvalidError('No Stripe v1 signature matches');
}
