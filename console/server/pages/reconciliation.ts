/**
 * The Reconciliation page: the runs the stage's Reconcile function kept, a run's summary and its mismatches by class
 * (each linked to its transaction), its replay plan's dry run and carry-out (runReplayPlan, as `concord replay
 * --plan`), and a new run (the Reconcile function, as `concord reconcile --function`).
 */
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import {
  findReconciliationRun,
  listReconciliationRuns,
  type ReconciliationRun,
  readReconciliationRun,
  reconcileInStage,
} from '../../../cli/reconciliation-runs';
import { namedWindow } from '../../../functions/shared/ops/time-window';
import {
  type Mismatch,
  type MismatchClass,
  mismatchClasses,
  type ReconciledEntity,
  type ReconciliationReport,
  reconciledEntities,
} from '../../../functions/shared/reconciliation/report';
import {
  type ConsoleEnv,
  ConsoleInputError,
  ConsoleNotFoundError,
  type ConsolePage,
  type ConsoleServices,
} from '../console-page';
import { csrfField, type Html, renderPage } from '../layout';
import { type PlanRun, PlanRuns, planCounts } from '../reconciliation/plan-runs';

const base = '/reconciliation';
/** Runs per page of the list (each shown run's report is read). */
const runsPerPage = 15;
/** Mismatches per page of a class. */
const mismatchesPerPage = 50;
/** The entity kinds a report reconciled (suppliers and employees since 1.2): one column or row each. */
const entitiesOf = (report: ReconciliationReport) =>
  reconciledEntities.filter((entity) => report.totals[entity] !== undefined);

type C = Context<ConsoleEnv>;

// One set of plan runs per console (its services): a run outlives the request that started it, not the console.
const planRunsOf = new WeakMap<ConsoleServices, PlanRuns>();
function planRuns(c: C): PlanRuns {
  const services = c.get('services');
  let runs = planRunsOf.get(services);
  if (!runs) {
    runs = new PlanRuns();
    planRunsOf.set(services, runs);
  }
  return runs;
}

/** The plan runs a console started, to wait for them (tests, shutdown). */
export function consolePlanRuns(services: ConsoleServices): PlanRuns | undefined {
  return planRunsOf.get(services);
}

function runPath(id: string): string {
  return `${base}/runs/${encodeURIComponent(id)}`;
}

