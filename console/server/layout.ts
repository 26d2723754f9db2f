/** The console's page shell: head, navigation, operator and stage, notices and errors, and form helpers. */
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ConsoleEnv } from './console-page';

/** A fragment of escaped HTML, as `html` templates produce it. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What one rendered page shows around its body. */
export interface PageShell {
  /** The page's own title (the navigation entry is found by `c.req.path`). */
  title: string;
  body: Html;
  /** A one-line success message (e.g. after a redirect). */
  notice?: string;
  /** Why the submitted action was refused or failed: nothing was changed. */
  error?: string;
  /** Details under the error, e.g. the schema violations of an edit. */
  errorDetails?: string[];
}

/** The hidden field that carries the session's CSRF token in a state-changing form. */
export function csrfField(c: Context<ConsoleEnv>): Html {
  return html`<input type="hidden" name="_csrf" value="${c.get('csrfToken')}" />`;
}

/** The operator the credentials name, or why it is unknown (shown, never guessed). */
async function operatorLabel(c: Context<ConsoleEnv>): Promise<string> {
  try {
    return await c.get('services').context.operator();
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  }
}

/** Renders a whole page: every page goes through here so that the shell, the assets and the nav stay one. */
export async function renderPage(c: Context<ConsoleEnv>, shell: PageShell, status = 200): Promise<Response> {
  const { context } = c.get('services');
  const current = c.req.path;
  const nav = c.get('nav').map(
    (page) =>
      html`<a href="${page.path}" class="${current === page.path || current.startsWith(`${page.path}/`) ? 'active' : ''}"
        >${page.title}</a
      >`,
  );
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${shell.title} · Concord ${context.stage}</title>
        <link rel="stylesheet" href="/assets/console.css" />
        <script src="/assets/console.js" defer></script>
      </head>
      <body>
        <header class="top">
          <span class="brand">Concord console</span>
          <nav>${nav}</nav>
          <span class="who">stage <b data-stage>${context.stage}</b> · operator <b data-operator>${await operatorLabel(c)}</b></span>
        </header>
        <main>
          <h1>${shell.title}</h1>
          ${shell.notice ? html`<p class="notice" role="status">${shell.notice}</p>` : ''}
          ${
            shell.error
              ? html`<div class="error" role="alert">
                  <p>${shell.error}</p>
                  ${shell.errorDetails?.length ? html`<ul>${shell.errorDetails.map((line) => html`<li><code>${line}</code></li>`)}</ul>` : ''}
                </div>`
              : ''
          }
          ${shell.body}
        </main>
      </body>
    </html>`;
  return c.html(await page, status as 200);
}

/** "3m 20s ago"-style age of a number of seconds. */
export function formatAgeSec(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  // A message stamped by a faster local clock (npm start --clock-factor) is not older than now.
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

/** A table of counts (`{ type: n }`), largest first. */
export function countsTable(heading: string, counts: Record<string, number>): Html {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return html`<table class="counts">
    <thead><tr><th>${heading}</th><th class="num">Count</th></tr></thead>
    <tbody>
      ${rows.length ? rows.map(([name, count]) => html`<tr><td>${name}</td><td class="num">${count}</td></tr>`) : html`<tr><td colspan="2">-</td></tr>`}
    </tbody>
  </table>`;
}
