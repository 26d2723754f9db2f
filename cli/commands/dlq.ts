/** `concord dlq list|show`: what failed, where, and why. */
import { parseArgs } from 'node:util';
import { requireReason } from '../../functions/replay/accountability';
import { matchesFilter, parseFilter } from '../../functions/replay/dead-letters';
import { parkMessages } from '../../functions/replay/park-and-edit';
import { listDeadLetterQueues, peekQueue } from '../../functions/replay/replay';
import { confirmAction, countOf } from '../confirm-action';
import { filterOptions, filterOptionsHelp, maxFrom } from '../dead-letter-filter-options';
import { deadLetterQueueUrls, opsContext, opsOptions, opsOptionsHelp, resolveQueue } from '../ops-context';
import { formatAge, printJson, printTable } from '../table-output';

export const dlqHelp = `Dead-letter queues: every queue failures end in, and the messages in one.

usage: concord dlq list [options]
       concord dlq show <queue> [filters] [options]
       concord dlq park <queue> <message-id…> --reason TEXT [--yes]

  list            every DLQ and the exceptions queue: depth, messages in flight, oldest message age, top error codes
  show <queue>    the messages of one queue (a name or a unique part of one, e.g. OrderToCashDlq, Exceptions):
                  event type, entity, correlation id, error code and message, rule/target, receive count
  park            move messages to the parking queue with a reason (list and replay them there: dlq show Parking);
                  asks "Park N messages …? [y/N]" first unless --yes (refused, exit 2, when stdin is not a terminal).
                  The audit names you as your credentials do (STS GetCallerIdentity; locally .concord/operators.json)
${filterOptionsHelp}
${opsOptionsHelp}`;

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
      if (!queue) throw new Error('usage: concord dlq show <queue> [filters] (see --help)');
      const url = await resolveQueue(context.sqs, context.stage, queue);
      const filter = parseFilter(values);
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
            [letter.rule, letter.target, letter.failedStep].filter(Boolean).join(' / ') || undefined,
            letter.receiveCount,
            letter.sentAt.toISOString(),
            letter.errorMessage?.replace(/\s+/g, ' ').slice(0, 120),
          ]),
        );
      return 0;
    }
    if (verb === 'park') {
      const messageIds = positionals.slice(2);
      if (!queue || messageIds.length === 0)
        throw new Error('usage: concord dlq park <queue> <message-id…> --reason TEXT (see --help)');
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
    throw new Error('usage: concord dlq list | show <queue> | park <queue> <message-id…> (see --help)');
  } finally {
    context.close();
  }
}
