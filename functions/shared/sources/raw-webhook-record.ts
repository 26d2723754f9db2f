/** A raw webhook as the ingest function archives it: what a replay from the archive reads back and maps again. */

/** A raw webhook as received (secrets stripped), kept so it can be re-mapped later. */
export interface RawWebhookRecord {
  source: string;
  deliveryIds: string[];
  receivedAt: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The exact body bytes, base64-encoded. */
  bodyBase64: string;
}