function time(iso: string): Html {
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

/** Where a mismatch's transaction is shown: its correlation id, else an order's shop id; none for the rest. */
export function transactionOf(
  mismatch: Pick<Mismatch, 'entity' | 'key' | 'correlationId'>,
): string | undefined {
  const id = mismatch.correlationId ?? (mismatch.entity === 'order' ? mismatch.key : undefined);
  return id ? `/transaction/${encodeURIComponent(id)}` : undefined;
}

function pageNumber(value: string | undefined): number {
  return Math.max(1, Number.parseInt(value ?? '1', 10) || 1);
}

function text(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** The window a form names, as `concord reconcile` reads it; a bad one is the operator's to fix. */
function windowOf(input: { date?: string; since?: string; until?: string }): { from: Date; to: Date } {
  try {
    return namedWindow({
      ...(input.date ? { date: input.date } : {}),
      ...(input.since ? { since: input.since } : {}),
      ...(input.until ? { until: input.until } : {}),
    });
  } catch (error) {
    throw new ConsoleInputError(`${(error as Error).message}. No reconciliation was started.`, {
      cause: error,
    });
  }
}

async function runOf(c: C): Promise<ReconciliationRun> {
  const id = c.req.param('id') ?? '';
  const run = await findReconciliationRun(c.get('services').context, id);
  if (!run) throw new ConsoleNotFoundError(`the stage keeps no reconciliation run ${id}`);
  return run;
}

function breadcrumbs(...crumbs: [label: string, href?: string][]): Html {
  return html`<p class="crumbs">
    <a href="${base}">Reconciliation runs</a>
    ${crumbs.map(([label, href]) => html` › ${href ? html`<a href="${href}">${label}</a>` : html`<span>${label}</span>`}`)}
  </p>`;
}

function runForm(c: C, values: { since?: string; until?: string; date?: string }, label: string): Html {
  return html`<form method="post" action="${base}/run" class="filters" id="run-form">
    ${csrfField(c)}
    <label>Since<input name="since" value="${values.since ?? ''}" placeholder="1d or ISO time" /></label>
    <label>Until<input name="until" value="${values.until ?? ''}" placeholder="now, or ISO time" /></label>
    <label>Or a UTC day<input name="date" value="${values.date ?? ''}" placeholder="2026-11-27" /></label>
    <button type="submit">${label}</button>
  </form>`;
}

/** The mismatch counts of a report by class (rows) and entity type (columns). */
function classTable(report: ReconciliationReport): Html {
  const count = (name: MismatchClass, entity: ReconciledEntity) =>
    report.mismatches.filter((mismatch) => mismatch.class === name && mismatch.entity === entity).length;
  const entities = entitiesOf(report);
  return html`<table class="list" id="by-class">
    <thead><tr><th>Class</th>${entities.map((entity) => html`<th class="num">${entity}</th>`)}<th class="num">Total</th></tr></thead>
    <tbody>
      ${mismatchClasses.map(
        (name) => html`<tr data-class="${name}" class="${report.byClass[name] ? 'waiting' : ''}">
          <td>${report.byClass[name] ? html`<a href="#${name}">${name}</a>` : name}</td>
          ${entities.map((entity) => html`<td class="num">${count(name, entity)}</td>`)}
          <td class="num" data-total>${report.byClass[name] ?? 0}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function sums(side: { sums: Record<string, string> } | undefined): string {
  const entries = Object.entries(side?.sums ?? {});
  return entries.length === 0 ? '-' : entries.map(([currency, amount]) => `${amount} ${currency}`).join(', ');
}

function totalsTable(report: ReconciliationReport): Html {
  return html`<table class="list" id="totals">
    <thead><tr><th>Entity</th><th class="num">SaaS</th><th class="num">ERP</th><th class="num">Warehouse</th><th>ERP amounts</th><th>Warehouse amounts</th></tr></thead>
    <tbody>
      ${entitiesOf(report).map((entity) => {
        const totals = report.totals[entity] as NonNullable<ReconciliationReport['totals'][ReconciledEntity]>;
        return html`<tr><td>${entity}</td><td class="num">${totals.saas?.count ?? '-'}</td><td class="num">${totals.erp.count}</td>
          <td class="num">${totals.warehouse.count}</td><td>${sums(totals.erp)}</td><td>${sums(totals.warehouse)}</td></tr>`;
      })}
    </tbody>
  </table>`;
}

/** GET /reconciliation: the kept runs, newest first, paged; a form that starts one. */
async function runsView(
  c: C,
  failure?: { message: string; values: Record<string, string> },
): Promise<Response> {
  const { context } = c.get('services');
  const refs = await listReconciliationRuns(context);
  const page = pageNumber(c.req.query('page'));
  const pages = Math.max(1, Math.ceil(refs.length / runsPerPage));
  const shown = await Promise.all(
    refs
      .slice((page - 1) * runsPerPage, page * runsPerPage)
      .map((ref) => readReconciliationRun(context, ref)),
  );
  const rows = shown.map(
    ({
      report,
      plan,
    }) => html`<tr data-run="${report.id}" class="${report.mismatches.length ? 'waiting' : ''}">
      <td><a href="${runPath(report.id)}"><code>${report.id}</code></a></td>
      <td>${time(report.ranAt)}</td>
      <td>${time(report.window.from)} … ${time(report.window.to)}</td>
      <td class="num" data-mismatches>${report.mismatches.length}</td>
      <td>${
        mismatchClasses
          .filter((name) => report.byClass[name])
          .map((name) => `${name} ${report.byClass[name]}`)
          .join(', ') || 'all three agree'
      }</td>
      <td class="num">${planCounts(plan).events} / ${plan.archiveReplays.length} / ${plan.review.length}</td>
    </tr>`,
  );
  return renderPage(
    c,
    {
      title: 'Reconciliation',
      notice: c.req.query('notice'),
      error: failure?.message,
      body: html`<p class="muted">The runs the stage's Reconcile function kept (daily, or started here or with
          <code>concord reconcile --function</code>): what the SaaS platforms sent, what the ERP booked and what the
          warehouse shows, compared per business key.</p>
        <h2>Run a reconciliation</h2>
        ${runForm(c, failure?.values ?? { since: '1d' }, 'Run reconciliation')}
        <table class="list" id="runs">
          <thead><tr><th>Run</th><th>Ran at</th><th>Window</th><th class="num">Mismatches</th><th>By class</th><th class="num">Plan: events / archive windows / review</th></tr></thead>
          <tbody>${rows.length ? rows : html`<tr><td colspan="6">No reconciliation run is kept yet: run one above.</td></tr>`}</tbody>
        </table>
        ${
          pages > 1
            ? html`<p class="pager">
                ${page > 1 ? html`<a href="${base}?page=${page - 1}">‹ newer</a>` : ''} page ${page} of ${pages}
                ${page < pages ? html`<a href="${base}?page=${page + 1}">older ›</a>` : ''}
              </p>`
            : ''
        }`,
    },
    failure ? 400 : 200,
  );
}

/** POST /reconciliation/run: runs the Reconcile function for the window and shows the run it kept. */
async function startRun(c: C): Promise<Response> {
  const form = await c.req.parseBody();
  const values = { since: text(form, 'since'), until: text(form, 'until'), date: text(form, 'date') };
  let window: { from: Date; to: Date };
  try {
    window = windowOf(values);
  } catch (error) {
    if (!(error instanceof ConsoleInputError)) throw error;
    return runsView(c, { message: error.message, values });
  }
  const { report } = await reconcileInStage(c.get('services').context, window);
  const notice = `Reconciliation ${report.id} ran: ${report.mismatches.length} mismatch(es).`;
  return c.redirect(`${runPath(report.id)}?notice=${encodeURIComponent(notice)}`, 303);
}

function mismatchRow(mismatch: Mismatch): Html {
  const transaction = transactionOf(mismatch);
  return html`<tr data-mismatch="${mismatch.entity}/${mismatch.key}">
    <td>${mismatch.entity}</td>
    <td>${transaction ? html`<a href="${transaction}" data-transaction>${mismatch.key}</a>` : mismatch.key}</td>
    <td>${mismatch.erpDocument ?? '-'}</td>
    <td>${mismatch.detail}${mismatch.unreadable ? html`<br /><span class="muted">${mismatch.unreadable.side}: ${mismatch.unreadable.reason}</span>` : ''}</td>
  </tr>`;
}

/** One class's mismatches, paged by `?<class>=N`. */
function classSection(c: C, report: ReconciliationReport, name: MismatchClass): Html {
  const all = report.mismatches.filter((mismatch) => mismatch.class === name);
  if (all.length === 0) return html``;
  const page = pageNumber(c.req.query(name));
  const pages = Math.ceil(all.length / mismatchesPerPage);
  const link = (to: number) => `${runPath(report.id)}?${name}=${to}#${name}`;
  return html`<section class="mismatch-class" id="${name}" data-class="${name}">
    <h2>${name} (${all.length})</h2>
    <table class="list">
      <thead><tr><th>Entity</th><th>Key (its transaction)</th><th>ERP document</th><th>Detail</th></tr></thead>
      <tbody>${all.slice((page - 1) * mismatchesPerPage, page * mismatchesPerPage).map(mismatchRow)}</tbody>
    </table>
    ${
      pages > 1
        ? html`<p class="pager">${page > 1 ? html`<a href="${link(page - 1)}">‹ previous</a>` : ''} page ${page} of ${pages}
            ${page < pages ? html`<a href="${link(page + 1)}">next ›</a>` : ''}</p>`
        : ''
    }
  </section>`;
}

function planRunRows(runs: PlanRun[]): Html {
  if (runs.length === 0) return html``;
  return html`<h2>Plan runs from this console</h2>
    <table class="list" id="plan-runs">
      <thead><tr><th>Started</th><th>Operator</th><th>Reason</th><th>Status</th></tr></thead>
      <tbody>${runs.map(
        (
          run,
        ) => html`<tr><td><a href="${base}/plan-runs/${run.id}">${time(run.startedAt)}</a></td><td>${run.operator}</td>
          <td>${run.reason}</td><td>${run.status}</td></tr>`,
      )}</tbody>
    </table>`;
}

/** GET /reconciliation/runs/:id: the run's summary, its mismatches by class, its plan, and a run of the same window. */
async function runView(c: C): Promise<Response> {
  const { report, plan, ref } = await runOf(c);
  const counts = planCounts(plan);
  return renderPage(c, {
    title: `Reconciliation ${report.id}`,
    notice: c.req.query('notice'),
    body: html`${breadcrumbs([report.id])}
      <dl class="facts" id="run-facts">
        <dt>Window</dt><dd>${time(report.window.from)} … ${time(report.window.to)}</dd>
        <dt>Ran at</dt><dd>${time(report.ranAt)}</dd>
        <dt>Mismatches</dt><dd data-mismatches>${report.mismatches.length}</dd>
        <dt>Kept at</dt><dd><code>${ref.reportKey}</code></dd>
      </dl>
      <div class="grid">
        <div><h2>Mismatches by class and entity</h2>${classTable(report)}</div>
        <div><h2>What each side holds</h2>${totalsTable(report)}</div>
      </div>
      <h2>Replay plan</h2>
      <p class="summary" id="plan-summary">
        <b>${counts.events}</b> event(s) of <b>${plan.republish.length}</b> transaction(s) to re-publish,
        <b>${counts.windows}</b> archive window(s) to replay to the warehouse, <b>${plan.review.length}</b> mismatch(es)
        for a person to review.
        ${counts.total > 0 ? html`<a href="${runPath(report.id)}/plan" id="plan-link">Dry run of the plan</a>` : ''}
      </p>
      ${planRunRows(planRuns(c).of(report.id))}
      ${mismatchClasses.map((name) => classSection(c, report, name))}
      <h2>Run reconciliation again</h2>
      ${runForm(c, { since: report.window.from, until: report.window.to }, 'Run reconciliation again')}`,
  });
}

/** The plan's dry run and, when it would do something, the form that carries it out. */
async function planView(
  c: C,
  failure?: { message: string; reason?: string; rate?: string },
): Promise<Response> {
  const { report, plan } = await runOf(c);
  const counts = planCounts(plan);
  const form =
    counts.total > 0
      ? html`<form method="post" action="${runPath(report.id)}/plan" class="action" id="plan-form">
          ${csrfField(c)}
          <input type="hidden" name="count" value="${counts.total}" />
          <label>Reason (an incident or ticket; it goes into the audit)
            <input name="reason" required value="${failure?.reason ?? ''}" placeholder="INC-42 nightly reconciliation" /></label>
          <label>Rate (events per second; empty: as fast as the bus takes them)
            <input name="rate" type="number" min="0.1" step="any" value="${failure?.rate ?? ''}" /></label>
          <label class="confirm"><input type="checkbox" name="confirm" value="yes" required />
            Re-publish ${counts.events} event(s) and replay ${counts.windows} archive window(s) to the warehouse</label>
          <button type="submit" class="danger">Carry out the plan (${counts.total})</button>
        </form>`
      : html`<p>The plan has nothing to replay.</p>`;
  return renderPage(
    c,
    {
      title: `Replay plan of ${report.id}`,
      error: failure?.message,
      body: html`${breadcrumbs([report.id, runPath(report.id)], ['replay plan'])}
        <p class="summary" id="plan-dry-run" data-events="${counts.events}" data-windows="${counts.windows}">
          Dry run: <b>${counts.events}</b> event(s) of <b>${plan.republish.length}</b> transaction(s) would be
          re-published to the bus, <b>${counts.windows}</b> archive window(s) replayed to the warehouse rule only;
          <b>${plan.review.length}</b> mismatch(es) need a person. Nothing has been changed.
        </p>
        <h2>Re-publish (${plan.republish.length})</h2>
        <table class="list" id="republish">
          <thead><tr><th>Class</th><th>Entity</th><th>Key (its transaction)</th><th class="num">Events</th></tr></thead>
          <tbody>${
            plan.republish.length
              ? plan.republish.map((entry) => {
                  const transaction = transactionOf(entry);
                  return html`<tr><td>${entry.class}</td><td>${entry.entity}</td>
                    <td>${transaction ? html`<a href="${transaction}">${entry.key}</a>` : entry.key}</td>
                    <td class="num">${entry.events.length}</td></tr>`;
                })
              : html`<tr><td colspan="4">-</td></tr>`
          }</tbody>
        </table>
        <h2>Archive replays to the warehouse (${counts.windows})</h2>
        <table class="list" id="archive-replays">
          <thead><tr><th>From</th><th>To</th><th>Documents it brings back</th></tr></thead>
          <tbody>${
            plan.archiveReplays.length
              ? plan.archiveReplays.map(
                  (window) => html`<tr><td>${time(window.from)}</td><td>${time(window.to)}</td>
                    <td>${window.documents.slice(0, 20).join(', ')}${window.documents.length > 20 ? ` … (${window.documents.length})` : ''}</td></tr>`,
                )
              : html`<tr><td colspan="3">-</td></tr>`
          }</tbody>
        </table>
        <h2>For review (${plan.review.length})</h2>
        <table class="list" id="review">
          <thead><tr><th>Class</th><th>Entity</th><th>Key</th><th>Detail</th></tr></thead>
          <tbody>${
            plan.review.length
              ? plan.review.slice(0, mismatchesPerPage).map((item) => {
                  const transaction = transactionOf(item);
                  return html`<tr><td>${item.class}</td><td>${item.entity}</td>
                    <td>${transaction ? html`<a href="${transaction}">${item.key}</a>` : item.key}</td><td>${item.detail}</td></tr>`;
                })
              : html`<tr><td colspan="4">-</td></tr>`
          }</tbody>
        </table>
        ${form}`,
    },
    failure ? 400 : 200,
  );
}

/** POST /reconciliation/runs/:id/plan: checks the form, then carries the plan out in this process. */
async function carryOut(c: C): Promise<Response> {
  const { context } = c.get('services');
  const form = await c.req.parseBody();
  const reason = text(form, 'reason');
  const rateText = text(form, 'rate');
  const rate = rateText === '' ? undefined : Number(rateText);
  const { plan } = await runOf(c);
  const counts = planCounts(plan);
  const refusal =
    counts.total === 0
      ? 'The plan has nothing to replay. Nothing was changed.'
      : !reason
        ? 'Carrying out a plan needs a reason (an incident or ticket): it goes into the audit. Nothing was replayed.'
        : rate !== undefined && !(rate > 0)
          ? `The rate must be a positive number of events per second, not "${rateText}". Nothing was replayed.`
          : Number(form.count) !== counts.total
            ? `The confirmed count (${text(form, 'count') || 'none'}) is not the plan's ${counts.total}: look at the dry run again. Nothing was replayed.`
            : form.confirm !== 'yes'
              ? `Tick the confirmation naming the ${counts.events} event(s) and ${counts.windows} archive window(s). Nothing was replayed.`
              : undefined;
  if (refusal) return planView(c, { message: refusal, reason, rate: rateText });
  const run = planRuns(c).start(await context.deps(), {
    plan,
    operator: await context.operator(),
    reason,
    ...(rate !== undefined ? { ratePerSec: rate } : {}),
  });
  return c.redirect(`${base}/plan-runs/${run.id}`, 303);
}

function planRunOf(c: C): PlanRun {
  const run = planRuns(c).get(c.req.param('id') ?? '');
  if (!run)
    throw new ConsoleNotFoundError(`no plan run ${c.req.param('id')} in this console (it was restarted?)`);
  return run;
}

/** GET /reconciliation/plan-runs/:id: a plan's carry-out while it runs (the client script polls), then its result. */
function planRunView(c: C): Promise<Response> {
  const run = planRunOf(c);
  const result = run.result;
  const outcome =
    run.status === 'running'
      ? html`<p>Carrying out the plan… the page follows it.</p>`
      : run.status === 'failed'
        ? html`<div class="error" role="alert"><p>The plan stopped: ${run.error}. Its audit record says what it had done.</p></div>`
        : html`<div id="plan-result" data-republished="${result?.republished ?? 0}" class="${result?.failed.length ? 'error' : 'notice'}">
            <p>Replay <code>${result?.replayId}</code> is done: <b>${result?.republished}</b> event(s) re-published,
              ${result?.archiveReplays.length ?? 0} archive replay(s)
              ${result?.archiveReplays.length ? `(${result.archiveReplays.map((replay) => `${replay.name} ${replay.state}`).join(', ')})` : ''}.
              <a href="/audit?queue=${encodeURIComponent(`reconciliation:${run.reconciliationId}`)}">Its audit record</a> ·
              <a href="${runPath(run.reconciliationId)}">back to the run</a></p>
            ${result?.failed.length ? html`<h2>Failed</h2><ul>${result.failed.map((failure) => html`<li><code>${failure.eventId}</code>: ${failure.error}</li>`)}</ul>` : ''}
          </div>`;
  return renderPage(c, {
    title: `Replay plan of ${run.reconciliationId}`,
    body: html`${breadcrumbs([run.reconciliationId, runPath(run.reconciliationId)], ['plan run'])}
      <dl class="facts">
        <dt>Operator</dt><dd data-operator>${run.operator}</dd>
        <dt>Reason</dt><dd>${run.reason}</dd>
        <dt>Started</dt><dd>${time(run.startedAt)}</dd>
        <dt>Status</dt><dd data-run-status>${run.status}</dd>
      </dl>
      <p class="progress" data-progress-url="${base}/plan-runs/${run.id}/progress" data-status="${run.status}">
        <progress max="${run.total}" value="${run.status === 'running' ? 0 : run.total}"></progress>
        <span data-progress-text>${run.progress.at(-1) ?? run.status}</span>
      </p>
      ${outcome}`,
  });
}

/** The Reconciliation page. */
export const reconciliationPage: ConsolePage = {
  path: base,
  title: 'Reconciliation',
  routes(app: Hono<ConsoleEnv>) {
    app.get(base, (c) => runsView(c));
    app.post(`${base}/run`, startRun);
    app.get(`${base}/runs/:id`, runView);
    app.get(`${base}/runs/:id/plan`, (c) => planView(c));
    app.post(`${base}/runs/:id/plan`, carryOut);
    app.get(`${base}/plan-runs/:id`, planRunView);
    app.get(`${base}/plan-runs/:id/progress`, (c) => {
      const run = planRunOf(c);
      return c.json({
        status: run.status,
        published: run.status === 'running' ? 0 : run.total,
        max: run.total,
        error: run.error,
      });
    });
  },
};
