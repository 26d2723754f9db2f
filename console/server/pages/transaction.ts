/**
 * The Transaction page: one order or correlation id's timeline as `concord trace` assembles it (webhook, events,
 * workflow steps, ERP documents, write-back, warehouse, dead letters, ops audit), and each of its Step Functions
 * executions drawn as its state machine with the path it took; a visited state shows its input and output (read
 * from the executions API), or on AWS, where the workflows are Express, its error and the functions it ran (from X-Ray).
 */
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { traceSources } from '../../../cli/trace-sources';
import { sinceMs, type TimelineEntry, traceSubject, traceTimeline } from '../../../cli/trace-timeline';
import { workflowsReadFromXRay, xrayClientLike } from '../../../cli/xray-trace';
import { newId } from '../../../functions/shared/ids';
import { type ConsoleEnv, ConsoleInputError, type ConsolePage } from '../console-page';
import { csrfField, type Html, renderPage } from '../layout';
import { layoutStateMachine, renderStateMachineSvg } from '../transaction/state-machine-graph';
import { shownStepData } from '../transaction/step-data';
import {
  type ExecutionStep,
  transactionExecutions,
  type WorkflowExecution,
  workflowName,
} from '../transaction/workflow-executions';

const base = '/transaction';
const defaultSince = '24h';
/** How far before the first thing the trace found an execution may have started (an ingest retried, a queue). */
const executionLeadMs = 15 * 60_000;

type C = Context<ConsoleEnv>;

/** What the operator asked for, checked: an id (order id, entity or correlation id) and the logs' window. */
interface TransactionQuery {
  id: string;
  since: string;
  sinceMs: number;
}

/** The id and window as typed; anything that is not an id is refused before anything is read. */
function parseQuery(idText: string, sinceText: string | undefined): TransactionQuery {
  const id = idText.trim();
  if (!id)
    throw new ConsoleInputError(
      'Name an order id (5820741173332), an entity (order/5820741173332) or a correlation id.',
    );
  if (id.length > 200 || !/^[A-Za-z0-9][A-Za-z0-9_.:@-]*(\/[A-Za-z0-9_.:@-]+)?$/.test(id))
    throw new ConsoleInputError(
      `"${id.slice(0, 80)}" is not an order id, an entity such as order/5820741173332 or a correlation id.`,
    );
  const since = sinceText?.trim() || defaultSince;
  try {
    return { id, since, sinceMs: sinceMs(since) };
  } catch (error) {
    throw new ConsoleInputError((error as Error).message.replace('--since', 'The window'), { cause: error });
  }
}

function transactionPath(id: string, since?: string): string {
  const path = `${base}/${id.split('/').map(encodeURIComponent).join('/')}`;
  return since && since !== defaultSince ? `${path}?since=${encodeURIComponent(since)}` : path;
}

