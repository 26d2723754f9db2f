/** A webhook as received at the edge: everything a verifier or mapper may read, nothing platform-specific. */

/** One inbound webhook request. Header names are lower-case; the body is the exact bytes the sender signed. */
export interface WebhookRequest {
  sourceName: string;
  method: string;
  /** The full public URL the sender posted to (HubSpot signs it). */
  url: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  receivedAt: Date;
}
