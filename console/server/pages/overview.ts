/**
 * The Overview, the console's home: per flow, what came in and how it ended, the SLOs, the business latencies, the
 * alarms with where to look, the dead-letter queues, the last reconciliation and, locally, the metered cost per
 * million orders, over a window. The local counterpart of the CloudWatch dashboard (infra/constructs/
 * operations-dashboard.ts), row for row; it reads what `concord status` reads (cli/stage-status.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { StageAlarm } from '../../../cli/stage-status';
import { loadSourceRegistry } from '../../../functions/shared/sources/source-registry';
import { stageConfig } from '../../../infra/config/stage-config';
import { latencySlos } from '../../../infra/constructs/slo-alarms';
import { type ConsoleEnv, ConsoleNotFoundError, type ConsolePage } from '../console-page';
import { formatAgeSec, type Html, renderPage } from '../layout';
import {
  type FlowReading,
  type LatencyReading,
  type OverviewReading,
  overviewWindows,
  parseOverviewWindow,
  readOverview,
  runbookOf,
} from '../overview/read-overview';

const base = '/overview';
/** The repository's docs, where every alarm description points: served read-only under `/overview/runbooks/`. */
const repositoryRoot = path.join(__dirname, '..', '..', '..');

type C = Context<ConsoleEnv>;

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function time(iso: string): Html {
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

function verdict(met: boolean | undefined): Html {
  if (met === undefined) return html`<span class="verdict none">no data</span>`;
  return met
    ? html`<span class="verdict met">met</span>`
    : html`<span class="verdict breached">BREACHED</span>`;
}

/**
 * An alarm's logical id, the name docs/observability.md uses: CloudFormation names it
 * `Concord-<stage>-<stack>-<logical id><8 hex>` (and a random suffix on AWS).
 */
function shortAlarmName(name: string, stage: string): string {
  return name
    .replace(new RegExp(`^Concord-${stage}-(?:Stateful|Stateless)-`), '')
    .replace(/[0-9A-F]{8}(?:-[A-Za-z0-9]+)?$/, '');
}

/** The link to where an alarm's description says to look, served by this page. */
function runbookLink(alarm: StageAlarm): Html {
  const runbook = runbookOf(alarm.description);
  if (!runbook) return html`<span class="muted">-</span>`;
  const [file, anchor] = runbook.split('#');
  return html`<a href="${base}/runbooks/${file}${anchor ? `#${anchor}` : ''}" data-runbook>${runbook}</a>`;
}

/** A throughput sparkline: ended transactions per bucket, oldest on the left, drawn server-side. */
function sparkline(buckets: number[], label: string): Html {
  const width = 120;
  const height = 26;
  const max = Math.max(1, ...buckets);
  const step = buckets.length > 1 ? width / (buckets.length - 1) : width;
  const points = buckets
    .map(
      (value, index) =>
        `${(index * step).toFixed(1)},${(height - 2 - (value / max) * (height - 4)).toFixed(1)}`,
    )
    .join(' ');
  return html`<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">
    <title>${label}</title>
    <polyline points="${points}" />
  </svg>`;
}

function windowSelector(reading: OverviewReading): Html {
  return html`<nav class="windows" aria-label="Time window">
    ${Object.keys(overviewWindows).map(
      (window) =>
        html`<a href="${base}?window=${window}" class="${window === reading.window ? 'active' : ''}" data-window="${window}"
          >${window}</a
        >`,
    )}
    <span class="muted">read at ${time(reading.status.at)}</span>
  </nav>`;
}

function alarmsPanel(reading: OverviewReading): Html {
  const { stage } = reading.status;
  const firing = reading.alarms.filter((alarm) => alarm.state === 'ALARM');
  return html`<h2>Alarms <span class="muted">(${firing.length} firing of ${reading.alarms.length})</span></h2>
    ${
      firing.length
        ? html`<table class="list" id="firing">
            <thead><tr><th>Firing</th><th>Since</th><th>Reason</th><th>Look first</th></tr></thead>
            <tbody>
              ${firing.map(
                (alarm) => html`<tr data-alarm="${alarm.name}" data-state="${alarm.state}">
                  <td><b>${shortAlarmName(alarm.name, stage)}</b></td>
                  <td>${alarm.since ? time(alarm.since) : '-'}</td>
                  <td class="reason">${alarm.reason ?? '-'}</td>
                  <td>${runbookLink(alarm)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="notice" role="status">No alarm firing.</p>`
    }
    <ul class="alarms" id="alarms">
      ${reading.alarms.map(
        (alarm) =>
          html`<li class="alarm" data-alarm="${alarm.name}" data-state="${alarm.state}" title="${alarm.state}: ${alarm.description ?? ''}">${shortAlarmName(alarm.name, stage)}</li>`,
      )}
    </ul>`;
}

function tile(
  label: string,
  value: string | number,
  options: { href?: string; alert?: boolean; id: string },
): Html {
  const body = html`<span class="value" data-tile-value>${value}</span><span class="label">${label}</span>`;
  return html`<div class="tile ${options.alert ? 'alert' : ''}" data-tile="${options.id}">
    ${options.href ? html`<a href="${options.href}">${body}</a>` : body}
  </div>`;
}

function tiles(reading: OverviewReading): Html {
  const orders = reading.flows[0];
  const exceptions = reading.status.backlog.find((queue) => queue.name.includes('ExceptionsQueue'));
  const cost = reading.cost;
  return html`<div class="tiles" id="tiles">
    ${tile('webhooks in', reading.webhooksIn, { id: 'webhooks-in' })}
    ${tile('orders booked', orders?.done ?? 0, { id: 'booked' })}
    ${tile('credit held', orders?.held ?? 0, { id: 'held' })}
    ${tile('refused', orders?.refused ?? 0, { id: 'refused', alert: (orders?.refused ?? 0) > 0 })}
    ${tile(
      'unknown at the ERP',
      reading.flows.reduce((sum, flow) => sum + flow.unknown, 0),
      {
        id: 'unknown',
        alert: reading.flows.some((flow) => flow.unknown > 0),
      },
    )}
    ${tile('exceptions waiting now', exceptions?.depth ?? 0, {
      id: 'exceptions',
      alert: (exceptions?.depth ?? 0) > 0,
      ...(exceptions ? { href: `/exceptions/queues/${encodeURIComponent(exceptions.name)}` } : {}),
    })}
    ${
      reading.status.stage === 'local'
        ? tile(
            cost
              ? `per million orders (${cost.orders} since ${cost.since.slice(11, 16)}Z, metered)`
              : `per million orders: ${reading.costError ?? 'not metered'}`,
            cost?.usdPerMillionOrders !== undefined ? `$${cost.usdPerMillionOrders.toFixed(2)}` : '-',
            { id: 'cost' },
          )
        : ''
    }
  </div>`;
}

function latencyCells(latency: LatencyReading | undefined): Html {
  if (!latency) return html`<td class="num">-</td><td class="num">-</td><td class="num">-</td><td></td>`;
  return html`<td class="num">${formatMs(latency.p50)}</td><td class="num">${formatMs(latency.p95)}</td
    ><td class="num">${formatMs(latency.p99)}</td>
    <td>${verdict(latency.met)} <span class="muted">${latency.percentile} ≤ ${latency.withinSec} s</span></td>`;
}

function flowRows(flow: FlowReading): Html {
  const [first, ...more] = flow.latencies;
  const extra = flow.extra.map((entry) => `${entry.count} ${entry.label}`).join(', ');
  const refusedTitle = Object.entries(flow.refusedByReason)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const rowSpan = Math.max(1, flow.latencies.length);
  return html`<tr data-flow="${flow.flow}">
      <td rowspan="${rowSpan}"><b>${flow.title}</b><br /><span class="muted">${flow.flow}${extra ? ` · ${extra}` : ''}</span></td>
      <td rowspan="${rowSpan}" class="num" data-count="ended">${flow.ended}</td>
      <td rowspan="${rowSpan}" class="num" data-count="done">${flow.done} <span class="muted">${flow.doneLabel}</span></td>
      <td rowspan="${rowSpan}" class="num" data-count="held">${flow.held ?? '-'}</td>
      <td rowspan="${rowSpan}" class="num" data-count="refused" title="${refusedTitle}">${flow.refused ?? '-'}</td>
      <td rowspan="${rowSpan}" class="num" data-count="unknown">${flow.unknown}</td>
      <td>${first ? first.metric : html`<span class="muted">no latency SLO</span>`}</td>
      ${latencyCells(first)}
      <td rowspan="${rowSpan}">${sparkline(flow.buckets, `${flow.title}: ended ${flow.unit} per bucket`)}</td>
    </tr>
    ${more.map(
      (latency) => html`<tr data-flow="${flow.flow}" data-latency="${latency.metric}">
        <td>${latency.metric}</td>
        ${latencyCells(latency)}
      </tr>`,
    )}`;
}

/** "5 min", "hour", "6 h": a sparkline's step. */
function bucketLabel(seconds: number): string {
  if (seconds === 3600) return 'hour';
  return seconds < 3600 ? `${seconds / 60} min` : `${seconds / 3600} h`;
}

function flowsPanel(reading: OverviewReading): Html {
  const bucket = bucketLabel(reading.bucketSec);
  return html`<h2>Flows</h2>
    <table class="list" id="flows">
      <thead>
        <tr>
          <th>Flow</th><th class="num">Ended</th><th class="num">Done</th><th class="num">Held</th>
          <th class="num">Refused</th><th class="num">Unknown</th><th>Latency</th><th class="num">p50</th>
          <th class="num">p95</th><th class="num">p99</th><th>SLO</th><th>Throughput (per ${bucket})</th>
        </tr>
      </thead>
      <tbody>${reading.flows.map(flowRows)}</tbody>
    </table>`;
}

function slosPanel(reading: OverviewReading): Html {
  const { invoiceVisibleInWarehouse, reconciliationClean } = reading.status.slos;
  const latencies = reading.flows.flatMap((flow) => flow.latencies);
  const states = (alarms: { state: string }[]) => alarms.map((alarm) => alarm.state).join(', ') || '-';
  const alarmsOf = (key: string) =>
    reading.alarms.filter((alarm) => alarm.name.toLowerCase().includes(`${key.toLowerCase()}slo`));
  return html`<h2>SLOs</h2>
    <table class="list" id="slos">
      <thead><tr><th>SLO</th><th>Status</th><th>Observed over the window</th><th>Alarms</th></tr></thead>
      <tbody>
        ${latencies.map(
          (latency) => html`<tr data-slo="${latency.slo}">
            <td>${latency.target * 100} % of ${latencySlos[latency.slo].what} within ${latency.withinSec} s</td>
            <td>${verdict(latency.met)}</td>
            <td>${latency.observedMs === undefined ? `${latency.samples} samples` : `${latency.percentile} ${formatMs(latency.observedMs)} over ${latency.samples}`}</td>
            <td>${states(alarmsOf(latency.slo))}</td>
          </tr>`,
        )}
        <tr data-slo="invoiceVisibleInWarehouse">
          <td>invoices visible in the warehouse within ${invoiceVisibleInWarehouse.withinMin} min</td>
          <td>${verdict(invoiceVisibleInWarehouse.met)}</td><td>its alarm</td>
          <td>${states(invoiceVisibleInWarehouse.alarms)}</td>
        </tr>
        <tr data-slo="reconciliationClean">
          <td>no exception older than ${reconciliationClean.maxMismatchAgeHours} h</td>
          <td>${verdict(reconciliationClean.met)}</td>
          <td>${reconciliationClean.oldestExceptionAgeSec === undefined ? 'none waiting' : `oldest ${formatAgeSec(reconciliationClean.oldestExceptionAgeSec)}`}</td>
          <td>-</td>
        </tr>
      </tbody>
    </table>`;
}

function queuesPanel(reading: OverviewReading): Html {
  return html`<h2>Dead-letter queues and backlog <span class="muted">(now)</span></h2>
    <table class="list" id="queues">
      <thead><tr><th>Queue</th><th class="num">Depth</th><th class="num">In flight</th><th class="num">Oldest</th><th>Top errors (sampled)</th></tr></thead>
      <tbody>
        ${reading.status.backlog.map(
          (queue) => html`<tr data-queue="${queue.name}" class="${queue.depth > 0 ? 'waiting' : ''}">
            <td>${
              queue.name.includes('WorkflowRedriveQueue')
                ? html`${queue.name} <span class="muted">(deferred work, not failures)</span>`
                : html`<a href="/exceptions/queues/${encodeURIComponent(queue.name)}">${queue.name}</a>`
            }</td>
            <td class="num" data-depth>${queue.depth}</td>
            <td class="num">${queue.inFlight}</td>
            <td class="num" data-oldest>${formatAgeSec(queue.oldestAgeSec)}</td>
            <td>${queue.topErrors.map((error) => `${error.code} (${error.count})`).join(', ') || '-'}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}

function reconciliationPanel(reading: OverviewReading): Html {
  const last = reading.reconciliation;
  const body = reading.reconciliationError
    ? html`<p class="error" role="alert">The last reconciliation could not be read: ${reading.reconciliationError}</p>`
    : !last
      ? html`<p class="muted">No reconciliation report kept yet (the daily Reconcile function, or <code>concord reconcile --function</code>, keeps one).</p>`
      : html`<dl class="facts" id="reconciliation">
          <dt>Run</dt><dd><a href="/reconciliation/runs/${encodeURIComponent(last.id)}">${last.id}</a></dd>
          <dt>Result</dt>
          <dd data-mismatches="${last.mismatches}">${
            last.mismatches === 0
              ? html`<span class="verdict met">clean</span>`
              : html`<span class="verdict breached">${last.mismatches} mismatches</span>
                  <span class="muted">${Object.entries(last.byClass)
                    .filter(([, count]) => count > 0)
                    .map(([name, count]) => `${name} ${count}`)
                    .join(', ')}</span>`
          }</dd>
          <dt>Window</dt><dd>${time(last.window.from)} … ${time(last.window.to)}</dd>
          ${last.at ? html`<dt>Kept</dt><dd>${time(last.at)}</dd>` : ''}
        </dl>`;
  return html`<h2>Last reconciliation</h2>
    ${body}
    <p class="muted" data-mismatches-in-window="${reading.mismatchesInWindow}">
      Mismatches counted over the window (every run): ${reading.mismatchesInWindow}
    </p>`;
}

function costPanel(reading: OverviewReading): Html {
  if (reading.status.stage !== 'local') return html``;
  const cost = reading.cost;
  return html`<h2>Metered cost <span class="muted">(embedded runtime, since it started)</span></h2>
    ${
      !cost
        ? html`<p class="muted">${reading.costError ?? 'not metered'}</p>`
        : html`<p id="cost">
            ${
              cost.usdPerMillionOrders === undefined
                ? html`No order has ended since ${time(cost.since)}: nothing to divide $${cost.totalUsd.toFixed(6)} by.`
                : html`<b>$${cost.usdPerMillionOrders.toFixed(2)} per million orders</b>: every metered call since
                    ${time(cost.since)} at AWS list prices, over the ${cost.orders} orders that ended
                    (as <code>npm run bench</code> prices it; warm-up and every flow included). Largest:
                    ${cost.topItems.map((item) => `${item.unit} $${item.usd.toFixed(2)}`).join(', ')}.`
            }
          </p>`
    }`;
}

/**
 * Every interface the registry declares, with who owns it and how critical it is (the order a lead triages in), and
 * what each accepted in the window: a source that went quiet shows as 0, not as a missing row.
 */
function webhooksPanel(reading: OverviewReading): Html {
  const criticalityRank = ['revenue-critical', 'compliance-sensitive', 'operational', 'analytical'];
  const sources = [...loadSourceRegistry().values()].sort(
    (a, b) =>
      criticalityRank.indexOf(a.criticality) - criticalityRank.indexOf(b.criticality) ||
      a.name.localeCompare(b.name),
  );
  return html`<h2>Webhooks in, by source</h2>
    <table id="webhooks">
      <thead>
        <tr><th>Source</th><th>Owner</th><th>Criticality</th><th>Accepted</th></tr>
      </thead>
      <tbody>
        ${sources.map(
          (source) =>
            html`<tr data-source="${source.name}">
              <td>${source.name} <span class="muted">${source.system}</span></td>
              <td>${source.owner}</td>
              <td>${source.criticality}</td>
              <td>${reading.webhooksBySource[source.name] ?? 0}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <p class="${reading.webhooksRefused > 0 ? 'refused' : 'muted'}">${reading.webhooksRefused} refused (4xx)</p>`;
}

/** GET /overview?window=1h|24h|7d */
async function overviewView(c: C): Promise<Response> {
  // A window the Overview does not offer is a 400 through the app's error table (OverviewWindowError).
  const window = parseOverviewWindow(c.req.query('window'));
  const { context } = c.get('services');
  const reading = await readOverview(context, stageConfig(context.stage), window);
  return renderPage(c, {
    title: 'Overview',
    body: html`${windowSelector(reading)} ${alarmsPanel(reading)} ${tiles(reading)}
      <div class="columns">
        <div>${slosPanel(reading)}</div>
        <div>${reconciliationPanel(reading)} ${webhooksPanel(reading)}</div>
      </div>
      ${flowsPanel(reading)} ${queuesPanel(reading)} ${costPanel(reading)}`,
  });
}

/** GitHub's anchor of a heading, so that an alarm's `docs/observability.md#unknown-outcomes` lands on its section. */
function slugOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

/** GET /overview/runbooks/docs/…md: a runbook an alarm names, read-only, one section per heading. */
async function runbookView(c: C): Promise<Response> {
  const file = c.req.path.slice(`${base}/runbooks/`.length);
  if (!/^docs\/[\w-]+(?:\/[\w-]+)*\.md$/.test(file))
    throw new ConsoleNotFoundError(`"${file}" is not a runbook: only docs/…/*.md files are shown`);
  let text: string;
  try {
    text = await readFile(path.join(repositoryRoot, file), 'utf8');
  } catch (error) {
    throw new ConsoleNotFoundError(`no runbook ${file}`, { cause: error });
  }
  const sections: { heading?: string; level: number; lines: string[] }[] = [{ level: 0, lines: [] }];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? undefined : /^(#{1,4}) (.+)$/.exec(line);
    if (heading) sections.push({ heading: heading[2], level: heading[1]?.length ?? 1, lines: [] });
    else sections.at(-1)?.lines.push(line);
  }
  return renderPage(c, {
    title: file,
    body: html`<p class="crumbs"><a href="${base}">Overview</a> › runbook</p>
      ${sections.map(
        (section) => html`<section class="runbook" id="${section.heading ? slugOf(section.heading) : 'top'}">
          ${section.heading ? html`<h2>${section.heading}</h2>` : ''}
          ${section.lines.join('\n').trim() ? html`<pre class="cause">${section.lines.join('\n').trim()}</pre>` : ''}
        </section>`,
      )}`,
  });
}

/** The Overview page: the console's home. */
export const overviewPage: ConsolePage = {
  path: base,
  title: 'Overview',
  routes(app: Hono<ConsoleEnv>) {
    app.get(base, overviewView);
    app.get(`${base}/runbooks/*`, runbookView);
  },
};
