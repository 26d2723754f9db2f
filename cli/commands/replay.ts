/** `concord replay`: re-publish dead letters to the bus, filtered, rate-bounded, audited and resumable. */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { planReplay, resolveQueue, runReplay } from '../../functions/replay/replay';
import { filterFrom, filterOptions, filterOptionsHelp, maxFrom } from '../dead-letter-filter-options';
import { opsContext, opsOptions, opsOptionsHelp } from '../ops-context';
import { printJson, printTable } from '../table-output';

export const replayHelp = `Re-publish the events of a dead-letter queue to the bus, after the cause is fixed.

usage: concord replay <queue> [filters] [--rate N] [--dry-run] --reason TEXT [--operator NAME] [options]
       concord replay <queue> --resume <replay id> --reason TEXT

  --dry-run       what would be replayed: counts by type and error, the entities, how many versions the flows
                  have seen before (their completed steps will be skipped); nothing is changed
  --rate N        at most N events per second (default: as fast as the bus takes them)
  --reason TEXT   why (an incident, a ticket); required for a real replay, recorded in the audit
  --operator NAME who (default: the login name)
  --resume ID     finish an interrupted replay: what it already re-published is deleted, not published again
${filterOptionsHelp}
${opsOptionsHelp}

Each message is deleted only after its event is on the bus; the event keeps its id and carries replayid,
replayof (the message id), replayby and replayreason. Ctrl-C stops after the event in hand.`;

function progressBar(published: number, max: number | undefined): string {
  if (!max) return `replayed ${published}`;
  const width = 30;
  const done = Math.round((published / max) * width);
  return `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${published}/${max}`;
}

export async function runReplayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...opsOptions,
      ...filterOptions,
      rate: { type: 'string' },
      'dry-run': { type: 'boolean' },
      reason: { type: 'string' },
      operator: { type: 'string' },
      resume: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [queue] = positionals;
  if (!queue) throw new Error('usage: concord replay <queue> [filters] --reason TEXT (see --help)');
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0))
    throw new Error(`--rate must be a positive number, not "${values.rate}"`);
  const context = opsContext(values);
  try {
    const deps = await context.deps();
    const queueUrl = await resolveQueue(context.sqs, context.stage, queue);
    const filter = filterFrom(values);
    const max = maxFrom(values.max);
    if (values['dry-run']) {
      const plan = await planReplay(deps, queueUrl, filter, max);
      if (values.json) printJson(plan);
      else {
        console.log(`${plan.matching} message(s) in ${plan.queue} would be replayed`);
        printTable(['TYPE', 'COUNT'], Object.entries(plan.byType));
        printTable(['ERROR', 'COUNT'], Object.entries(plan.byError));
        console.log(`entities: ${plan.entities.join(', ') || '-'}`);
        console.log(
          `seen before by the flows (completed steps will be skipped by their idempotency records): ${plan.seenBefore}`,
        );
        if (plan.notReplayable) console.log(`holding no event to re-publish: ${plan.notReplayable}`);
      }
      return 0;
    }
    if (!values.reason)
      throw new Error('a replay needs --reason (an incident or ticket): it goes into the audit');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const interactive = process.stderr.isTTY;
    try {
      const result = await runReplay(deps, {
        queueUrl,
        filter,
        max,
        ratePerSec: rate,
        operator: values.operator ?? userInfo().username,
        reason: values.reason,
        replayId: values.resume,
        signal: controller.signal,
        onProgress: ({ published }) => {
          if (interactive) process.stderr.write(`\r${progressBar(published, max)}`);
          else if (published % 50 === 0) process.stderr.write(`${progressBar(published, max)}\n`);
        },
      });
      if (interactive) process.stderr.write('\n');
      if (values.json) printJson(result);
      else {
        console.log(
          `replay ${result.replayId}: ${result.published} re-published, ${result.resumedDeletes} already re-published before and deleted`,
        );
        for (const failure of result.failed) console.log(`failed ${failure.messageId}: ${failure.error}`);
        if (result.notReplayable)
          console.log(`${result.notReplayable} matching message(s) hold no event to re-publish`);
        if (result.interrupted)
          console.log(
            `interrupted: resume with concord replay ${queue} --resume ${result.replayId} --reason …`,
          );
      }
      return result.failed.length > 0 || result.interrupted ? 1 : 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  } finally {
    context.close();
  }
}
