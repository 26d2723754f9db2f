// HTTP helpers shared by the ERP sandbox's server and the platform stand-ins it hosts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** Whether a presented secret equals the expected one, compared in a time that does not depend on what was presented. */
export function sameSecret(presented: string, expected: string): boolean {
  // Digests of equal length, so the comparison takes the same time whatever was presented.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Answers `status` with `body` as JSON; `headers` are added to, or override, the JSON content type. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
