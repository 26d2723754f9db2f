import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { OpsContext } from '../../cli/ops-context';
import { createConsoleApp } from '../../console/server/app';
import { buildConsoleAssets, type ConsoleAssets } from '../../console/server/assets';
import { type ConsoleEnv, ConsoleInputError, type ConsolePage } from '../../console/server/console-page';
import { csrfField, renderPage } from '../../console/server/layout';
import { ReplayRuns } from '../../console/server/replay-runs';

const host = '127.0.0.1:4580';

/** A page that shows what it is given and changes a counter, as a real page would change the stage. */
function notesPage(changes: string[]): ConsolePage {
  return {
    path: '/notes',
    title: 'Notes',
    routes(app: Hono<ConsoleEnv>) {
      app.get('/notes', (c) =>
        renderPage(c, {
          title: 'Notes',
          body: html`<p id="note">${c.req.query('note') ?? ''}</p>
            <form method="post" action="/notes">${csrfField(c)}</form>`,
        }),
      );
      app.post('/notes', async (c) => {
        const { note } = await c.req.parseBody();
        if (typeof note !== 'string' || note === '') throw new ConsoleInputError('A note needs text.');
        changes.push(note);
        return c.redirect('/notes', 303);
      });
    },
  };
}

describe('createConsoleApp', () => {
  let assets: ConsoleAssets;
  let app: Hono<ConsoleEnv>;
  let changes: string[];

  beforeAll(async () => {
    assets = await buildConsoleAssets();
  });

  beforeEach(() => {
    changes = [];
    app = createConsoleApp({
      pages: [notesPage(changes), { path: '/other', title: 'Other', routes: () => undefined }],
      services: {
        context: { stage: 'test', operator: async () => 'jane' } as unknown as OpsContext,
        runs: new ReplayRuns(),
      },
      assets,
      allowedHosts: () => [host, 'localhost:4580'],
    });
  });

  /** A GET as the browser sends it; returns the response, its HTML, the session cookie and the page's token. */
  async function open(path: string) {
    const response = await app.request(path, { headers: { host } });
    const text = await response.text();
    return {
      response,
      text,
      cookie: (response.headers.get('set-cookie') ?? '').split(';')[0] as string,
      token: /name="_csrf" value="([^"]+)"/.exec(text)?.[1],
    };
  }

  function post(body: Record<string, string>, headers: Record<string, string>) {
    return app.request('/notes', {
      method: 'POST',
      headers: { host, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body).toString(),
    });
  }

  it('redirects the root to the first page and shows every page in the navigation, the current one marked', async () => {
    // Act
    const root = await app.request('/', { headers: { host } });
    const { text } = await open('/notes');
    // Assess
    expect([root.status, root.headers.get('location')]).toEqual([302, '/notes']);
    expect(text).toMatch(/<a href="\/notes" class="active"\s*>Notes<\/a/);
    expect(text).toMatch(/<a href="\/other" class=""\s*>Other<\/a/);
    expect(text).toContain('operator <b data-operator>jane</b>');
  });

  it('escapes what a page renders from a request', async () => {
    // Act
    const { text } = await open(`/notes?note=${encodeURIComponent('<script>alert(1)</script>')}`);
    // Assess
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).not.toContain('<script>alert(1)');
  });

  it('refuses a request whose Host header is not the console’s (DNS rebinding)', async () => {
    // Act
    const response = await app.request('/notes', { headers: { host: 'evil.example:4580' } });
    // Assess
    expect(response.status).toBe(421);
  });

  it('accepts a POST with the session’s token and refuses one without it or with another session’s', async () => {
    // Prepare
    const first = await open('/notes');
    const second = await open('/notes');
    // Act
    const withToken = await post({ _csrf: first.token as string, note: 'a' }, { cookie: first.cookie });
    const without = await post({ note: 'b' }, { cookie: first.cookie });
    const otherSession = await post({ _csrf: second.token as string, note: 'c' }, { cookie: first.cookie });
    // Assess
    expect(first.token).not.toBe(second.token);
    expect(withToken.status).toBe(303);
    expect(without.status).toBe(403);
    expect(await without.text()).toContain('without this session’s CSRF token');
    expect(otherSession.status).toBe(403);
    expect(changes).toEqual(['a']);
  });

  it('refuses a cross-site POST even with a valid token', async () => {
    // Prepare
    const { cookie, token } = await open('/notes');
    // Act
    const crossSite = await post(
      { _csrf: token as string, note: 'x' },
      { cookie, 'sec-fetch-site': 'cross-site' },
    );
    const otherOrigin = await post(
      { _csrf: token as string, note: 'y' },
      { cookie, origin: 'http://evil.example' },
    );
    const sameOrigin = await post(
      { _csrf: token as string, note: 'z' },
      { cookie, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
    );
    // Assess
    expect([crossSite.status, otherOrigin.status, sameOrigin.status]).toEqual([403, 403, 303]);
    expect(changes).toEqual(['z']);
  });

  it('shows bad input as an error in the page shell with status 400, changing nothing', async () => {
    // Prepare
    const { cookie, token } = await open('/notes');
    // Act
    const response = await post({ _csrf: token as string, note: '' }, { cookie });
    // Assess
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/<div class="error" role="alert">\s*<p>A note needs text\.<\/p>/);
    expect(changes).toEqual([]);
  });

  it('serves the script and style sheet built from console/ui, with a strict content security policy', async () => {
    // Act
    const script = await app.request('/assets/console.js', { headers: { host } });
    const style = await app.request('/assets/console.css', { headers: { host } });
    // Assess
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('progressUrl');
    expect(await style.text()).toContain('.progress');
    expect(script.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
