/**
 * Builds the console's Hono app from a page registry: the safety checks every request passes (Host header, session
 * and CSRF token, cross-site POSTs refused, a strict content security policy), the built assets, and each page's
 * routes; errors render inside the page shell, where the operator is looking.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { QueueNotFoundError } from '../../functions/replay/replay';
import { ConcordError } from '../../functions/shared/errors';
import { TimeWindowError } from '../../functions/shared/ops/time-window';
import type { ConsoleAssets } from './assets';
import {
  type ConsoleEnv,
  ConsoleInputError,
  ConsoleNotFoundError,
  type ConsolePage,
  type ConsoleServices,
} from './console-page';
import { renderPage } from './layout';
import { OverviewWindowError } from './overview/read-overview';

/** What the app is built from. */
export interface ConsoleAppOptions {
  pages: readonly ConsolePage[];
  services: ConsoleServices;
  assets: ConsoleAssets;
  /**
   * The Host header values the app answers to (`127.0.0.1:4580`, `localhost:4580`), read on each request because
   * the port is known only once the server listens. Any other Host is refused: no DNS rebinding.
   */
  allowedHosts(): readonly string[];
}

const sessionCookie = 'concord_console_session';

/** A state-changing request that did not prove it comes from the console's own pages. */
export class CrossSiteRequestError extends ConcordError {
  override readonly name = 'CrossSiteRequestError';
}

/**
 * The console's one mapping from error to HTTP status, first match wins: an operator's mistake is a 4xx shown on the
 * page with nothing changed; any error not listed is a 500, logged with its stack for whoever runs the console.
 */
export const consoleErrorStatuses: ReadonlyArray<
  readonly [errorClass: abstract new (...args: never[]) => Error, status: ContentfulStatusCode]
> = [
  [CrossSiteRequestError, 403],
  [ConsoleInputError, 400],
  [OverviewWindowError, 400],
  [TimeWindowError, 400],
  [ConsoleNotFoundError, 404],
  [QueueNotFoundError, 404],
];

/** The HTTP status the console answers an error with, from consoleErrorStatuses. */
export function consoleErrorStatus(error: Error): ContentfulStatusCode {
  return consoleErrorStatuses.find(([errorClass]) => error instanceof errorClass)?.[1] ?? 500;
}

/** Whether two strings are equal, in constant time. */
function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The form field or header that carries the CSRF token of a POST. */
async function submittedToken(c: Context<ConsoleEnv>): Promise<string | undefined> {
  const header = c.req.header('x-csrf-token');
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return undefined;
  // Hono keeps the parsed body: the page's handler reads it again without a second parse.
  const token = (await c.req.parseBody())._csrf;
  return typeof token === 'string' ? token : undefined;
}

export function createConsoleApp(options: ConsoleAppOptions): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  // Per process: a restart ends every session, and a token never outlives the console that issued it.
  const secret = randomBytes(32);
  const tokenOf = (session: string) => createHmac('sha256', secret).update(session).digest('base64url');
  const nav = options.pages.map(({ path, title }) => ({ path, title }));

  app.use('*', async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (!options.allowedHosts().includes(host))
      return c.text(
        `This console answers to ${options.allowedHosts().join(' or ')} only, not "${host}".`,
        421,
      );
    let session = getCookie(c, sessionCookie);
    if (!session || !/^[A-Za-z0-9_-]{43}$/.test(session)) {
      session = randomBytes(32).toString('base64url');
      setCookie(c, sessionCookie, session, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    // Set before the checks, so that a refusal page carries them too.
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    c.header('X-Content-Type-Options', 'nosniff');
    // Not no-referrer: under it the browser sends `Origin: null` with the console's own forms, which the check refuses.
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cache-Control', 'no-store');
    c.set('csrfToken', tokenOf(session));
    c.set('nav', nav);
    c.set('services', options.services);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const site = c.req.header('sec-fetch-site');
      const origin = c.req.header('origin');
      const token = await submittedToken(c);
      const refusal =
        site && site !== 'same-origin' && site !== 'none'
          ? `a ${site} request`
          : origin && !options.allowedHosts().some((allowed) => origin === `http://${allowed}`)
            ? `a request from ${origin}`
            : !token || !sameSecret(token, tokenOf(session))
              ? 'a request without this session’s CSRF token (reload the page and try again)'
              : undefined;
      if (refusal) throw new CrossSiteRequestError(`Refused ${refusal}: nothing was changed.`);
    }
    await next();
  });

  app.get('/assets/:name', (c) => {
    const asset = options.assets.get(c.req.path);
    if (!asset) return c.text('no such asset', 404);
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': asset.contentType,
      ETag: asset.etag,
    });
  });

  app.get('/', (c) => c.redirect(options.pages[0]?.path ?? '/', 302));
  for (const page of options.pages) page.routes(app);

  app.notFound((c) =>
    renderPage(c, { title: 'Not found', body: html`<p>Nothing at <code>${c.req.path}</code>.</p>` }, 404),
  );
  app.onError((error, c) => {
    const status = consoleErrorStatus(error);
    if (status === 500)
      console.error(`console: ${c.req.method} ${c.req.path}: ${error.stack ?? error.message}`);
    if (
      c.req.header('accept')?.includes('application/json') &&
      !c.req.header('accept')?.includes('text/html')
    )
      return c.json({ error: error.message, name: error.name }, status);
    return renderPage(c, { title: 'Error', error: explain(error), body: html`` }, status);
  });
  return app;
}

/** The message an operator can act on: a refused connection to a local stage says what to start. */
export function explain(error: Error): string {
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED')
    return `${error.message}: the stage's endpoint refused the connection (is \`npm start\` running?)`;
  return error.message;
}
