/** `concord replay`: deliver dead letters again (to the target that failed, else the bus), filtered, rate-bounded, audited and resumable. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseFilter } from '../../functions/replay/dead-letters';
import { readArchive, replayFromArchive } from '../../functions/replay/from-archive';
import { runReplayPlan } from '../../functions/replay/from-plan';
import { EditRefusedError, editAndReplay, mergePatch } from '../../functions/replay/park-and-edit';
import { planReplay, resolveQueue, runReplay } from '../../functions/replay/replay';
import { parseReplayPlan } from '../../functions/shared/reconciliation/replay-plan';
import { loadSourceRegistry } from '../../functions/shared/sources/source-registry';
import { filterOptions, filterOptionsHelp, maxFrom } from '../dead-letter-filter-options';
import { opsContext, opsOptions, opsOptionsHelp } from '../ops-context';
import { printJson, printTable } from '../table-output';

export const replayHelp = `Deliver the events of a dead-letter queue again, after the cause is fixed: to the target that failed
when the message records it (an EventBridge rule target, a function's on-failure record, the ERP outbox relay's
dead letters), otherwise re-published to the bus.

usage: concord replay <queue> [filters] [--rate N] [--dry-run] --reason TEXT [--operator NAME] [options]
       concord replay <queue> --resume <replay id> --reason TEXT
       concord replay <queue> --edit <message-id> [--patch file.json] --reason TEXT
       concord replay --from-archive --since T [--until T] [--source S] [--type T] [--sources FILE] --reason TEXT
       concord replay --plan FILE [--dry-run] [--rate N] --reason TEXT

  --dry-run       what would be replayed: counts by type, error and target, the entities, how many versions the
                  flows have seen before (their completed steps will be skipped); nothing is changed
  --rate N        at most N events per second (default: as fast as the bus takes them)
  --reason TEXT   why (an incident, a ticket); required for a real replay, recorded in the audit
  --operator NAME who (default: the login name)
  --resume ID     finish an interrupted replay: what it already re-published is deleted, not published again
  --from-archive  map the webhooks received between --since and --until (now) again, from the raw archive and
                  the quarantine, through the current mapping (or --sources FILE, a sources.json to try a fix with),
                  and publish the events; what still cannot be mapped is listed, not published
  --plan FILE     carry out a reconciliation's replay plan (concord reconcile --plan-out FILE): re-publish the
                  SaaS events of transactions the ERP never booked, and replay the bus archive's windows to the
                  warehouse rule only, for documents the warehouse lacks or shows in an older state; then run
                  concord reconcile again
  --edit ID       open the message's event in $EDITOR (or apply --patch, a JSON merge patch), check it against
                  its schema and publish it as a new event linked to the original (editof), then delete the message
${filterOptionsHelp}
${opsOptionsHelp}

A message that records its rule and target goes to that target only (a state machine is started, a function
invoked asynchronously, a record put to the delivery stream, a message sent to the queue, the event put on the
target bus), shaped by the rule's input settings: replaying the warehouse's DLQ feeds the warehouse and re-runs no
flow. Each message is deleted only after its delivery succeeded; the event keeps its id and carries replayid,
replayof (the message id), replayby and replayreason. Ctrl-C stops after the event in hand.`;

/** Opens the event in $EDITOR (or vi) and reads it back. */
async function editInEditor(original: Record<string, unknown>): Promise<unknown> {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-edit-'));
  const file = path.join(dir, `${String(original.id ?? 'event')}.json`);
  try {
    writeFileSync(file, `${JSON.stringify(original, null, 2)}\n`);
    const editor = process.env.VISUAL ?? process.env.EDITOR ?? 'vi';
    const { status } = spawnSync(editor, [file], { stdio: 'inherit', shell: true });
    if (status !== 0) throw new Error(`${editor} exited with ${status}: nothing was published`);
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`the edited file is not JSON (${(error as Error).message}): nothing was published`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `--from-archive`: the raw archive and quarantine of the stage, mapped again. */
async function replayArchive(values: {
  endpoint?: string;
  stage?: string;
  json?: boolean;
  since?: string;
  until?: string;
  source?: string;
  type?: string;
  max?: string;
  rate?: string;
  'dry-run'?: boolean;
  reason?: string;
  operator?: string;
  sources?: string;
}): Promise<number> {
  if (!values.since)
    throw new Error('--from-archive needs --since (a duration such as 2h, or an ISO timestamp)');
  if (!values['dry-run'] && !values.reason)
    throw new Error('a replay needs --reason (an incident or ticket): it goes into the audit');
  const sources = loadSourceRegistry(
    values.sources ? JSON.parse(readFileSync(values.sources, 'utf8')) : undefined,
  );
  const context = opsContext(values);
  try {
    const { since, until } = parseFilter({
      since: values.since,
      until: values.until ?? new Date().toISOString(),
    });
    const webhooks = await readArchive(
      context.s3,
      {
        archive: await context.bucketName('rawarchivebucket'),
        quarantine: await context.bucketName('quarantinebucket'),
      },
      [...sources.keys()],
      since as Date,
      until as Date,
    );
    const result = await replayFromArchive(await context.deps(), {
      webhooks,
      sources,
      filter: parseFilter({ source: values.source, type: values.type }),
      operator: values.operator ?? userInfo().username,
      reason: values.reason ?? 'dry run',
      dryRun: values['dry-run'],
      max: maxFrom(values.max),
      ratePerSec: values.rate === undefined ? undefined : Number(values.rate),
    });
    if (values.json) printJson(result);
    else {
      console.log(
        `${result.webhooks} archived webhook(s); ${result.published} event(s) ${result.dryRun ? 'would be' : ''} published`,
      );
      printTable(['TYPE', 'COUNT'], Object.entries(result.byType));
      for (const failure of result.unmappable)
        console.log(`still unmappable ${failure.source} ${failure.deliveryIds.join(',')}: ${failure.reason}`);
    }
    return 0;
  } finally {
    context.close();
  }
}

/** `--plan FILE`: a reconciliation's replay plan. */
async function replayPlanFile(
  file: string,
  values: {
    endpoint?: string;
    stage?: string;
    json?: boolean;
    rate?: string;
    'dry-run'?: boolean;
    reason?: string;
    operator?: string;
  },
): Promise<number> {
  const plan = parseReplayPlan(readFileSync(file, 'utf8'));
  const events = plan.republish.reduce((sum, entry) => sum + entry.events.length, 0);
  if (values['dry-run']) {
    if (values.json) printJson(plan);
    else {
      console.log(`plan of reconciliation ${plan.reconciliationId}, made ${plan.createdAt}:`);
      printTable(
        ['RE-PUBLISH', 'ENTITY', 'KEY', 'EVENTS'],
        plan.republish.map((entry) => [entry.class, entry.entity, entry.key, entry.events.length]),
      );
      printTable(
        ['ARCHIVE REPLAY TO', 'FROM', 'TO', 'DOCUMENTS'],
        plan.archiveReplays.map((window) => [
          window.target,
          window.from,
          window.to,
          window.documents.join(' '),
        ]),
      );
      for (const item of plan.review)
        console.log(`for review (no replay mends it): ${item.entity} ${item.key}: ${item.detail}`);
      console.log(
        `${events} event(s) to re-publish, ${plan.archiveReplays.length} archive window(s); nothing was changed`,
      );
    }
    return 0;
  }
  if (!values.reason)
    throw new Error('a replay needs --reason (an incident or ticket): it goes into the audit');
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0))
    throw new Error(`--rate must be a positive number, not "${values.rate}"`);
  const context = opsContext(values);
  try {
    const result = await runReplayPlan(await context.deps(), {
      plan,
      operator: values.operator ?? userInfo().username,
      reason: values.reason,
      ratePerSec: rate,
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    if (values.json) printJson(result);
    else {
      console.log(
        `replay ${result.replayId}: ${result.republished} of ${events} event(s) re-published; ` +
          `${result.archiveReplays.length} archive replay(s) to the warehouse: ` +
          (result.archiveReplays.map((replay) => `${replay.name} ${replay.state}`).join(', ') || '-'),
      );
      for (const failure of result.failed) console.log(`failed ${failure.eventId}: ${failure.error}`);
      if (plan.review.length > 0)
        console.log(`${plan.review.length} mismatch(es) need a person: see the plan's review list`);
    }
    return result.failed.length > 0 ? 1 : 0;
  } finally {
    context.close();
  }
}

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
      edit: { type: 'string' },
      patch: { type: 'string' },
      'from-archive': { type: 'boolean' },
      sources: { type: 'string' },
      plan: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [queue] = positionals;
  if (values['from-archive']) return replayArchive(values);
  if (values.plan) return replayPlanFile(values.plan, values);
  if (!queue) throw new Error('usage: concord replay <queue> [filters] --reason TEXT (see --help)');
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0))
    throw new Error(`--rate must be a positive number, not "${values.rate}"`);
  const context = opsContext(values);
  try {
    const deps = await context.deps();
    const queueUrl = await resolveQueue(context.sqs, context.stage, queue);
    const filter = parseFilter(values);
    const max = maxFrom(values.max);
    if (values.edit) {
      if (!values.reason) throw new Error('an edit needs --reason: it goes into the audit');
      const result = await editAndReplay(deps, {
        queueUrl,
        messageId: values.edit,
        operator: values.operator ?? userInfo().username,
        reason: values.reason,
        edit: (original) =>
          values.patch
            ? Promise.resolve(mergePatch(original, JSON.parse(readFileSync(values.patch, 'utf8'))))
            : editInEditor(original),
      }).catch((error: unknown) => {
        if (error instanceof EditRefusedError && error.violations.length > 0)
          for (const violation of error.violations)
            console.error(`  ${violation.path}: ${violation.message}`);
        throw error;
      });
      if (values.json) printJson(result);
      else console.log(`published the edited event as ${result.eventId}; the message is deleted`);
      return 0;
    }
    if (values['dry-run']) {
      const plan = await planReplay(deps, queueUrl, filter, max);
      if (values.json) printJson(plan);
      else {
        console.log(`${plan.matching} message(s) in ${plan.queue} would be replayed`);
        printTable(['TYPE', 'COUNT'], Object.entries(plan.byType));
        printTable(['ERROR', 'COUNT'], Object.entries(plan.byError));
        printTable(['DELIVERED TO', 'COUNT'], Object.entries(plan.byTarget));
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
        for (const [target, count] of Object.entries(result.byTarget))
          console.log(`  to ${target}: ${count}`);
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
