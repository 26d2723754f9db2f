/** `concord replay`: deliver dead letters again (to the target that failed, else the bus), filtered, rate-bounded, audited and resumable. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { requireReason } from '../../functions/replay/accountability';
import { S3WebhookArchiveReader } from '../../functions/replay/adapters/s3-webhook-archive-reader';
import { type DeadLetterFilter, type FilterInput, parseFilter } from '../../functions/replay/dead-letters';
import { replayFromArchive } from '../../functions/replay/from-archive';
import { runReplayPlan } from '../../functions/replay/from-plan';
import { EditRefusedError, editAndReplay, mergePatch } from '../../functions/replay/park-and-edit';
import type { AuditJournal } from '../../functions/replay/ports';
import { planReplay, ReplayNotFoundError, type ReplayPlan, runReplay } from '../../functions/replay/replay';
import { parseReplayPlan } from '../../functions/shared/reconciliation/replay-plan';
import { loadSourceRegistry } from '../../functions/shared/sources/source-registry';
import { confirmAction, countOf } from '../confirm-action';
import { filterOptions, filterOptionsHelp, maxFrom } from '../dead-letter-filter-options';
import { OperatorInputError } from '../error-output';
import { opsContext, opsOptions, opsOptionsHelp, resolveQueue } from '../ops-context';
import { printJson, printTable } from '../table-output';

export const replayHelp = `Deliver failed events again once the cause is fixed: from a queue, edited, from the archive or from a plan.

A dead letter goes to the target that failed when the message records it (an EventBridge rule target, a function's
on-failure record, the ERP outbox relay's dead letters), otherwise it is re-published to the bus.

usage: concord replay <queue> [filters] [--rate N] [--dry-run] --reason TEXT [--yes] [options]
       concord replay <queue> --resume <replay id> --reason TEXT [--yes]
       concord replay <queue> --edit <message-id> [--patch file.json] --reason TEXT [--yes]
       concord replay --from-archive --since T [--until T] [--source S] [--type T] [--sources FILE] --reason TEXT [--yes]
       concord replay --plan FILE [--dry-run] [--rate N] --reason TEXT [--yes]

  --dry-run       what would be replayed: counts by type, error and target, the entities, how many versions the
                  flows have seen before (their completed steps will be skipped); nothing is changed
  --rate N        at most N events per second (default: as fast as the bus takes them)
  --reason TEXT   why (an incident, a ticket); required for a real replay, recorded in the audit with who you
                  are: the caller your credentials name (STS GetCallerIdentity; locally .concord/operators.json)
  --yes           do not ask "Replay N messages …? [y/N]" first; without it, a replay refuses to run (exit 2,
                  nothing changed) when stdin is not a terminal
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

/** How the CLI words a missing reason: its flag. */
const replayReasonWording = { action: 'a replay', field: '--reason' };

