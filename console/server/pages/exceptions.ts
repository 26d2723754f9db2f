/**
 * The Exceptions & dead letters page: every dead-letter queue, a queue's messages filtered as `concord dlq show`
 * filters them, a message's detail, a replay's dry run, the replay itself (with a rate, a reason and a confirmation
 * naming the count) and its progress, parking, and an edit as a JSON merge patch. A workflow case's outcome is read
 * and worded as `concord dlq show` words it (caseOutcomeOf). Every action is the CLI's use case.
 */
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { deadLetterQueueUrls, resolveQueue } from '../../../cli/ops-context';
import {
  caseOutcomeOf,
  type DeadLetter,
  type FilterInput,
  matchesFilter,
  parseFilter,
} from '../../../functions/replay/dead-letters';
import {
  EditRefusedError,
  editAndReplay,
  mergePatch,
  parkMessages,
} from '../../../functions/replay/park-and-edit';
import { listDeadLetterQueues, peekQueue, planReplay } from '../../../functions/replay/replay';
import { newId } from '../../../functions/shared/ids';
import { type ConsoleEnv, ConsoleInputError, ConsoleNotFoundError, type ConsolePage } from '../console-page';
import { countsTable, csrfField, formatAgeSec, type Html, renderPage } from '../layout';
import { withPiiHashed } from '../pii-view';
import type { ReplayRun } from '../replay-runs';

const base = '/exceptions';
/** Messages shown per page of a queue. */
const pageSize = 50;
/** The most messages a queue's listing reads; a deeper queue is narrowed by the filters, never loaded whole. */
const scanLimit = 1000;
const filterFields = ['type', 'source', 'error', 'entity', 'since', 'until'] as const;

type C = Context<ConsoleEnv>;

function queuePath(queue: string): string {
  return `${base}/queues/${encodeURIComponent(queue)}`;
}

function messagePath(queue: string, messageId: string): string {
  return `${queuePath(queue)}/messages/${encodeURIComponent(messageId)}`;
}

/** The filter as the operator typed it (query string or form), empty fields left out. */
function filterInputOf(values: Record<string, unknown>): FilterInput {
  const input: FilterInput = {};
  for (const field of filterFields) {
    const value = values[field];
    if (typeof value === 'string' && value.trim() !== '') input[field] = value.trim();
  }
  return input;
}

/** The CLI's filter semantics (parseFilter); a bad time bound is the operator's to fix, not a server error. */
function parseFilterInput(input: FilterInput) {
  try {
    return parseFilter(input);
  } catch (error) {
    throw new ConsoleInputError((error as Error).message, { cause: error });
  }
}

function queryOf(input: FilterInput, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({ ...(input as Record<string, string>), ...extra }).toString();
  return query ? `?${query}` : '';
}

async function queueUrlOf(c: C, queue: string): Promise<string> {
  const { context } = c.get('services');
  // A queue the stage does not have is a 404 through the app's error table (QueueNotFoundError).
  return resolveQueue(context.sqs, context.stage, queue);
}

function isParkingQueue(queue: string): boolean {
  return /ParkingQueue/.test(queue);
}

