/** Standard Webhooks: `webhook-signature: v1,<b64> …` over "{id}.{timestamp}.{body}", key = base64 after whsec_. */
import { SignatureInvalidError } from '../../errors';
import type { WebhookRequest } from '../webhook-request';
import { anySignatureMatches, assertFresh, decodeBase64, hmacSha256, requireHeader } from './hmac';

/** The specification's tolerance, both ways. */
export const standardWebhooksToleranceSec = 300;

/** The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the reference libraries). */
export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** Verifies a Standard Webhooks request: a fresh timestamp and any v1 signature matching any active secret. */
export function verifyStandardWebhooks(request: WebhookRequest, secrets: readonly string[]): void {
  const id = requireHeader(request.headers, 'webhook-id');
  const timestamp = requireHeader(request.headers, 'webhook-timestamp');
  const header = requireHeader(request.headers, 'webhook-signature');
  if (!/^\d{1,12}$/.test(timestamp))
    throw new SignatureInvalidError('webhook-timestamp is not a number of seconds');
  assertFresh(Number(timestamp), request.receivedAt, standardWebhooksToleranceSec);
  const signatures = header
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => decodeBase64(entry.slice(3)));
  if (signatures.length === 0) throw new SignatureInvalidError('webhook-signature has no v1 signature');
  const expected = secrets.map((secret) =>
    hmacSha256(standardWebhooksKey(secret), `${id}.${timestamp}.`, request.body),
  );
  if (!anySignatureMatches(expected, signatures))
    throw new SignatureInvalidError('No Standard Webhooks v1 signature matches');
}
