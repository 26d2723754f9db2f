/** What a mapper makes of a webhook: one canonical event draft, or a reason to ignore, per provider delivery. */
import type { EventDraft } from '../../events/envelope';
import type { WebhookRequest } from '../webhook-request';

/** One provider event inside a webhook, identified by the provider's delivery id (the dedupe key). */
export type MappedDelivery =
  | { kind: 'event'; deliveryId: string; draft: EventDraft }
  | { kind: 'ignored'; deliveryId: string; reason: string };

/** Maps a verified, parsed webhook; throws MalformedPayloadError or SchemaViolationError on what it cannot read. */
export type WebhookMapper = (request: WebhookRequest, payload: unknown) => Promise<MappedDelivery[]>;