/** Opens the event in $EDITOR (or vi) and reads it back. */
async function editInEditor(original: Record<string, unknown>): Promise<unknown> {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-edit-'));
  const file = path.join(dir, `${String(original.id ?? 'event')}.json`);
  try {
    writeFileSync(file, `${JSON.stringify(original, null, 2)}\n`);
    const editor = process.env.VISUAL ?? process.env.EDITOR ?? 'vi';
    const { status } = spawnSync(editor, [file], { stdio: 'inherit', shell: true });
    if (status !== 0) throw new OperatorInputError(`${editor} exited with ${status}: nothing was published`);
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new OperatorInputError(
        `the edited file is not JSON (${(error as Error).message}): nothing was published`,
      );
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
  yes?: boolean;
  sources?: string;
}): Promise<number> {
  if (!values.since)
    throw new OperatorInputError('--from-archive needs --since (a duration such as 2h, or an ISO timestamp)');
  // Checked before anything is read or asked (the use case checks it again, for every edge).
  if (!values['dry-run']) requireReason(values.reason, replayReasonWording);
  const sources = loadSourceRegistry(
    values.sources ? JSON.parse(readFileSync(values.sources, 'utf8')) : undefined,
  );
  const context = opsContext(values);
  try {
    const { since, until } = parseFilter({
      since: values.since,
      until: values.until ?? new Date().toISOString(),
    });
    const archive = new S3WebhookArchiveReader(context.s3, {
      archive: await context.bucketName('rawarchivebucket'),
      quarantine: await context.bucketName('quarantinebucket'),
    });
    const webhooks = await archive.read([...sources.keys()], since as Date, until as Date);
    const deps = await context.deps();
    const request = {
      webhooks,
      sources,
      filter: parseFilter({ source: values.source, type: values.type }),
      operator: 'dry run',
      reason: values.reason ?? 'dry run',
      max: maxFrom(values.max),
      ratePerSec: values.rate === undefined ? undefined : Number(values.rate),
    };
    if (!values['dry-run']) {
      // The count the question names is the dry run's: what the current mapping makes of the window now.
      const preview = await replayFromArchive(deps, { ...request, dryRun: true });
      await confirmAction(
        `Publish ${countOf(preview.published, 'event')} mapped from ${countOf(preview.webhooks, 'archived webhook')} to the bus concord-${context.stage}?`,
        { yes: values.yes },
      );
      request.operator = await context.operator();
    }
    const result = await replayFromArchive(deps, { ...request, dryRun: values['dry-run'] });
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
    yes?: boolean;
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
  const reason = requireReason(values.reason, replayReasonWording);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0))
    throw new OperatorInputError(`--rate must be a positive number, not "${values.rate}"`);
  // Asked before anything is read: the plan file says what it will do.
  await confirmAction(
    `Re-publish ${countOf(events, 'event')} and replay ${countOf(plan.archiveReplays.length, 'archive window')} to the warehouse, from the plan of reconciliation ${plan.reconciliationId}?`,
    { yes: values.yes },
  );
  const context = opsContext(values);
  try {
    const result = await runReplayPlan(await context.deps(), {
      plan,
      operator: await context.operator(),
      reason,
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

/** "Replay 12 messages from <queue> to their recorded targets?": the count and where they go, from the dry run. */
export function replayQuestion(plan: ReplayPlan, busName: string, resume?: string): string {
  const count = plan.matching - plan.notReplayable;
  const destinations = Object.keys(plan.byTarget);
  const toBus = destinations.filter((destination) => destination.startsWith(`bus ${busName} `)).length;
  const where =
    toBus === 0
      ? 'to their recorded targets'
      : toBus === destinations.length
        ? `to the bus ${busName}`
        : `to their recorded targets and the bus ${busName}`;
  const verb = resume ? `Resume replay ${resume}: replay` : 'Replay';
  return `${verb} ${countOf(count, 'message')} from ${plan.queue} ${where}?`;
}

/**
 * What a replay will take, for the question asked before it runs: the filter given, or, resuming with none given, the
 * selection the earlier run started with. Rejects with ReplayNotFoundError, before anyone is asked, when the audit
 * holds no replay under `resume`.
 */
export async function replaySelection(
  journal: Pick<AuditJournal, 'find'>,
  filter: DeadLetterFilter,
  resume?: string,
): Promise<DeadLetterFilter> {
  if (resume === undefined) return filter;
  const earlier = await journal.find(resume);
  if (!earlier) throw new ReplayNotFoundError(resume);
  return Object.keys(filter).length === 0
    ? parseFilter((earlier.detail.filter ?? {}) as FilterInput)
    : filter;
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
      yes: { type: 'boolean' },
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
  if (!queue)
    throw new OperatorInputError('usage: concord replay <queue> [filters] --reason TEXT (see --help)');
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0))
    throw new OperatorInputError(`--rate must be a positive number, not "${values.rate}"`);
  const context = opsContext(values);
  try {
    const deps = await context.deps();
    const queueUrl = await resolveQueue(context.sqs, context.stage, queue);
    const filter = parseFilter(values);
    const max = maxFrom(values.max);
    if (values.edit) {
      const reason = requireReason(values.reason, { action: 'an edit', field: '--reason' });
      const result = await editAndReplay(deps, {
        queueUrl,
        messageId: values.edit,
        operator: await context.operator(),
        reason,
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
    const reason = requireReason(values.reason, replayReasonWording);
    const selection = await replaySelection(deps.journal, filter, values.resume);
    const preview = await planReplay(deps, queueUrl, selection, max);
    // Nothing to replay needs no one's yes (the run only records that it found nothing).
    if (preview.matching - preview.notReplayable > 0)
      await confirmAction(replayQuestion(preview, deps.busName, values.resume), { yes: values.yes });
    const operator = await context.operator();
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
        operator,
        reason,
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
