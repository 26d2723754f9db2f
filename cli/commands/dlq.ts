/** `concord dlq list|show`: what failed, where, and why. */
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { requireReason } from '../../functions/replay/accountability';
import {
  caseOutcomeOf,
  type DeadLetter,
  matchesFilter,
  parseFilter,
} from '../../functions/replay/dead-letters';
import { parkMessages } from '../../functions/replay/park-and-edit';
import { listDeadLetterQueues, peekQueue } from '../../functions/replay/replay';
import { ConcordError, type ConcordErrorOptions } from '../../functions/shared/errors';
import { confirmAction, countOf } from '../confirm-action';
import { filterOptions, filterOptionsHelp, maxFrom } from '../dead-letter-filter-options';
import { OperatorInputError } from '../error-output';
import { deadLetterQueueUrls, opsContext, opsOptions, opsOptionsHelp, resolveQueue } from '../ops-context';
import { formatAge, printJson, printTable } from '../table-output';

export const dlqHelp = `List the dead-letter queues (every queue failures end in), and show or park the messages in one.

usage: concord dlq list [options]
       concord dlq show <queue> [filters] [options]
       concord dlq park <queue> <message-id…> --reason TEXT [--yes]

  list            every DLQ and the exceptions queue: depth, messages in flight, oldest message age, top error codes
  show <queue>    the messages of one queue (a name or a unique part of one, e.g. OrderToCashDlq, Exceptions):
                  event type, entity, correlation id, error code and message, a workflow case's outcome (failed,
                  refused or UNKNOWN OUTCOME) and compensations, rule/target, receive count; --json adds outcome,
                  compensated and compensationFailure as recorded. Cases with an unknown outcome or a failed
                  compensation are repeated on stderr with what to do. Reading leaves every message in place; it
                  adds to each one's receive count, which moves nothing: these queues have no redrive policy (a
                  queue URL with one is refused)
  park            move messages to the parking queue with a reason (list and replay them there: dlq show Parking);
                  asks "Park N messages …? [y/N]" first unless --yes (refused, exit 2, when stdin is not a terminal).
                  The audit names you as your credentials do (STS GetCallerIdentity; locally .concord/operators.json)
${filterOptionsHelp}
${opsOptionsHelp}`;

/**
 * `dlq show` was pointed at a queue with a redrive policy (a work queue such as WorkflowRedriveQueue or
 * ItemWriteBackQueue, given by its URL): every read counts toward its maxReceiveCount, so reading could move live
 * messages to its dead-letter queue. Nothing was read.
 */
export class RedrivenQueueReadRefusedError extends ConcordError {
  override readonly name = 'RedrivenQueueReadRefusedError';
  /** A refusal before anything changed (cli/error-output.ts). */
  readonly exitCode = 2;
  constructor(
    readonly queueUrl: string,
    readonly maxReceiveCount: number | undefined,
    options?: ConcordErrorOptions,
  ) {
    super(
      `${queueUrl.split('/').at(-1)} has a redrive policy (maxReceiveCount ${maxReceiveCount ?? '?'}): each read ` +
        'would count toward it and could move its messages to its dead-letter queue; nothing was read. Read its ' +
        'dead-letter queue instead (concord dlq list)',
      options,
    );
  }
}

/**
 * Refuses to read a queue with a redrive policy. The queues `dlq show` is meant for (every DLQ, the exceptions and
 * the parking queue) have none, so a read's receive count moves nothing there; a URL may name any queue.
 */
export async function refuseRedrivenQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  if (!Attributes.RedrivePolicy) return;
  let maxReceiveCount: number | undefined;
  try {
    maxReceiveCount = Number(JSON.parse(Attributes.RedrivePolicy).maxReceiveCount) || undefined;
  } catch {
    // The policy is still there even if its text is not JSON: refuse all the same.
  }
  throw new RedrivenQueueReadRefusedError(queueUrl, maxReceiveCount);
}

/**
 * Says on stderr, under the table, which cases must not be replayed or compensated blindly: an unknown outcome (the
 * ERP may have booked) or a failed compensation (a document may be left). A wide table's cell is easily missed.
 */