function time(iso: string): Html {
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/Z$/, '')}</time>`;
}

function searchForm(query?: { id?: string; since?: string }): Html {
  return html`<form class="filters" method="get" action="${base}" id="transaction-search">
    <label>Order id, entity or correlation id
      <input name="id" value="${query?.id ?? ''}" required placeholder="5820741173332 · order/5820741173332 · 01M8…" size="40" /></label>
    <label>Logs window<input name="since" value="${query?.since ?? defaultSince}" placeholder="30m, 24h, 7d" size="6" /></label>
    <button type="submit">Trace</button>
  </form>`;
}

/** An element id for a state of an execution (state names may hold any character). */
function stateAnchor(executionIndex: number, states: readonly string[], state: string): string {
  return `x${executionIndex}-s${states.indexOf(state)}`;
}

/** Every state name of an execution's definition, inner ones included, in a fixed order (for anchors). */
function statesOf(execution: WorkflowExecution): string[] {
  const names = new Set<string>(Object.keys(execution.definition.States));
  for (const step of execution.steps) names.add(step.state);
  return [...names];
}

/** The Lambda operations a step ran (X-Ray names them), as `createSalesOrder, postInvoice (ErpTimeoutError)`. */
function operationsText(step: ExecutionStep): string {
  return (step.operations ?? [])
    .map((op) => `${op.operation ?? op.function}${op.error ? ` (${op.error})` : ''}`)
    .join(', ');
}

/** The page's timeline: the trace's entries, and each execution's steps, in time order. */
function timelineRows(
  entries: readonly TimelineEntry[],
  executions: readonly WorkflowExecution[],
  entity?: string,
): Html {
  type Row = { at: string; where: Html | string; what: Html | string; kind: string };
  const rows: Row[] = entries.map((entry) => {
    const deadLetter = entry.what.startsWith('dead letter ');
    return {
      at: entry.at,
      kind: deadLetter
        ? 'dead-letter'
        : entry.where === 'ops audit'
          ? 'audit'
          : entry.where === 'ERP'
            ? 'erp'
            : 'log',
      where: deadLetter
        ? html`<a href="/exceptions/queues/${encodeURIComponent(entry.where)}${entity ? `?entity=${encodeURIComponent(entity)}` : ''}">${entry.where}</a>`
        : entry.where === 'ops audit'
          ? html`<a href="/audit">${entry.where}</a>`
          : entry.where,
      what: entry.what,
    };
  });
  executions.forEach((execution, index) => {
    const states = statesOf(execution);
    for (const step of execution.steps)
      rows.push({
        at: step.enteredAt,
        kind: `step${step.error ? ' step-error' : ''}`,
        where: workflowName(execution.stateMachineName),
        what: html`<a href="#${stateAnchor(index, states, step.state)}">${step.state}</a> (${step.type})${
          step.error ? html` <b class="bad">${step.error}</b>` : ''
        }${step.exitedAt ? '' : ' · not exited'}${operationsText(step) ? ` · ${operationsText(step)}` : ''}`,
      });
  });
  rows.sort((a, b) => a.at.localeCompare(b.at));
  return html`<table class="list" id="timeline">
    <thead><tr><th>Time</th><th>Where</th><th>What</th></tr></thead>
    <tbody>
      ${rows.length ? rows.map((row) => html`<tr class="${row.kind}"><td>${time(row.at)}</td><td>${row.where}</td><td>${row.what}</td></tr>`) : html`<tr><td colspan="3">Nothing.</td></tr>`}
    </tbody>
  </table>`;
}

/** One execution: its facts, its state machine with the path it took, and each visited state's input and output. */
async function executionSection(
  execution: WorkflowExecution,
  index: number,
  revealed: boolean,
): Promise<Html> {
  const states = statesOf(execution);
  const layout = layoutStateMachine(execution.definition);
  const svg = await renderStateMachineSvg(layout, {
    id: `graph-${index}`,
    path: execution.path,
    link: (state) => `#${stateAnchor(index, states, state)}`,
  });
  const visits = [...execution.path.visited].map((state) => ({
    state,
    steps: execution.steps.filter((step) => step.state === state),
  }));
  return html`<section class="execution" data-execution="${execution.executionArn}">
    <h2>${workflowName(execution.stateMachineName)} <span class="status ${execution.status.toLowerCase()}">${execution.status}</span></h2>
    <p class="muted">Execution <code>${execution.name}</code>, started ${time(execution.startDate)}${execution.stopDate ? html`, ended ${time(execution.stopDate)}` : ''};
      ${execution.path.visited.size} of ${Object.keys(execution.definition.States).length} states visited.</p>
    ${execution.source === 'xray' ? html`<p class="muted" data-source="xray">Read from X-Ray trace <code>${execution.traceId}</code>: the workflow is Express, so Step Functions keeps no history of it; X-Ray records each state, its error and the functions it ran, not its input or output.</p>` : ''}
    <div class="sm-view">
      <div class="sm-graph">${svg}</div>
      <div class="sm-details">
        <p class="sm-hint muted">Click a highlighted state to see its input and output.</p>
        ${visits.map(
          ({
            state,
            steps,
          }) => html`<section class="sm-detail" id="${stateAnchor(index, states, state)}" data-state-detail="${state}">
            <h3>${state}</h3>
            ${steps.map(
              (step, visit) => html`${steps.length > 1 ? html`<h4>Visit ${visit + 1}</h4>` : ''}
                <p class="muted">${step.type}, entered ${time(step.enteredAt)}${step.exitedAt ? html`, exited ${time(step.exitedAt)}` : ', not exited'}</p>
                ${step.error ? html`<p class="error"><b>${step.error}</b>${step.cause ? html`: ${step.cause}` : ''}</p>` : ''}
                ${
                  execution.source === 'xray'
                    ? html`<h4>Functions</h4><p data-operations>${operationsText(step) || '-'}</p>`
                    : html`<h4>Input</h4><pre class="json" data-input>${shownStepData(step.input, revealed)}</pre>
                <h4>Output</h4><pre class="json" data-output>${step.exitedAt ? shownStepData(step.output, revealed) : '-'}</pre>`
                }`,
            )}
          </section>`,
        )}
      </div>
    </div>
  </section>`;
}

