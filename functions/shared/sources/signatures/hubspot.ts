/** HubSpot v3: base64 HMAC-SHA256 over method + URI + body + X-HubSpot-Request-Timestamp (ms), valid 5 minutes. */
import { SignatureInvalidError } from '../../errors';
import type { WebhookRequest } from '../webhook-request';
import { anySignatureMatches, assertFresh, decodeBase64, hmacSha256, requireHeader } from './hmac';

/** HubSpot rejects requests older than five minutes. */
export const hubspotToleranceSec = 300;

// HubSpot signs the URI with these percent-encodings decoded (its v3 validation guide).
const decodedInUri: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** The URI as HubSpot signs it. */
export function hubspotSignedUri(url: string): string {
  return url.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (match) => decodedInUri[match.toUpperCase()] ?? match,
  );
}

/** Verifies a HubSpot v3 webhook against any of the app's active client secrets. */
export function verifyHubspot(request: WebhookRequest, secrets: readonly string[]): void {
  const presented = decodeBase64(requireHeader(request.headers, 'x-hubspot-signature-v3'));
  const timestamp = requireHeader(request.headers, 'x-hubspot-request-timestamp');
  if (!/^\d{1,15}$/.test(timestamp))
    throw new SignatureInvalidError('X-HubSpot-Request-Timestamp is not a millisecond timestamp');
  assertFresh(Number(timestamp) / 1000, request.receivedAt, hubspotToleranceSec);
  const uri = hubspotSignedUri(request.url);
  const expected = secrets.map((secret) =>
    hmacSha256(secret, request.method.toUpperCase(), uri, request.body, timestamp),
  );
  if (!anySignatureMatches(expected, [presented]))
    throw new SignatureInvalidError('HubSpot v3 signature does not match');
}