function time(at: Date | string): Html {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

function breadcrumbs(...crumbs: [label: string, href?: string][]): Html {
  return html`<p class="crumbs">
    <a href="${base}">Dead-letter queues</a>
    ${crumbs.map(([label, href]) => html` › ${href ? html`<a href="${href}">${label}</a>` : html`<span>${label}</span>`}`)}
  </p>`;
}

function filterForm(queue: string, input: FilterInput): Html {
  const field = (name: (typeof filterFields)[number], label: string, placeholder: string) =>
    html`<label>${label}<input name="${name}" value="${input[name] ?? ''}" placeholder="${placeholder}" /></label>`;
  return html`<form class="filters" method="get" action="${queuePath(queue)}">
    ${field('type', 'Type', 'commerce.order.*')} ${field('source', 'Source', 'shopify')}
    ${field('error', 'Error', 'ErpUnavailableError')} ${field('entity', 'Entity', 'order/5820741173332')}
    ${field('since', 'Since', '2h or ISO time')} ${field('until', 'Until', '15m or ISO time')}
    <button type="submit" name="filter" value="1">Filter</button>
    <button type="submit" formaction="${queuePath(queue)}/preview" data-action="preview">Preview replay</button>
  </form>`;
}

function hiddenFilter(input: FilterInput): Html {
  return html`${filterFields.map((name) =>
    input[name] ? html`<input type="hidden" name="${name}" value="${input[name]}" />` : '',
  )}`;
}

/** GET /exceptions: every queue with its depth, messages in flight, oldest age and top errors; this console's replays. */
async function queuesView(c: C): Promise<Response> {
  const { context, runs } = c.get('services');
  const summaries = await listDeadLetterQueues(
    context.deadLetters,
    await deadLetterQueueUrls(context.sqs, context.stage),
  );
  const rows = summaries.map(
    (queue) => html`<tr data-queue="${queue.name}" class="${queue.depth > 0 ? 'waiting' : ''}">
      <td><a href="${queuePath(queue.name)}">${queue.name}</a></td>
      <td class="num" data-depth>${queue.depth}</td>
      <td class="num">${queue.inFlight}</td>
      <td class="num">${formatAgeSec(queue.oldestAgeSec)}</td>
      <td>${queue.topErrors.map((error) => `${error.code} (${error.count})`).join(', ') || '-'}</td>
    </tr>`,
  );
  const recent = runs.list().slice(0, 10);
  return renderPage(c, {
    title: 'Exceptions & dead letters',
    notice: c.req.query('notice'),
    body: html`<table class="list" id="queues">
        <thead>
          <tr><th>Queue</th><th class="num">Depth</th><th class="num">In flight</th><th class="num">Oldest</th><th>Top errors (sampled)</th></tr>
        </thead>
        <tbody>${rows.length ? rows : html`<tr><td colspan="5">No dead-letter queue: is the stage deployed?</td></tr>`}</tbody>
      </table>
      ${
        recent.length
          ? html`<h2>Replays from this console</h2>
              <table class="list">
                <thead><tr><th>Started</th><th>Queue</th><th>Operator</th><th>Reason</th><th>Status</th><th class="num">Replayed</th></tr></thead>
                <tbody>
                  ${recent.map(
                    (run) => html`<tr>
                      <td><a href="${base}/runs/${run.id}">${time(run.startedAt)}</a></td>
                      <td>${run.queue}</td><td>${run.operator}</td><td>${run.reason}</td><td>${run.status}</td>
                      <td class="num">${run.published} / ${run.max}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
          : ''
      }`,
  });
}

function letterRow(queue: string, letter: DeadLetter): Html {
  const outcome = caseOutcomeOf(letter);
  return html`<tr data-message-id="${letter.messageId}" class="${outcome && outcome.severity !== 'settled' ? 'case-alert' : ''}">
    <td><a href="${messagePath(queue, letter.messageId)}"><code>${letter.messageId.slice(0, 13)}…</code></a></td>
    <td>${letter.eventType ?? '-'}</td>
    <td data-entity>${letter.entity ?? '-'}</td>
    <td>${letter.errorCode ?? '-'}</td>
    <td data-outcome="${letter.outcome ?? ''}">${outcome?.headline ?? '-'}</td>
    <td>${[letter.rule, letter.target, letter.failedStep].filter(Boolean).join(' / ') || '-'}</td>
    <td class="num">${letter.receiveCount}</td>
    <td>${time(letter.sentAt)}</td>
  </tr>`;
}

/** GET /exceptions/queues/:queue: the queue's messages, filtered and paged. */
async function queueView(c: C): Promise<Response> {
  const { context } = c.get('services');
  const queue = c.req.param('queue') ?? '';
  const url = await queueUrlOf(c, queue);
  const input = filterInputOf(c.req.query());
  const page = Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1);
  let error: string | undefined;
  let letters: DeadLetter[] = [];
  let scanned = 0;
  try {
    const filter = parseFilterInput(input);
    const sample = await peekQueue(context.deadLetters, url, scanLimit);
    scanned = sample.length;
    letters = sample.filter((letter) => matchesFilter(letter, filter));
  } catch (failure) {
    if (!(failure instanceof ConsoleInputError)) throw failure;
    error = failure.message;
  }
  const shown = letters.slice((page - 1) * pageSize, page * pageSize);
  const pages = Math.max(1, Math.ceil(letters.length / pageSize));
  const pager =
    pages > 1
      ? html`<p class="pager">
          ${page > 1 ? html`<a href="${queuePath(queue)}${queryOf(input, { page: String(page - 1) })}">‹ previous</a>` : ''}
          page ${page} of ${pages}
          ${page < pages ? html`<a href="${queuePath(queue)}${queryOf(input, { page: String(page + 1) })}">next ›</a>` : ''}
        </p>`
      : '';
  return renderPage(
    c,
    {
      title: queue,
      notice: c.req.query('notice'),
      error,
      body: html`${breadcrumbs([queue])} ${filterForm(queue, input)}
        <p class="summary" data-matching="${letters.length}">
          ${letters.length} matching message(s) of the ${scanned} read${scanned >= scanLimit ? ` (the first ${scanLimit}: narrow the filter)` : ''}
        </p>
        <table class="list" id="messages">
          <thead>
            <tr><th>Message</th><th>Type</th><th>Entity</th><th>Error</th><th>Outcome</th><th>Rule / target / step</th><th class="num">Receives</th><th>Failed at</th></tr>
          </thead>
          <tbody>${shown.length ? shown.map((letter) => letterRow(queue, letter)) : html`<tr><td colspan="8">No message matches.</td></tr>`}</tbody>
        </table>
        ${pager}`,
    },
    error ? 400 : 200,
  );
}

/** The dry run of a replay and, when something would be replayed, the form that carries it out. */
async function previewView(
  c: C,
  input: FilterInput,
  failure?: { message: string; reason?: string; rate?: string },
) {
  const { context } = c.get('services');
  const queue = c.req.param('queue') ?? '';
  const url = await queueUrlOf(c, queue);
  const plan = await planReplay(await context.deps(), url, parseFilterInput(input));
  const replayable = plan.matching - plan.notReplayable;
  const form =
    replayable > 0
      ? html`<form method="post" action="${queuePath(queue)}/replay" class="action" id="replay-form">
          ${csrfField(c)} ${hiddenFilter(input)}
          <input type="hidden" name="count" value="${replayable}" />
          <label>Reason (an incident or ticket; it goes into the audit)
            <input name="reason" required value="${failure?.reason ?? ''}" placeholder="INC-42 ERP outage" /></label>
          <label>Rate (events per second; empty: as fast as the bus takes them)
            <input name="rate" type="number" min="0.1" step="any" value="${failure?.rate ?? ''}" /></label>
          <label class="confirm"><input type="checkbox" name="confirm" value="yes" required />
            Replay ${replayable} message(s) from ${queue}</label>
          <button type="submit" class="danger">Replay ${replayable} message(s)</button>
        </form>`
      : html`<p>Nothing to replay.</p>`;
  return renderPage(
    c,
    {
      title: `Replay preview: ${queue}`,
      error: failure?.message,
      body: html`${breadcrumbs([queue, `${queuePath(queue)}${queryOf(input)}`], ['replay preview'])}
        <p class="summary" id="plan" data-matching="${plan.matching}" data-seen-before="${plan.seenBefore}">
          <b>${plan.matching}</b> message(s) match${Object.keys(input).length ? html` <code>${queryOf(input).slice(1)}</code>` : ' (no filter)'};
          <b>${plan.seenBefore}</b> of them the flows have seen before (their completed steps will be skipped by their
          idempotency records); <b>${plan.notReplayable}</b> hold no event to re-publish. Nothing has been changed.
        </p>
        <div class="grid">
          ${countsTable('Event type', plan.byType)} ${countsTable('Error', plan.byError)}
          ${countsTable('Delivered to', plan.byTarget)}
        </div>
        <h2>Entities (${plan.entities.length})</h2>
        <p class="entities">${plan.entities.slice(0, 200).join(', ') || '-'}${plan.entities.length > 200 ? ' …' : ''}</p>
        ${form}`,
    },
    failure ? 400 : 200,
  );
}

/** POST /exceptions/queues/:queue/replay: checks the form, starts the replay in this process, shows its run. */
async function startReplay(c: C): Promise<Response> {
  const { context, runs } = c.get('services');
  const queue = c.req.param('queue') ?? '';
  const form = await c.req.parseBody();
  const input = filterInputOf(form);
  const reason = typeof form.reason === 'string' ? form.reason.trim() : '';
  const rateText = typeof form.rate === 'string' ? form.rate.trim() : '';
  const count = Number(form.count);
  const rate = rateText === '' ? undefined : Number(rateText);
  const refusal = !reason
    ? 'A replay needs a reason (an incident or ticket): it goes into the audit. Nothing was replayed.'
    : rate !== undefined && !(rate > 0)
      ? `The rate must be a positive number of events per second, not "${rateText}". Nothing was replayed.`
      : !Number.isInteger(count) || count < 1
        ? 'The confirmed count is missing: preview the replay again. Nothing was replayed.'
        : form.confirm !== 'yes'
          ? `Tick the confirmation naming the ${count} message(s) to replay. Nothing was replayed.`
          : undefined;
  if (refusal) return previewView(c, input, { message: refusal, reason, rate: rateText });
  const filter = parseFilterInput(input);
  const url = await queueUrlOf(c, queue);
  const operator = await context.operator();
  const run = runs.start(await context.deps(), {
    queue,
    queueUrl: url,
    filter,
    // What the operator confirmed, at most: messages that arrived since the preview wait for the next one.
    max: count,
    ratePerSec: rate,
    operator,
    reason,
  });
  return c.redirect(`${base}/runs/${run.id}`, 303);
}

function runOf(c: C): ReplayRun {
  const run = c.get('services').runs.get(c.req.param('id') ?? '');
  if (!run)
    throw new ConsoleNotFoundError(`no replay run ${c.req.param('id')} in this console (it was restarted?)`);
  return run;
}

/** GET /exceptions/runs/:id: a replay's progress while it runs (the client script polls), then its result. */
function runView(c: C): Promise<Response> {
  const run = runOf(c);
  const result = run.result;
  const outcome =
    run.status === 'running'
      ? html`<p>Replaying… the page follows its progress.</p>`
      : run.status === 'failed'
        ? html`<div class="error" role="alert"><p>The replay stopped: ${run.error}. What it had not replayed is still in the queue; resume it with <code>concord replay ${run.queue} --resume &lt;replay id&gt;</code> (see the audit).</p></div>`
        : html`<div id="result" data-published="${result?.published ?? 0}" class="${result?.failed.length || result?.interrupted ? 'error' : 'notice'}">
            <p>Replay <code>${result?.replayId}</code> ${result?.interrupted ? 'was interrupted' : 'is done'}:
              <b>${result?.published}</b> re-published${result?.resumedDeletes ? `, ${result.resumedDeletes} already re-published before and deleted` : ''}${result?.notReplayable ? `, ${result.notReplayable} hold no event to re-publish` : ''}.</p>
            ${result && Object.keys(result.byTarget).length ? countsTable('Delivered to', result.byTarget) : ''}
            ${
              result?.failed.length
                ? html`<h2>Failed (still in the queue)</h2><ul>${result.failed.map((failure) => html`<li><code>${failure.messageId}</code>: ${failure.error}</li>`)}</ul>`
                : ''
            }
          </div>`;
  return renderPage(c, {
    title: `Replay from ${run.queue}`,
    body: html`${breadcrumbs([run.queue, queuePath(run.queue)], ['replay'])}
      <dl class="facts">
        <dt>Operator</dt><dd>${run.operator}</dd>
        <dt>Reason</dt><dd>${run.reason}</dd>
        <dt>Rate</dt><dd>${run.ratePerSec ? `${run.ratePerSec}/s` : 'as fast as the bus takes them'}</dd>
        <dt>Started</dt><dd>${time(run.startedAt)}</dd>
        <dt>Status</dt><dd data-run-status>${run.status}</dd>
      </dl>
      <p class="progress" data-progress-url="${base}/runs/${run.id}/progress" data-status="${run.status}">
        <progress max="${run.max}" value="${run.published}"></progress>
        <span data-progress-text>${run.published} / ${run.max}</span>
      </p>
      ${outcome}`,
  });
}

/**
 * What became of the business transaction, above everything else on the message page: an unknown outcome or a failed
 * compensation as an alert (the ERP may hold what nobody announced), a settled case as a notice. Nothing for a letter
 * that records no outcome (a rule target's or a function's dead letter).
 */
function caseOutcomeView(letter: DeadLetter): Html | string {
  const outcome = caseOutcomeOf(letter);
  if (!outcome) return '';
  const alert = outcome.severity !== 'settled';
  return html`<section id="case-outcome" class="case-outcome ${alert ? 'alert' : 'settled'}"
      data-outcome="${letter.outcome}" data-severity="${outcome.severity}" role="${alert ? 'alert' : 'status'}">
    <h2>${outcome.headline}</h2>
    <p>${outcome.advice}</p>
    <dl class="facts">
      <dt>Outcome</dt><dd data-outcome-value>${letter.outcome}</dd>
      <dt>Compensated</dt><dd data-compensated>${letter.compensated?.length ? letter.compensated.join(', ') : 'nothing'}</dd>
      ${
        letter.compensationFailure
          ? html`<dt>Compensation failure</dt><dd data-compensation-failure><code>${letter.compensationFailure.errorCode}</code>${
              letter.compensationFailure.errorMessage
                ? html`<pre class="cause">${letter.compensationFailure.errorMessage}</pre>`
                : ''
            }</dd>`
          : ''
      }
    </dl>
  </section>`;
}

/** The ERP's documents for an order's entity, or why they could not be read (shown, not thrown). */
async function erpDocuments(c: C, entity: string | undefined): Promise<Html> {
  const { erp } = c.get('services');
  const [kind, id] = entity?.split('/') ?? [];
  if (!erp) return html`<p class="muted">The console was not told where the ERP is (--erp-url).</p>`;
  if (kind !== 'order' || !id) return html`<p class="muted">Only orders are looked up in the ERP.</p>`;
  try {
    const documents = await erp.listDocuments({ externalRef: id });
    if (documents.length === 0)
      return html`<p id="erp-documents">The ERP holds no document for order ${id}.</p>`;
    return html`<table class="list" id="erp-documents">
      <thead><tr><th>Type</th><th>Number</th><th>Status</th><th class="num">Amount</th><th>Created</th></tr></thead>
      <tbody>${documents.map(
        (document) => html`<tr><td>${document.type}</td><td>${document.number}</td><td>${document.status}</td>
          <td class="num">${document.amount} ${document.currency}</td><td>${time(document.createdAt)}</td></tr>`,
      )}</tbody>
    </table>`;
  } catch (error) {
    return html`<p class="error">The ERP could not be read: ${(error as Error).message}</p>`;
  }
}

/** The dead letter a URL names, read without taking it. */
async function letterOf(c: C): Promise<{ queue: string; url: string; letter: DeadLetter }> {
  const { context } = c.get('services');
  const queue = c.req.param('queue') ?? '';
  const messageId = c.req.param('messageId') ?? '';
  const url = await queueUrlOf(c, queue);
  const letter = (await peekQueue(context.deadLetters, url, 10_000)).find(
    (found) => found.messageId === messageId,
  );
  if (!letter)
    throw new ConsoleNotFoundError(
      `no message ${messageId} in ${queue}: it was replayed, parked or edited since?`,
    );
  return { queue, url, letter };
}

/** GET …/messages/:messageId: the message, its event, its error, the ERP's documents; park and edit forms. */
async function messageView(
  c: C,
  failure?: {
    message: string;
    details?: string[];
    reason?: string;
    patch?: string;
    form?: 'park' | 'edit' | 'reveal';
  },
  status = 200,
  revealed = false,
): Promise<Response> {
  const { queue, letter } = await letterOf(c);
  const path = messagePath(queue, letter.messageId);
  const fact = (label: string, value: unknown) =>
    value === undefined || value === '' ? '' : html`<dt>${label}</dt><dd>${String(value)}</dd>`;
  const park = isParkingQueue(queue)
    ? ''
    : html`<form method="post" action="${path}/park" class="action" id="park-form">
        <h2>Park</h2>
        <p class="muted">Moves the message to the parking queue with the reason; replay it from there later.</p>
        ${csrfField(c)}
        <label>Reason<input name="reason" required value="${failure?.form === 'park' ? (failure.reason ?? '') : ''}" placeholder="customer asked to wait" /></label>
        <label class="confirm"><input type="checkbox" name="confirm" value="yes" required /> Park this 1 message</label>
        <button type="submit">Park 1 message</button>
      </form>`;
  const edit = letter.entry
    ? html`<form method="post" action="${path}/edit" class="action" id="edit-form">
        <h2>Edit and replay</h2>
        <p class="muted">A JSON merge patch (RFC 7386) applied to the event above: objects merge, <code>null</code> removes.
          The result is checked against the event's schema and published as a new event (editof the original) before the message is deleted.</p>
        ${csrfField(c)}
        <label>Patch<textarea name="patch" rows="6" required data-json placeholder='{ "data": { "currency": "USD" } }'>${failure?.form === 'edit' ? (failure.patch ?? '') : ''}</textarea></label>
        <label>Reason<input name="reason" required value="${failure?.form === 'edit' ? (failure.reason ?? '') : ''}" placeholder="fix currency" /></label>
        <label class="confirm"><input type="checkbox" name="confirm" value="yes" required /> Publish the edited event of this 1 message</label>
        <button type="submit">Publish the edited event</button>
      </form>`
    : html`<p class="muted">This message holds no event to edit.</p>`;
  return renderPage(
    c,
    {
      title: `Message ${letter.messageId}`,
      error: failure?.message,
      errorDetails: failure?.details,
      body: html`${breadcrumbs([queue, queuePath(queue)], [letter.messageId])} ${caseOutcomeView(letter)}
        <dl class="facts" id="message-facts">
          ${fact('Kind', letter.kind)} ${fact('Event type', letter.eventType)} ${fact('Source', letter.source)}
          ${fact('Entity', letter.entity)} ${fact('Correlation id', letter.correlationId)}
          ${fact('Error', letter.errorCode)} ${fact('Failing step', letter.failedStep)}
          ${fact('Rule', letter.rule)} ${fact('Target', letter.target)}
          ${fact('Receive count', letter.receiveCount)} ${fact('Failed at', letter.sentAt.toISOString())}
          ${fact('Parked because', letter.parkedReason)}
        </dl>
        ${letter.errorMessage ? html`<h2>Error and cause</h2><pre class="cause">${letter.errorMessage}</pre>` : ''}
        <h2>What the ERP holds for ${letter.entity ?? 'it'}</h2>
        ${await erpDocuments(c, letter.entity)}
        <h2>Event${letter.entry && !revealed ? ' (personal data hashed)' : ''}</h2>
        <pre class="json" id="event" data-revealed="${revealed ? 'yes' : 'no'}">${
          letter.entry
            ? JSON.stringify(revealed ? letter.entry.detail : withPiiHashed(letter.entry.detail), null, 2)
            : 'none'
        }</pre>
        ${
          letter.entry && !revealed
            ? html`<form method="post" action="${path}/reveal" class="inline" id="reveal-form">
                ${csrfField(c)}
                <label>Why you need to see the personal data
                  <input name="reason" required value="${failure?.form === 'reveal' ? (failure.reason ?? '') : ''}" placeholder="customer asked, TICKET-12" /></label>
                <button type="submit">Reveal (audited)</button>
              </form>`
            : ''
        }
        <div class="grid">${park} ${edit}</div>`,
    },
    status,
  );
}

/** POST …/reveal: shows the event's personal data in this one response, and records who asked and why. */
async function reveal(c: C): Promise<Response> {
  const { context } = c.get('services');
  const form = await c.req.parseBody();
  const reason = typeof form.reason === 'string' ? form.reason.trim() : '';
  if (!reason)
    return messageView(
      c,
      { message: 'Revealing personal data needs a reason: it goes into the audit.', form: 'reveal' },
      400,
    );
  const { queue, letter } = await letterOf(c);
  const deps = await context.deps();
  await deps.journal.record({
    id: newId(),
    action: 'reveal',
    operator: await context.operator(),
    reason,
    queue,
    at: new Date().toISOString(),
    status: 'done',
    detail: { messageId: letter.messageId, entity: letter.entity, eventId: letter.entry?.detail.id },
  });
  return messageView(c, undefined, 200, true);
}

/** POST …/park: moves the message to the parking queue with the reason (parkMessages). */
async function park(c: C): Promise<Response> {
  const { context } = c.get('services');
  const form = await c.req.parseBody();
  const reason = typeof form.reason === 'string' ? form.reason.trim() : '';
  if (!reason)
    return messageView(
      c,
      {
        message: 'Parking needs a reason: it stays with the message and in the audit. Nothing was parked.',
        form: 'park',
      },
      400,
    );
  if (form.confirm !== 'yes')
    return messageView(
      c,
      { message: 'Tick the confirmation to park this 1 message. Nothing was parked.', reason, form: 'park' },
      400,
    );
  const queue = c.req.param('queue') ?? '';
  const messageId = c.req.param('messageId') ?? '';
  const result = await parkMessages(await context.deps(), {
    queueUrl: await queueUrlOf(c, queue),
    parkingQueueUrl: await resolveQueue(context.sqs, context.stage, 'ParkingQueue'),
    messageIds: [messageId],
    operator: await context.operator(),
    reason,
  });
  if (result.parked.length === 0)
    throw new ConsoleNotFoundError(
      `no message ${messageId} in ${queue}: it was replayed, parked or edited since?`,
    );
  return c.redirect(
    `${queuePath(queue)}?notice=${encodeURIComponent(`Parked message ${messageId}: ${reason}`)}`,
    303,
  );
}

/** POST …/edit: applies the merge patch, validates the event against its schema and publishes it (editAndReplay). */
async function edit(c: C): Promise<Response> {
  const { context } = c.get('services');
  const form = await c.req.parseBody();
  const reason = typeof form.reason === 'string' ? form.reason.trim() : '';
  const patchText = typeof form.patch === 'string' ? form.patch : '';
  const refused = (message: string, details?: string[], status = 400) =>
    messageView(c, { message, details, reason, patch: patchText, form: 'edit' }, status);
  if (!reason) return refused('An edit needs a reason: it goes into the audit. Nothing was published.');
  if (form.confirm !== 'yes')
    return refused('Tick the confirmation to publish the edited event. Nothing was published.');
  let patch: unknown;
  try {
    patch = JSON.parse(patchText);
  } catch (error) {
    return refused(`The patch is not JSON (${(error as Error).message}). Nothing was published.`);
  }
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
    return refused('The patch must be a JSON object (a merge patch of the event). Nothing was published.');
  const queue = c.req.param('queue') ?? '';
  try {
    const result = await editAndReplay(await context.deps(), {
      queueUrl: await queueUrlOf(c, queue),
      messageId: c.req.param('messageId') ?? '',
      operator: await context.operator(),
      reason,
      edit: async (original) => mergePatch(original, patch),
    });
    return c.redirect(
      `${queuePath(queue)}?notice=${encodeURIComponent(`Published the edited event as ${result.eventId}; the message is deleted.`)}`,
      303,
    );
  } catch (error) {
    if (!(error instanceof EditRefusedError)) throw error;
    return refused(
      `${error.message}${error.violations.length ? '' : '. Nothing was published.'}`,
      error.violations.map((violation) => `${violation.path}: ${violation.message}`),
      422,
    );
  }
}

/** The Exceptions & dead letters page. */
export const exceptionsPage: ConsolePage = {
  path: base,
  title: 'Exceptions',
  routes(app: Hono<ConsoleEnv>) {
    app.get(base, queuesView);
    app.get(`${base}/queues/:queue`, queueView);
    app.get(`${base}/queues/:queue/preview`, (c) => previewView(c, filterInputOf(c.req.query())));
    app.post(`${base}/queues/:queue/replay`, startReplay);
    app.get(`${base}/queues/:queue/messages/:messageId`, (c) => messageView(c));
    app.post(`${base}/queues/:queue/messages/:messageId/park`, park);
    app.post(`${base}/queues/:queue/messages/:messageId/reveal`, reveal);
    app.post(`${base}/queues/:queue/messages/:messageId/edit`, edit);
    app.get(`${base}/runs/:id`, runView);
    app.get(`${base}/runs/:id/progress`, (c) => {
      const run = runOf(c);
      return c.json({ status: run.status, published: run.published, max: run.max, error: run.error });
    });
  },
};