/** Traces the transaction and renders it; `revealed` shows step data's personal fields (the caller audited it). */
async function transactionView(
  c: C,
  query: TransactionQuery,
  revealed = false,
  failure?: string,
): Promise<Response> {
  const { context, erp } = c.get('services');
  const timeline = await traceTimeline(
    traceSubject(query.id),
    await traceSources(context, { sinceMs: query.sinceMs, erp }),
  );
  const known = timeline.entries.map((entry) => Date.parse(entry.at)).filter((at) => !Number.isNaN(at));
  const from = new Date(known.length ? Math.min(...known) - executionLeadMs : Date.now() - query.sinceMs);
  // No upper bound worth the name: the embedded runtime's clock may run ahead of this machine's.
  const to = new Date(Date.now() + 7 * 86_400_000);
  // The Step Functions client the replay uses for its targets: the same credentials and endpoint.
  const { sfn } = context;
  // On AWS an Express workflow's path is read from X-Ray; the client shares the stage's credentials and region.
  const xray = xrayClientLike(context.logs);
  const { executions, warnings } = await transactionExecutions(
    sfn,
    context.stage,
    timeline.subject,
    { from, to },
    {
      client: xray,
      onAws: workflowsReadFromXRay(context.stage, Boolean(context.logs.config.isCustomEndpoint)),
    },
  ).finally(() => xray.destroy());
  const found = timeline.entries.length > 0 || executions.length > 0;
  const [entity] = timeline.subject.entities;
  const ids = (label: string, values: string[]) =>
    html`<dt>${label}</dt><dd>${values.length ? values.map((value, index) => html`${index ? ', ' : ''}<a href="${transactionPath(value, query.since)}"><code>${value}</code></a>`) : '-'}</dd>`;
  const allWarnings = [...timeline.warnings, ...warnings];
  const body = html`${searchForm(query)}
    <dl class="facts" id="transaction-facts">
      ${ids('Correlation ids', timeline.subject.correlationIds)} ${ids('Entities', timeline.subject.entities)}
      <dt>Logs read</dt><dd>the last ${query.since}</dd>
    </dl>
    ${allWarnings.length ? html`<div class="warnings" role="status"><ul>${allWarnings.map((warning) => html`<li>${warning}</li>`)}</ul></div>` : ''}
    ${
      found
        ? html`<h2>Timeline</h2>
          ${timelineRows(timeline.entries, executions, entity)}
          <h2>Workflow executions (${executions.length})</h2>
          ${
            executions.some((execution) => execution.source !== 'xray' && execution.steps.length > 0) &&
            !revealed
              ? html`<form method="post" action="${base}/reveal" class="inline" id="reveal-form">
                  ${csrfField(c)}<input type="hidden" name="id" value="${query.id}" /><input type="hidden" name="since" value="${query.since}" />
                  <span class="muted">Step data shows personal fields hashed.</span>
                  <label>Why you need to see them<input name="reason" required placeholder="customer asked, TICKET-12" /></label>
                  <button type="submit">Reveal (audited)</button>
                </form>`
              : revealed
                ? html`<p class="notice">Personal data revealed for this page; the reveal is in the audit.</p>`
                : ''
          }
          ${executions.length ? await Promise.all(executions.map((execution, index) => executionSection(execution, index, revealed))) : html`<p class="muted">No workflow execution of the stage names this transaction in the window.</p>`}`
        : html`<p id="nothing">Nothing about <code>${query.id}</code> in the last ${query.since}: no log line, dead letter, ERP document, audit entry or workflow execution names it. A wider window? (Logs Insights bills the bytes it scans.)</p>`
    }`;
  return renderPage(
    c,
    { title: `Transaction ${query.id}`, body, error: failure },
    found ? (failure ? 400 : 200) : 404,
  );
}

/** GET /transaction: the search form; with `?id=` it goes to that transaction. */
function searchView(c: C): Promise<Response> | Response {
  const idText = c.req.query('id');
  if (idText === undefined)
    return renderPage(c, {
      title: 'Transaction',
      body: html`${searchForm()}
        <p class="muted">The timeline of one order or correlation id, as <code>concord trace</code> assembles it, and each of its
          workflow executions drawn with the path it took.</p>`,
    });
  let query: TransactionQuery;
  try {
    query = parseQuery(idText, c.req.query('since'));
  } catch (error) {
    if (!(error instanceof ConsoleInputError)) throw error;
    return renderPage(
      c,
      {
        title: 'Transaction',
        error: error.message,
        body: searchForm({ id: idText, since: c.req.query('since') }),
      },
      400,
    );
  }
  return c.redirect(transactionPath(query.id, query.since), 303);
}

/** POST /transaction/reveal: shows the step data's personal fields in this one response, and records who and why. */
async function reveal(c: C): Promise<Response> {
  const { context } = c.get('services');
  const form = await c.req.parseBody();
  const query = parseQuery(
    typeof form.id === 'string' ? form.id : '',
    typeof form.since === 'string' ? form.since : undefined,
  );
  const reason = typeof form.reason === 'string' ? form.reason.trim() : '';
  if (!reason)
    return transactionView(
      c,
      query,
      false,
      'Revealing personal data needs a reason: it goes into the audit. Nothing was revealed.',
    );
  await (await context.deps()).journal.record({
    id: newId(),
    action: 'reveal',
    operator: await context.operator(),
    reason,
    queue: `transaction:${query.id}`,
    at: new Date().toISOString(),
    status: 'done',
    detail: { transaction: query.id, since: query.since },
  });
  return transactionView(c, query, true);
}

/** The Transaction page. */
export const transactionPage: ConsolePage = {
  path: base,
  title: 'Transaction',
  routes(app: Hono<ConsoleEnv>) {
    app.get(base, searchView);
    app.post(`${base}/reveal`, reveal);
    app.get(`${base}/:id{.+}`, (c) =>
      transactionView(c, parseQuery(c.req.param('id') ?? '', c.req.query('since'))),
    );
  },
};