function warnAboutOutcomes(letters: readonly DeadLetter[]): void {
  for (const letter of letters) {
    const outcome = caseOutcomeOf(letter);
    if (!outcome || outcome.severity === 'settled') continue;
    console.error(`! ${letter.messageId} ${letter.entity ?? ''}: ${outcome.headline}. ${outcome.advice}`);
  }
}

export async function runDlq(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...opsOptions, ...filterOptions, reason: { type: 'string' }, yes: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [verb, queue] = positionals;
  const context = opsContext(values);
  try {
    if (verb === 'list') {
      const summaries = await listDeadLetterQueues(
        context.deadLetters,
        await deadLetterQueueUrls(context.sqs, context.stage),
      );
      if (values.json) printJson(summaries);
      else
        printTable(
          ['QUEUE', 'DEPTH', 'IN FLIGHT', 'OLDEST', 'TOP ERRORS'],
          summaries.map((summary) => [
            summary.name,
            summary.depth,
            summary.inFlight,
            formatAge(summary.oldestAgeSec),
            summary.topErrors.map((error) => `${error.code} (${error.count})`).join(', ') || undefined,
          ]),
        );
      return 0;
    }
    if (verb === 'show') {
      if (!queue) throw new OperatorInputError('usage: concord dlq show <queue> [filters] (see --help)');
      const url = await resolveQueue(context.sqs, context.stage, queue);
      const filter = parseFilter(values);
      await refuseRedrivenQueue(context.sqs, url);
      const letters = (await peekQueue(context.deadLetters, url, 10_000))
        .filter((letter) => matchesFilter(letter, filter))
        .slice(0, maxFrom(values.max));
      if (values.json) printJson(letters.map(({ receiptHandle: _handle, ...letter }) => letter));
      else
        printTable(
          [
            'MESSAGE ID',
            'TYPE',
            'ENTITY',
            'CORRELATION ID',
            'ERROR',
            'OUTCOME',
            'RULE/TARGET',
            'RECEIVES',
            'FAILED AT',
            'MESSAGE',
          ],
          letters.map((letter) => [
            letter.messageId,
            letter.eventType,
            letter.entity,
            letter.correlationId,
            letter.errorCode,
            caseOutcomeOf(letter)?.headline,
            [letter.rule, letter.target, letter.failedStep].filter(Boolean).join(' / ') || undefined,
            letter.receiveCount,
            letter.sentAt.toISOString(),
            letter.errorMessage?.replace(/\s+/g, ' ').slice(0, 120),
          ]),
        );
      warnAboutOutcomes(letters);
      return 0;
    }
    if (verb === 'park') {
      const messageIds = positionals.slice(2);
      if (!queue || messageIds.length === 0)
        throw new OperatorInputError(
          'usage: concord dlq park <queue> <message-id…> --reason TEXT (see --help)',
        );
      // Checked before the question: a refusal must come before anyone is asked to confirm.
      const reason = requireReason(values.reason, { action: 'parking', field: '--reason' });
      const queueUrl = await resolveQueue(context.sqs, context.stage, queue);
      const parkingQueueUrl = await resolveQueue(context.sqs, context.stage, 'ParkingQueue');
      await confirmAction(
        `Park ${countOf(messageIds.length, 'message')} from ${queueUrl.split('/').at(-1)} in ${parkingQueueUrl.split('/').at(-1)}?`,
        { yes: values.yes },
      );
      const result = await parkMessages(await context.deps(), {
        queueUrl,
        parkingQueueUrl,
        messageIds,
        operator: await context.operator(),
        reason,
      });
      if (values.json) printJson(result);
      else {
        console.log(`parked ${result.parked.length}: ${result.parked.join(', ') || '-'}`);
        if (result.notFound.length) console.log(`not found: ${result.notFound.join(', ')}`);
      }
      return result.notFound.length > 0 ? 1 : 0;
    }
    throw new OperatorInputError(
      'usage: concord dlq list | show <queue> | park <queue> <message-id…> (see --help)',
    );
  } finally {
    context.close();
  }
}
