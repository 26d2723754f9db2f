/** Publishes canonical events with PutEvents: batches of 10, failed entries retried, never a silent partial success. */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { BatchEntriesRefusedError, DownstreamUnavailableError } from '../errors';
import type { CanonicalEvent } from '../events/envelope';

/** PutEvents takes at most ten entries per call. */
export const putEventsMaxEntries = 10;

/** How a publisher retries entries that PutEvents reports as failed. */
export interface PublisherOptions {
  eventBusName: string;
  /** Bus `Source`: the producing component, e.g. concord.ingest. */
  busSource: string;
  /** Attempts per entry, the first included. */
  maxAttempts?: number;
  /** Base of the exponential backoff between attempts (full jitter). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The PutEvents entry of a canonical event: DetailType is the versioned type, Detail the envelope. */
export function toPutEventsEntry(
  event: CanonicalEvent,
  eventBusName: string,
  busSource: string,
): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: busSource,
    DetailType: event.type,
    Detail: JSON.stringify(event),
  };
}

/** An EventPublisher over an EventBridge client. */
export class EventBridgePublisher {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: PublisherOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Resolves when every event is on the bus; otherwise throws DownstreamUnavailableError naming the failures. */
  async publish(events: readonly CanonicalEvent[]): Promise<void> {
    const entries = events.map((event) =>
      toPutEventsEntry(event, this.options.eventBusName, this.options.busSource),
    );
    for (let start = 0; start < entries.length; start += putEventsMaxEntries) {
      await this.publishBatch(entries.slice(start, start + putEventsMaxEntries));
    }
  }

  private async publishBatch(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    let lastErrors: string[] = [];
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      if (attempt > 1) await this.sleep(Math.random() * this.baseDelayMs * 2 ** (attempt - 1));
      let response: PutEventsCommandOutput;
      try {
        response = await this.client.send(new PutEventsCommand({ Entries: pending }));
      } catch (error) {
        // The SDK has already retried throttling and transient faults of the call itself.
        throw new DownstreamUnavailableError('EventBridge', { cause: error });
      }
      if (!response.FailedEntryCount) return;
      // Results are positional: entry i of the response answers entry i of the request.
      const results = response.Entries ?? [];
      lastErrors = results.flatMap((result) =>
        result.ErrorCode ? [`${result.ErrorCode}: ${result.ErrorMessage ?? ''}`] : [],
      );
      pending = pending.filter(
        (_entry, index) => results[index]?.ErrorCode !== undefined || results[index] === undefined,
      );
      if (pending.length === 0) return;
    }
    throw new DownstreamUnavailableError('EventBridge', {
      cause: new BatchEntriesRefusedError(
        `${pending.length} entries failed after ${this.maxAttempts} attempts: ${lastErrors.join('; ')}`,
        lastErrors,
      ),
    });
  }
}
