/** The stage bus on EventBridge: the {@link ReplayBus} port. */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { BusEntry } from '../dead-letters';
import type { ReplayBus, ReplayMetadata } from '../ports';

/** A bus refused a re-published event (PutEvents answered with a failed entry). */
export class ReplayPublishRefusedError extends Error {
  override readonly name = 'ReplayPublishRefusedError';
  constructor(
    readonly detailType: string,
    readonly errorCode: string | undefined,
    errorMessage: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`PutEvents refused ${detailType}: ${errorCode} ${errorMessage}`, options);
  }
}

/** Re-publishes events on one bus with PutEvents, the replay metadata merged into the canonical event. */
export class EventBridgeReplayBus implements ReplayBus {
  constructor(
    private readonly events: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(entry: BusEntry, metadata: ReplayMetadata): Promise<string> {
    const { FailedEntryCount, Entries = [] } = await this.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: entry.source,
            DetailType: entry.detailType,
            Detail: JSON.stringify({ ...entry.detail, ...metadata }),
          },
        ],
      }),
    );
    if (FailedEntryCount)
      throw new ReplayPublishRefusedError(entry.detailType, Entries[0]?.ErrorCode, Entries[0]?.ErrorMessage);
    return Entries[0]?.EventId ?? '';
  }
}
