/**
 * The Audit page: who replayed, parked, edited or revealed what, when and why — the ops audit journal `concord audit` reads,
 * newest first, filtered by operator, action, queue and time, each entry linked to what it acted on.
 */
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { AuditCursorError, type AuditQuery } from '../../../functions/replay/ops-journal';
import type { AuditRecord } from '../../../functions/replay/ports';
import { parseTimeBound } from '../../../functions/shared/ops/time-window';
import { type ConsoleEnv, ConsoleInputError, ConsoleNotFoundError, type ConsolePage } from '../console-page';
import { type Html, renderPage } from '../layout';

const base = '/audit';
/** Entries per page. */
const pageSize = 50;
const actions: readonly AuditRecord['action'][] = ['replay', 'park', 'edit', 'reveal'];
const filterFields = ['operator', 'action', 'queue', 'since', 'until'] as const;
type FilterValues = Partial<Record<(typeof filterFields)[number], string>>;

type C = Context<ConsoleEnv>;

function time(iso: string): Html {
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

/** The filter as the operator typed it, empty fields left out. */
function filterValuesOf(values: Record<string, string>): FilterValues {
  const input: FilterValues = {};
  for (const field of filterFields) {
    const value = values[field]?.trim();
    if (value) input[field] = value;
  }
  return input;
}

/** The journal's query for a filter; a bad action or time is the operator's to fix, named. */
export function auditQueryOf(values: FilterValues, after: string | undefined, now = new Date()): AuditQuery {
  const bound = (name: 'since' | 'until') => {
    const value = values[name];
    if (value === undefined) return undefined;
    try {
      return parseTimeBound(value, now);
    } catch (error) {
      throw new ConsoleInputError(`${name}: ${(error as Error).message}`, { cause: error });
    }
  };
  if (values.action !== undefined && !actions.includes(values.action as AuditRecord['action']))
    throw new ConsoleInputError(`action: "${values.action}" is none of ${actions.join(', ')}`);
  const since = bound('since');
  const until = bound('until');
  if (since && until && since >= until)
    throw new ConsoleInputError(`since ${values.since} is not before until ${values.until}`);
  return {
    ...(values.operator ? { operator: values.operator } : {}),
    ...(values.action ? { action: values.action as AuditRecord['action'] } : {}),
    ...(values.queue ? { queue: values.queue } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(after ? { after } : {}),
    limit: pageSize,
  };
}

function queryString(values: FilterValues, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({ ...(values as Record<string, string>), ...extra }).toString();
  return query ? `?${query}` : '';
}

/** Where the queue (or other origin) an action took its messages from is shown. */
function queueLink(queue: string): Html {
  const reconciliation = /^reconciliation:(.+)$/.exec(queue);
  if (reconciliation)
    return html`<a href="/reconciliation/runs/${encodeURIComponent(reconciliation[1] as string)}" data-target-link>${queue}</a>`;
  const transaction = /^transaction:(.+)$/.exec(queue);
  if (transaction)
    return html`<a href="/transaction/${encodeURIComponent(transaction[1] as string)}" data-target-link>${queue}</a>`;
  if (queue === '' || /\s/.test(queue)) return html`${queue || '-'}`;
  return html`<a href="/exceptions/queues/${encodeURIComponent(queue)}" data-target-link>${queue}</a>`;
}

/**
 * The transactions an entry names: a plan's entities, a revealed message's entity or transaction, an edit's event's
 * correlation id.
 */
export function transactionsOf(record: AuditRecord): string[] {
  const found = new Set<string>();
  const { entities, entity, transaction } = record.detail;
  for (const named of [...(Array.isArray(entities) ? entities : []), entity])
    if (typeof named === 'string' && named.includes('/')) found.add(named.slice(named.indexOf('/') + 1));
  if (typeof transaction === 'string') found.add(transaction);
  const before = record.detail.before as { correlationid?: unknown } | undefined;
  if (typeof before?.correlationid === 'string') found.add(before.correlationid);
  return [...found];
}

function transactionLinks(record: AuditRecord): Html {
  const ids = transactionsOf(record);
  if (ids.length === 0) return html`-`;
  const shown = ids.slice(0, 5);
  return html`${shown.map(
    (id, index) =>
      html`${index ? ', ' : ''}<a href="/transaction/${encodeURIComponent(id)}" data-transaction>${id}</a>`,
  )}${ids.length > shown.length ? ` … (${ids.length})` : ''}`;
}

/** What an entry did, in a few words from its detail. */
function outcomeOf(record: AuditRecord): string {
  const detail = record.detail;
  const number = (name: string) => (typeof detail[name] === 'number' ? (detail[name] as number) : undefined);
  if (record.action === 'park') return `${Array.isArray(detail.parked) ? detail.parked.length : 0} parked`;
  if (record.action === 'edit')
    return typeof detail.eventId === 'string' ? `published ${detail.eventId}` : '-';
  if (record.action === 'reveal') return 'personal data shown once';
  const parts = [
    number('published') !== undefined ? `${number('published')} re-published` : undefined,
    number('republished') !== undefined ? `${number('republished')} re-published` : undefined,
    Array.isArray(detail.archiveReplays) && detail.archiveReplays.length
      ? `${detail.archiveReplays.length} archive replay(s)`
      : undefined,
    Array.isArray(detail.failed) && detail.failed.length ? `${detail.failed.length} failed` : undefined,
  ].filter(Boolean);
  return parts.join(', ') || '-';
}

function filterForm(values: FilterValues): Html {
  const field = (name: (typeof filterFields)[number], label: string, placeholder: string) =>
    html`<label>${label}<input name="${name}" value="${values[name] ?? ''}" placeholder="${placeholder}" /></label>`;
  return html`<form class="filters" method="get" action="${base}" id="audit-filters">
    ${field('operator', 'Operator', 'ops-jane')}
    <label>Action<select name="action">
      <option value="">any</option>
      ${actions.map((action) => html`<option value="${action}" ${values.action === action ? 'selected' : ''}>${action}</option>`)}
    </select></label>
    ${field('queue', 'Queue / origin', 'a queue, reconciliation:<id>')}
    ${field('since', 'Since', '1d or ISO time')} ${field('until', 'Until', '15m or ISO time')}
    <button type="submit">Filter</button>
  </form>`;
}

/** GET /audit: a page of entries, newest first, filtered. */
async function auditView(c: C): Promise<Response> {
  const { context } = c.get('services');
  const values = filterValuesOf(c.req.query());
  const after = c.req.query('after') || undefined;
  let error: string | undefined;
  let records: AuditRecord[] = [];
  let next: string | undefined;
  try {
    const page = await (await context.deps()).journal.search(auditQueryOf(values, after));
    records = page.records;
    next = page.next;
  } catch (failure) {
    if (!(failure instanceof ConsoleInputError) && !(failure instanceof AuditCursorError)) throw failure;
    error = failure.message;
  }
  const rows = records.map(
    (record) => html`<tr data-audit-id="${record.id}" data-action="${record.action}">
      <td><a href="${base}/entries/${encodeURIComponent(record.id)}">${time(record.at)}</a></td>
      <td>${record.action}</td>
      <td data-operator>${record.operator}</td>
      <td data-reason>${record.reason}</td>
      <td>${queueLink(record.queue)}</td>
      <td>${transactionLinks(record)}</td>
      <td>${record.status}</td>
      <td>${outcomeOf(record)}</td>
    </tr>`,
  );
  return renderPage(
    c,
    {
      title: 'Audit',
      error,
      body: html`<p class="muted">Every replay, park and edit — by the console, <code>concord replay</code>,
          <code>concord dlq</code> or the Replay function — and every reveal of personal data, with the operator the credentials named and the reason
          given. The same journal as <code>concord audit</code>.</p>
        ${filterForm(values)}
        <table class="list" id="audit">
          <thead><tr><th>At</th><th>Action</th><th>Operator</th><th>Reason</th><th>Queue / origin</th><th>Transactions</th><th>Status</th><th>Outcome</th></tr></thead>
          <tbody>${rows.length ? rows : html`<tr><td colspan="8">No audit entry matches.</td></tr>`}</tbody>
        </table>
        <p class="pager">
          ${after ? html`<a href="${base}${queryString(values)}">‹ newest</a>` : ''}
          ${next ? html`<a href="${base}${queryString(values, { after: next })}" id="older">older ›</a>` : ''}
        </p>`,
    },
    error ? 400 : 200,
  );
}

/** GET /audit/entries/:id: one entry whole, with its detail (a replay's filter and counts, an edit's before and after). */
async function entryView(c: C): Promise<Response> {
  const { context } = c.get('services');
  const id = c.req.param('id') ?? '';
  const record = await (await context.deps()).journal.find(id);
  if (!record) throw new ConsoleNotFoundError(`no audit entry ${id} among the latest thousand`);
  return renderPage(c, {
    title: `${record.action} ${record.id}`,
    body: html`<p class="crumbs"><a href="${base}">Audit</a> › <span>${record.id}</span></p>
      <dl class="facts" id="audit-entry">
        <dt>At</dt><dd>${time(record.at)}</dd>
        <dt>Action</dt><dd>${record.action}</dd>
        <dt>Operator</dt><dd><a href="${base}?operator=${encodeURIComponent(record.operator)}">${record.operator}</a></dd>
        <dt>Reason</dt><dd>${record.reason}</dd>
        <dt>Queue / origin</dt><dd>${queueLink(record.queue)}</dd>
        <dt>Transactions</dt><dd>${transactionLinks(record)}</dd>
        <dt>Status</dt><dd>${record.status}</dd>
        <dt>Outcome</dt><dd>${outcomeOf(record)}</dd>
      </dl>
      ${record.status === 'interrupted' && record.action === 'replay' && !record.queue.includes(':') ? html`<p class="muted">Finish it with <code>concord replay ${record.queue} --resume ${record.id} --reason …</code>.</p>` : ''}
      <h2>Detail</h2>
      <pre class="json">${JSON.stringify(record.detail, null, 2)}</pre>`,
  });
}

/** The Audit page. */
export const auditPage: ConsolePage = {
  path: base,
  title: 'Audit',
  routes(app: Hono<ConsoleEnv>) {
    app.get(base, auditView);
    app.get(`${base}/entries/:id`, entryView);
  },
};
