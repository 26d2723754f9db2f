/** `concord dlq list|show`: what failed, where, and why. */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { matchesFilter, parseFilter } from '../../functions/replay/dead-letters';
import { parkMessages } from '../../functions/replay/park-and-edit';
import {
  deadLetterQueueUrls,
  listDeadLetterQueues,
  peekQueue,
  resolveQueue,
} from '../../functions/replay/replay';
import { filterOptions, filterOptionsHelp, maxFrom } from '../dead-letter-filter-options';
import { opsContext, opsOptions, opsOptionsHelp } from '../ops-context';
import { formatAge, printJson, printTable } from '../table-output';

export const dlqHelp = `Dead-letter queues: every queue failures end in, and the messages in one.

usage: concord dlq list [options]
       concord dlq show <queue> [filters] [options]
       concord dlq park <queue> <message-id…> --reason TEXT [--operator NAME]

  list            every DLQ and the exceptions queue: depth, messages in flight, oldest message age, top error codes
  show <queue>    the messages of one queue (a name or a unique part of one, e.g. OrderToCashDlq, Exceptions):
                  event type, entity, correlation id, error code and message, rule/target, receive count
  park            move messages to the parking queue with a reason (list and replay them there: dlq show Parking)
${filterOptionsHelp}
${opsOptionsHelp}`;

export async function runDlq(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...opsOptions, ...filterOptions, reason: { type: 'string' }, operator: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [verb, queue] = positionals;
  const context = opsContext(values);
  try {
    if (verb === 'list') {
      const summaries = await listDeadLetterQueues(
        context.sqs,
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
      const letters = (await peekQueue(context.sqs, url, 10_000))
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
      if (!values.reason)
        throw new Error('parking needs --reason: it stays with the messages and in the audit');
      const result = await parkMessages(await context.deps(), {
        queueUrl: await resolveQueue(context.sqs, context.stage, queue),
        parkingQueueUrl: await resolveQueue(context.sqs, context.stage, 'ParkingQueue'),
        messageIds,
        operator: values.operator ?? userInfo().username,
        reason: values.reason,
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
