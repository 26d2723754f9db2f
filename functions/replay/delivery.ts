/** Where a dead letter goes when replayed: the target that failed it when the message records one, else the bus. */
import { type DeadLetter, describeRecordedTarget, type RecordedTarget } from './dead-letters';
import type { ReplayDependencies, ReplayMetadata } from './ports';

/** A message records the target that failed, and this replayer was given no way to reach it. */
export class TargetClientsMissingError extends Error {
  override readonly name = 'TargetClientsMissingError';
  constructor(
    readonly target: string,
    options?: { cause?: unknown },
  ) {
    super(`This replayer has no clients for targets: ${target} is not reached; the message stays`, options);
  }
}

/** Where a dead letter is replayed to, in words; undefined when it cannot be replayed. */
export function replayDestination(letter: DeadLetter, busName: string): string | undefined {
  if (letter.recordedTarget) return describeRecordedTarget(letter.recordedTarget);
  return letter.entry ? `bus ${busName} (re-publish)` : undefined;
}

/** Delivers to the target a dead letter recorded; resolves with the delivery's id. */
export function deliverToRecordedTarget(
  deps: Pick<ReplayDependencies, 'targets'>,
  recorded: RecordedTarget,
  metadata: ReplayMetadata,
): Promise<string> {
  if (!deps.targets) return Promise.reject(new TargetClientsMissingError(recorded.arn));
  return deps.targets.deliver(recorded, metadata);
}

/**
 * Delivers a replayable dead letter where it belongs; resolves with the delivery's id (event id, execution ARN,
 * record id, …). A letter that records no target re-publishes its event, which keeps its id, so that the flows'
 * idempotency still recognizes it.
 */
export function deliverDeadLetter(
  deps: Pick<ReplayDependencies, 'targets' | 'bus'>,
  letter: DeadLetter,
  metadata: ReplayMetadata,
): Promise<string> {
  if (letter.recordedTarget) return deliverToRecordedTarget(deps, letter.recordedTarget, metadata);
  if (!letter.entry) return Promise.reject(new DeadLetterNotReplayableError(letter.messageId));
  return deps.bus.publish(letter.entry, metadata);
}

/** A dead letter holds no event to re-publish and records no target: it needs an edit or parking. */
export class DeadLetterNotReplayableError extends Error {
  override readonly name = 'DeadLetterNotReplayableError';
  constructor(
    readonly messageId: string,
    options?: { cause?: unknown },
  ) {
    super(`message ${messageId} holds no event to re-publish and records no target`, options);
  }
}
