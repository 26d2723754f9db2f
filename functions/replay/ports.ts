/** The ports of the replay use cases: what they need from the outside world, and the dependencies that bundle them. */
import type { MessageAttributeValue, Message as SqsMessage } from '@aws-sdk/client-sqs';
import type { RawWebhookRecord } from '../shared/sources/raw-webhook-record';
import type { BusEntry, RecordedTarget } from './dead-letters';

/**
 * A message as a dead-letter queue holds it. SQS's own shape (a type only): dead letters are SQS messages wherever
 * they come from, and {@link readDeadLetter} reads that shape for the erp-outbox-relay and write-back too.
 */
export type QueueMessage = SqsMessage;

/** How deep a queue is. */
export interface QueueDepth {
  /** Messages a reader may receive now. */
  visible: number;
  /** Messages received and not yet deleted or given back. */
  inFlight: number;
}

/** The dead-letter queues, by URL: reading, taking, giving back, moving and deleting their messages. */
export interface DeadLetterQueues {
  /** Up to ten messages with every attribute, hidden from other readers for `visibilitySec` (0: only a look). */
  receive(queueUrl: string, visibilitySec: number): Promise<QueueMessage[]>;
  /** Deletes a received message; only after what it held was delivered. */
  delete(queueUrl: string, receiptHandle: string | undefined): Promise<void>;
  /** Makes messages visible again at once instead of after their visibility timeout; best effort, never throws. */
  release(queueUrl: string, messages: readonly QueueMessage[]): Promise<void>;
  /** Sends a message (parking): its body and attributes as given. */
  send(queueUrl: string, body: string, attributes: Record<string, MessageAttributeValue>): Promise<void>;
  /** The queue's approximate depth. */
  depth(queueUrl: string): Promise<QueueDepth>;
}

/** Who replays what, carried on the event as CloudEvents extension attributes. */
export interface ReplayMetadata {
  replayid: string;
  /** The message id, or the archive object, the event came from. */
  replayof: string;
  replayby: string;
  replayreason: string;
}

/** The stage bus, for events re-published with their replay metadata. */
export interface ReplayBus {
  /** Puts one event on the bus with its replay metadata; resolves with the bus's event id, or throws when refused. */
  publish(entry: BusEntry, metadata: ReplayMetadata): Promise<string>;
}

/** Delivers a dead letter to the one target that failed it (state machine, function, stream, queue or bus). */
export interface TargetDeliverer {
  /** Resolves with the delivery's id at the target (execution ARN, request id, record id, message id, event id). */
  deliver(recorded: RecordedTarget, metadata: ReplayMetadata): Promise<string>;
}

/** One audit record. */
export interface AuditRecord {
  id: string;
  action: 'replay' | 'park' | 'edit' | 'reveal';
  operator: string;
  reason: string;
  queue: string;
  at: string;
  status: 'running' | 'done' | 'interrupted';
  /** The filter, options and counts of the action, as JSON. */
  detail: Record<string, unknown>;
}

/**
 * The ops audit: who acted on what, when and why, and each replay's journal of delivered messages, which makes an
 * interrupted replay resumable without delivering anything twice.
 */
export interface AuditJournal {
  /** Records a new action. */
  record(entry: AuditRecord): Promise<void>;
  /** Updates an action's status and detail. */
  update(entry: AuditRecord): Promise<void>;
  /** The audit record of an action, found by its id (the replay id a resume names). */
  find(id: string): Promise<AuditRecord | undefined>;
  /** Whether a replay already delivered a message (a consistent read). */
  wasPublished(replayId: string, messageId: string): Promise<boolean>;
  /** Records that a replay delivered a message: `eventId` is the delivery's id, `target` where it went. */
  markPublished(replayId: string, messageId: string, eventId: string, target?: string): Promise<void>;
}

/** An archived webhook and where it was found. */
export interface ArchivedWebhook {
  /** The object it was read from (`s3://bucket/key`): the `replayof` of what it is mapped to. */
  key: string;
  record: RawWebhookRecord;
}

/** The raw webhook archive and the quarantine, read back for a replay through the current mapping. */
export interface WebhookArchiveReader {
  /** Every archived or quarantined webhook of these sources received in [since, until], oldest first. */
  read(sourceNames: readonly string[], since: Date, until: Date): Promise<ArchivedWebhook[]>;
}

/** Where a bus archive replay reads and writes: the bus, its archive and the rule that loads the warehouse. */
export interface WarehouseReplayTarget {
  busArn: string;
  archiveArn: string;
  ruleArn: string;
}

/** An archive replay's state, as EventBridge names it (STARTING, RUNNING, COMPLETED, FAILED, CANCELLED, …). */
export interface ArchiveReplayState {
  state: string;
  reason?: string;
}

/** The stage bus's archive, replayed to the warehouse rule alone (a reconciliation's replay plan). */
export interface BusArchive {
  /** The bus's archive and its warehouse rule; throws when the bus has no archive or no such rule. */
  warehouseReplayTarget(): Promise<WarehouseReplayTarget>;
  /** Starts replaying [from, to] of the archive to the target's rule alone. */
  startReplay(
    name: string,
    target: WarehouseReplayTarget,
    window: { from: Date; to: Date; description: string },
  ): Promise<void>;
  /** Where a started replay stands. */
  replayState(name: string): Promise<ArchiveReplayState>;
}

/** What the dead-letter use cases need: the same for the Replay Lambda, the `concord` CLI and the console. */
export interface ReplayDependencies {
  queues: DeadLetterQueues;
  bus: ReplayBus;
  /** The stage bus's name: how a dry run and the audit name a re-publication (`bus <name> (re-publish)`). */
  busName: string;
  journal: AuditJournal;
  /**
   * Delivery to the target a dead letter records. Without it, a message that records its target is not replayed:
   * it stays in its queue and is reported as failed.
   */
  targets?: TargetDeliverer;
  /** The entity version the version gate last let through (the version table), for the dry run. */
  appliedVersion?(subject: string): Promise<number | undefined>;
}
