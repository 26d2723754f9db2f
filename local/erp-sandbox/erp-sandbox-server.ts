/**
 * The ERP sandbox's HTTP API (docs/erp-sandbox.openapi.yaml): business operations with honoured Idempotency-Key,
 * problem+json refusals, an admin API (faults, credit-hold release, audit) and an outbox of business events.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeGracefully } from '../edge/graceful-close';
import { EmployeeRegister, employeeRoutes } from './employee-register';
import { BadRequestError, NotFoundError, RefusalError } from './erp-errors';
import { ErpLedger } from './erp-ledger';
import { HibobPeopleStandIn, hibobApiPrefix } from './hibob-people-stand-in';
import { ItemMaster, requiredChangeWindow } from './item-master';
import { PlatformOutbox } from './platform-outbox';
import { Purchasing, purchasingRoutes } from './purchasing';
import { type SandboxCredentials, sandboxCredentials } from './sandbox-credentials';
import { sameSecret } from './sandbox-http';
import { pathParameter, type SandboxRoute } from './sandbox-routes';
import { ShopifyAdminStandIn, shopifyAdminPrefix } from './shopify-admin-stand-in';
import { SpendeskPurchaseOrderStandIn, spendeskApiPrefix } from './spendesk-purchase-order-stand-in';
import { VendorMaster, vendorRoutes } from './vendor-master';

const faultKinds = [
  '5xx',
  '429',
  'timeout',
  'latency',
  'refuse',
  '5xx-after-commit',
  'timeout-after-commit',
  'reset-after-commit',
] as const;
/** What a fault does, and when: before the ERP acts or after it committed. */
export type FaultKind = (typeof faultKinds)[number];

/** An injected fault, as set through POST /_admin/faults. */
export interface Fault {
  /** Path pattern: `*` matches any run of characters (e.g. `/sales-orders*`). */
  route: string;
  /**
   * Before the ERP acts: `5xx`, `429`, `timeout` (hold, then drop the connection), `latency`, `refuse` (a business
   * refusal, 422 `injected_refusal`, as a real ERP's rule would answer). After it committed the
   * change, the answer is lost: `5xx-after-commit` (a gateway's HTML 504), `timeout-after-commit` (the answer held
   * past the caller's deadline, then dropped), `reset-after-commit` (the connection reset).
   */
  kind: FaultKind;
  rate: number;
  latencyMs?: number;
  retryAfterSec?: number;
  /** Fire at most this many times, then stop (a scripted outage of known length); it stays listed with its count. */
  times?: number;
  /** How many requests the fault has hit so far: lets a test or an operator see it took effect. */
  fired: number;
}

function problem(
  response: ServerResponse,
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({
    type: `https://concord.dev/problems/erp/${String(extra.code ?? title)
      .toLowerCase()
      .replace(/\s+/g, '-')}`,
    title,
    status,
    detail,
    ...extra,
  });
  response.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

function faultMatches(fault: Fault, path: string): boolean {
  const regex = new RegExp(
    `^${fault.route
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(path);
}

function validateFault(body: Record<string, unknown>): Fault {
  const kinds: readonly string[] = faultKinds;
  if (typeof body.route !== 'string' || body.route === '')
    throw new BadRequestError('route must be a path pattern, e.g. /sales-orders*');
  if (!kinds.includes(String(body.kind)))
    throw new BadRequestError(`kind must be one of ${kinds.join(', ')}`);
  const rate = Number(body.rate ?? 1);
  if (!(rate >= 0 && rate <= 1)) throw new BadRequestError('rate must be between 0 and 1');
  if (body.latencyMs !== undefined && !(Number(body.latencyMs) >= 0))
    throw new BadRequestError('latencyMs must be a non-negative number');
  if (
    body.retryAfterSec !== undefined &&
    !(Number.isInteger(body.retryAfterSec) && Number(body.retryAfterSec) >= 0)
  )
    throw new BadRequestError('retryAfterSec must be a non-negative integer');
  if (body.times !== undefined && !(Number.isInteger(body.times) && Number(body.times) > 0))
    throw new BadRequestError('times must be a positive integer');
  return {
    route: body.route,
    kind: body.kind as Fault['kind'],
    rate,
    latencyMs: body.latencyMs === undefined ? undefined : Number(body.latencyMs),
    retryAfterSec: body.retryAfterSec === undefined ? undefined : Number(body.retryAfterSec),
    times: body.times === undefined ? undefined : Number(body.times),
    fired: 0,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Routes anyone may call: the liveness probe, and the platforms' stand-in that the write-back writes to. */
const openRoutes = /^\/(health|platform-outbox)$/;

/** Why a request may not proceed, as a problem answer; undefined when it may. */
function refusalOf(
  request: IncomingMessage,
  pathname: string,
  credentials: SandboxCredentials,
): { status: number; code: string; detail: string } | undefined {
  if (openRoutes.test(pathname)) return undefined;
  const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
  if (pathname.startsWith('/_admin')) {
    // The admin API is for scripts and people at a terminal: a browser page must not reach it, not even with a
    // simple (text/plain, no preflight) cross-origin POST.
    if (request.headers.origin !== undefined)
      return {
        status: 403,
        code: 'browser_request_refused',
        detail: 'The admin API takes no browser requests',
      };
    if (
      request.method !== 'GET' &&
      request.method !== 'DELETE' &&
      !/^application\/json\b/i.test(request.headers['content-type'] ?? '')
    )
      return {
        status: 415,
        code: 'unsupported_media_type',
        detail: 'The admin API takes application/json only',
      };
    if (!bearer || !sameSecret(bearer, credentials.adminToken))
      return {
        status: 401,
        code: 'unauthorized',
        detail: 'The admin API needs the admin token (Authorization: Bearer)',
      };
    return undefined;
  }
  if (!bearer || !credentials.apiKeys.some((key) => sameSecret(bearer, key)))
    return { status: 401, code: 'unauthorized', detail: 'The ERP needs an API key (Authorization: Bearer)' };
  return undefined;
}

/** A running sandbox. */
export interface ErpSandbox {
  url: string;
  /** What its clients present: kept under its data directory (sandbox-credentials.ts). */
  credentials: SandboxCredentials;
  ledger: ErpLedger;
  faults: Fault[];
  /** The ERP operations it serves (method and path pattern; the platform stand-ins route on their own): the OpenAPI check reads them. */
  routes: readonly Pick<SandboxRoute, 'method' | 'pattern'>[];
  close(): Promise<void>;
}

/** Starts the sandbox on 127.0.0.1 (port 0 picks a free one), with its books under `dataDir`. */
export async function startErpSandbox(options: { dataDir: string; port: number }): Promise<ErpSandbox> {
  const ledger = new ErpLedger(options.dataDir);
  const credentials = sandboxCredentials(options.dataDir);
  const platformOutbox = new PlatformOutbox(ledger.db);
  const itemMaster = new ItemMaster(ledger);
  const employeeRegister = new EmployeeRegister(ledger);
  const hibobStandIn = new HibobPeopleStandIn(ledger.db, credentials.platforms.hibob);
  const vendorMaster = new VendorMaster(ledger);
  const shopifyStandIn = new ShopifyAdminStandIn(ledger.db, credentials.platforms.shopify.accessToken);
  // After the employee register and the vendor master: purchasing reads their cost centres and vendors.
  const purchasing = new Purchasing(ledger, vendorMaster);
  const spendeskStandIn = new SpendeskPurchaseOrderStandIn(
    ledger.db,
    credentials.platforms.spendesk.apiToken,
  );
  const faults: Fault[] = [];
  // Changes being processed, by Idempotency-Key: until they finish, the ERP cannot say a key was never committed.
  const inFlight = new Map<string, number>();
  const routes: SandboxRoute[] = [
    {
      method: 'POST',
      pattern: /^\/credit-checks$/,
      mutation: false,
      handler: (_m, body) => ledger.checkCredit(body as never),
    },
    {
      method: 'POST',
      pattern: /^\/quotes$/,
      mutation: false,
      handler: (_m, body) => ledger.quote(body as never),
    },
    {
      method: 'POST',
      pattern: /^\/reservations$/,
      mutation: true,
      handler: (_m, body, _q, actor) => ledger.reserve(body as never, actor),
    },
    {
      method: 'POST',
      pattern: /^\/reservations\/([^/]+)\/release$/,
      mutation: true,
      handler: (m, _b, _q, actor) => ledger.release(pathParameter(m), actor),
    },
    {
      method: 'POST',
      pattern: /^\/sales-orders$/,
      mutation: true,
      handler: (_m, body, _q, actor) => ledger.createOrder(body as never, actor),
    },
    {
      method: 'GET',
      pattern: /^\/sales-orders$/,
      mutation: false,
      handler: (_m, _b, query) => ledger.orderByExternalRef(query.get('externalRef') ?? ''),
    },
    {
      method: 'POST',
      pattern: /^\/sales-orders\/([^/]+)\/amend$/,
      mutation: true,
      handler: (m, body, _q, actor) => ledger.amendOrder(pathParameter(m), body as never, actor),
    },
    {
      method: 'POST',
      pattern: /^\/sales-orders\/([^/]+)\/cancel$/,
      mutation: true,
      handler: (m, body, _q, actor) => ledger.cancelOrder(pathParameter(m), body, actor),
    },
    {
      method: 'POST',
      pattern: /^\/sales-orders\/([^/]+)\/release-credit-hold$/,
      mutation: true,
      handler: (m, _b, _q, actor) => ledger.releaseCreditHold(pathParameter(m), actor),
    },
    {
      method: 'POST',
      pattern: /^\/invoices$/,
      mutation: true,
      handler: (_m, body, _q, actor) => ledger.postInvoice(String(body.orderNumber ?? ''), actor),
    },
    {
      method: 'POST',
      pattern: /^\/payments$/,
      mutation: true,
      handler: (_m, body, _q, actor) => ledger.applyPayment(body as never, actor),
    },
    {
      method: 'POST',
      pattern: /^\/refunds$/,
      mutation: true,
      handler: (_m, body, _q, actor) => ledger.refund(body as never, actor),
    },
    {
      method: 'POST',
      pattern: /^\/customers$/,
      mutation: true,
      handler: (_m, body, _q, actor) => ledger.upsertCustomer(body as never, actor),
    },
    {
      method: 'GET',
      pattern: /^\/customers$/,
      mutation: false,
      handler: (_m, _b, query) =>
        ledger.findCustomer({
          email: query.get('email') ?? undefined,
          crmId: query.get('crmId') ?? undefined,
        }),
    },
    // The employee register: hires, changes, dated terminations and cost centres (employee-register.ts).
    ...employeeRoutes(employeeRegister, ledger),
    // What the HiBob stand-in answers for an employee (a test's HR admin editing Bob).
    {
      method: 'PUT',
      pattern: /^\/_admin\/hibob\/people\/([^/]+)$/,
      mutation: false,
      handler: (m, body) => {
        try {
          return hibobStandIn.putPerson(pathParameter(m), body);
        } catch (error) {
          throw new RefusalError('invalid_hibob_person', (error as Error).message, 422, { cause: error });
        }
      },
    },
    // The vendor master: suppliers from the procurement platform, finance data and blocking by AP (vendor-master.ts).
    ...vendorRoutes(vendorMaster, ledger),
    // Purchasing: budgets, purchase orders, goods receipts, supplier invoices, the three-way match (purchasing.ts).
    ...purchasingRoutes(purchasing, ledger),
    {
      method: 'GET',
      pattern: /^\/documents$/,
      mutation: false,
      handler: (_m, _b, query) => ({
        documents: ledger.documents({
          type: query.get('type') ?? undefined,
          from: query.get('from') ?? undefined,
          to: query.get('to') ?? undefined,
          externalRef: query.get('externalRef') ?? undefined,
        }),
      }),
    },
    {
      method: 'GET',
      pattern: /^\/outbox$/,
      mutation: false,
      handler: (_m, _b, query) => ({ events: ledger.outbox(Number(query.get('after') ?? 0)) }),
    },
    // The item master's current levels and prices, with their versions: what the item write-back writes.
    {
      method: 'GET',
      pattern: /^\/items\/([^/]+)\/stock-levels\/([^/]+)$/,
      mutation: false,
      handler: (m) => itemMaster.stockLevel(pathParameter(m), pathParameter(m, 2)),
    },
    {
      method: 'GET',
      pattern: /^\/items\/([^/]+)\/prices\/([^/]+)$/,
      mutation: false,
      handler: (m) => itemMaster.price(pathParameter(m), pathParameter(m, 2)),
    },
    // The levels and prices changed in a window: the ERP's side of an item reconciliation (docs/item-sync.md).
    {
      method: 'GET',
      pattern: /^\/stock-levels$/,
      mutation: false,
      handler: (_m, _b, query) => ({ levels: itemMaster.stockLevelsChanged(requiredChangeWindow(query)) }),
    },
    {
      method: 'GET',
      pattern: /^\/item-prices$/,
      mutation: false,
      handler: (_m, _b, query) => ({ prices: itemMaster.pricesChanged(requiredChangeWindow(query)) }),
    },
    // What Concord wrote back to the SaaS platforms.
    {
      method: 'POST',
      pattern: /^\/platform-outbox$/,
      mutation: true,
      handler: (_m, body) => platformOutbox.record(body),
    },
    {
      method: 'GET',
      pattern: /^\/platform-outbox$/,
      mutation: false,
      handler: (_m, _b, query) => ({
        updates: platformOutbox.list({
          platform: query.get('platform') ?? undefined,
          externalRef: query.get('externalRef') ?? undefined,
          after: Number(query.get('after') ?? 0),
        }),
      }),
    },
    // What became of a change whose answer was lost: committed (with its answer), still in flight, or 404.
    {
      method: 'GET',
      pattern: /^\/idempotency-keys\/([^/]+)$/,
      mutation: false,
      handler: (m) => {
        const key = pathParameter(m);
        const committed = ledger.idempotency.find(key);
        if (committed)
          return {
            state: 'committed',
            key,
            status: committed.status,
            body: JSON.parse(committed.body),
            committedAt: committed.committedAt,
          };
        if (inFlight.has(key)) return { state: 'in-flight', key };
        throw new NotFoundError(
          `No change was committed under Idempotency-Key ${key}, and none is in progress`,
        );
      },
    },
    { method: 'GET', pattern: /^\/health$/, mutation: false, handler: () => ({ status: 'ok' }) },
    // Admin: what a finance user or a tester does by hand.
    {
      method: 'POST',
      pattern: /^\/_admin\/credit-holds\/([^/]+)\/release$/,
      mutation: false,
      handler: (m) => ledger.transaction(() => ledger.releaseCreditHold(pathParameter(m), 'finance')),
    },
    {
      method: 'PUT',
      pattern: /^\/_admin\/customers\/([^/]+)\/credit-limit$/,
      mutation: false,
      handler: (m, body) =>
        ledger.transaction(() => ledger.setCreditLimit(pathParameter(m), body.creditLimit, 'finance')),
    },
    {
      method: 'PUT',
      pattern: /^\/_admin\/sales-orders\/([^/]+)\/total$/,
      mutation: false,
      handler: (m, body) =>
        ledger.transaction(() => ledger.adjustOrderTotal(pathParameter(m), body.total, 'finance')),
    },
    {
      method: 'POST',
      pattern: /^\/_admin\/items\/([^/]+)\/receipts$/,
      mutation: false,
      handler: (m, body) =>
        ledger.transaction(() => ledger.receiveStock(pathParameter(m), body.quantity, 'warehouse')),
    },
    // The item master: items and prices, and stock movements of many lines, each in one transaction.
    {
      method: 'POST',
      pattern: /^\/_admin\/items$/,
      mutation: false,
      handler: (_m, body, _q, actor) => ledger.transaction(() => itemMaster.upsertItems(body, actor)),
    },
    {
      method: 'PUT',
      pattern: /^\/_admin\/items\/([^/]+)\/prices\/([^/]+)$/,
      mutation: false,
      handler: (m, body, _q, actor) =>
        ledger.transaction(() => itemMaster.setPrice(pathParameter(m), pathParameter(m, 2), body, actor)),
    },
    {
      method: 'POST',
      pattern: /^\/_admin\/stock-movements$/,
      mutation: false,
      handler: (_m, body, _q, actor) => ledger.transaction(() => itemMaster.moveStock(body, actor)),
    },
    {
      method: 'GET',
      pattern: /^\/_admin\/stock-levels$/,
      mutation: false,
      handler: (_m, _b, query) => ({ levels: itemMaster.stockLevels(query.get('sku') ?? undefined) }),
    },
    // The Shopify stand-in's own counters and levels, and its bucket (a test sets another plan's).
    {
      method: 'GET',
      pattern: /^\/_admin\/shopify-stand-in$/,
      mutation: false,
      handler: () => ({ ...shopifyStandIn.report(), levels: shopifyStandIn.levelsBySku() }),
    },
    {
      method: 'PUT',
      pattern: /^\/_admin\/shopify-stand-in\/rate-limit$/,
      mutation: false,
      handler: (_m, body) => {
        try {
          return shopifyStandIn.configure(body);
        } catch (error) {
          throw new RefusalError('invalid_rate_limit', (error as Error).message, 422, { cause: error });
        }
      },
    },
    {
      method: 'GET',
      pattern: /^\/_admin\/audit$/,
      mutation: false,
      handler: (_m, _b, query) => ({ entries: ledger.auditTrail(Number(query.get('limit') ?? 100)) }),
    },
    { method: 'GET', pattern: /^\/_admin\/faults$/, mutation: false, handler: () => ({ faults }) },
    {
      method: 'POST',
      pattern: /^\/_admin\/faults$/,
      mutation: false,
      handler: (_m, body) => {
        faults.push(validateFault(body));
        return { faults };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/_admin\/faults$/,
      mutation: false,
      handler: () => {
        faults.splice(0);
        return { faults };
      },
    },
  ];

  /** The first fault that fires for this request, counted; undefined when none does. */
  function firingFault(path: string): Fault | undefined {
    if (path.startsWith('/_admin')) return undefined;
    for (const fault of faults) {
      const exhausted = fault.times !== undefined && fault.fired >= fault.times;
      if (exhausted || !faultMatches(fault, path) || Math.random() >= fault.rate) continue;
      fault.fired += 1;
      return fault;
    }
    return undefined;
  }

  async function serve(
    request: IncomingMessage,
    response: ServerResponse,
    route: SandboxRoute,
    url: URL,
    rawBody: Buffer,
    key: string | undefined,
  ): Promise<void> {
    const fault = firingFault(url.pathname);
    if (fault?.kind === 'latency') await sleep(fault.latencyMs ?? 1000);
    else if (fault?.kind === '429')
      return problem(
        response,
        429,
        'Too Many Requests',
        'The ERP is throttling',
        {},
        { 'retry-after': String(fault.retryAfterSec ?? 1) },
      );
    else if (fault?.kind === '5xx')
      return problem(response, 503, 'Service Unavailable', 'The ERP is unavailable');
    else if (fault?.kind === 'refuse')
      return problem(response, 422, 'Refused', 'The ERP refused the request (injected)', {
        code: 'injected_refusal',
      });
    else if (fault?.kind === 'timeout') {
      // A timeout: the ERP holds the connection and never answers in time.
      await sleep(fault.latencyMs ?? 30_000);
      response.destroy();
      return;
    }

    let body: Record<string, unknown> = {};
    try {
      body = rawBody.length > 0 ? (JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return problem(response, 400, 'Bad Request', 'The body is not valid JSON');
    }
    const actor = String(request.headers['x-actor'] ?? 'concord');
    const match = route.pattern.exec(url.pathname) as RegExpExecArray;
    let answer: { status: number; body: string; replayed: boolean };
    try {
      if (route.mutation && key === undefined)
        throw new BadRequestError('Idempotency-Key header is required on every change');
      // An empty key would make every keyless client's changes one change: the second would replay the first.
      if (route.mutation && key?.trim() === '')
        throw new BadRequestError('Idempotency-Key header must not be empty');
      answer =
        route.mutation && key !== undefined
          ? commitOnce(route, match, body, url, actor, key, request.method ?? 'POST')
          : {
              status: 200,
              body: JSON.stringify(route.handler(match, body, url.searchParams, actor)),
              replayed: false,
            };
    } catch (error) {
      if (error instanceof RefusalError)
        return problem(response, error.status, 'Refused', error.message, { code: error.code });
      if (error instanceof NotFoundError)
        return problem(response, 404, 'Not Found', error.message, { code: 'not_found' });
      if (error instanceof BadRequestError)
        return problem(response, 400, 'Bad Request', error.message, { code: 'bad_request' });
      console.error('[erp-sandbox] internal error', error);
      return problem(response, 500, 'Internal Server Error', 'The ERP sandbox failed; see its log');
    }

    // The change is committed; these faults lose its answer on the way back.
    if (fault?.kind === '5xx-after-commit') {
      const page =
        '<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>';
      response.writeHead(504, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) });
      response.end(page);
      return;
    }
    if (fault?.kind === 'reset-after-commit') {
      response.destroy();
      return;
    }
    if (fault?.kind === 'timeout-after-commit') {
      await sleep(fault.latencyMs ?? 30_000);
      response.destroy();
      return;
    }
    response.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(answer.body),
      ...(answer.replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
    response.end(answer.body);
  }

  /** Runs a change once per Idempotency-Key: a repeat with the same request gets the first answer. */
  function commitOnce(
    route: SandboxRoute,
    match: RegExpExecArray,
    body: Record<string, unknown>,
    url: URL,
    actor: string,
    key: string,
    method: string,
  ): { status: number; body: string; replayed: boolean } {
    const requestHash = createHash('sha256')
      .update(`${method} ${url.pathname} ${JSON.stringify(body)}`)
      .digest('hex');
    return ledger.transaction(() => {
      const seen = ledger.idempotency.find(key);
      if (seen) {
        if (seen.requestHash !== requestHash)
          throw new RefusalError(
            'idempotency_key_reused',
            `Idempotency-Key ${key} was used for another request`,
            422,
          );
        return { status: seen.status, body: seen.body, replayed: true };
      }
      // Another request with this key is still being processed (held, slow): it may yet commit.
      if ((inFlight.get(key) ?? 0) > 1)
        throw new RefusalError(
          'request_in_progress',
          `A change with Idempotency-Key ${key} is in progress`,
          409,
        );
      const result = JSON.stringify(route.handler(match, body, url.searchParams, actor));
      ledger.idempotency.record(key, requestHash, 201, result);
      return { status: 201, body: result, replayed: false };
    });
  }

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://erp');
    // The shop's Admin API answers as Shopify does (its own auth header, errors and rate limit), not as the ERP.
    if (url.pathname.startsWith(`${shopifyAdminPrefix}/`))
      return shopifyStandIn.handle(request, response, url, Buffer.concat(chunks));
    // Bob's People API likewise answers as Bob does (Basic auth of a service user).
    if (url.pathname.startsWith(`${hibobApiPrefix}/`))
      return hibobStandIn.handle(request, response, url, Buffer.concat(chunks));
    // The procurement platform's purchase-order API, where the PO number and match status are written back.
    if (url.pathname.startsWith(`${spendeskApiPrefix}/`))
      return spendeskStandIn.handle(request, response, url, Buffer.concat(chunks));
    const route = routes.find(
      (candidate) => candidate.method === request.method && candidate.pattern.test(url.pathname),
    );
    if (!route)
      return problem(response, 404, 'Not Found', `${request.method} ${url.pathname} is not an ERP operation`);
    const refusal = refusalOf(request, url.pathname, credentials);
    if (refusal)
      return problem(
        response,
        refusal.status,
        refusal.status === 401
          ? 'Unauthorized'
          : refusal.status === 403
            ? 'Forbidden'
            : 'Unsupported Media Type',
        refusal.detail,
        { code: refusal.code },
        refusal.status === 401 ? { 'www-authenticate': 'Bearer realm="erp"' } : {},
      );
    const header = request.headers['idempotency-key'];
    const key = route.mutation && typeof header === 'string' ? header : undefined;
    // Counted until the request's work is over, not until the caller hangs up: a caller that gave up does not
    // stop a change that is still on its way to the books.
    if (key !== undefined) inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    try {
      await serve(request, response, route, url, Buffer.concat(chunks), key);
    } finally {
      if (key !== undefined) {
        const left = (inFlight.get(key) ?? 1) - 1;
        if (left > 0) inFlight.set(key, left);
        else inFlight.delete(key);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${options.port} is already in use: pass --erp-port`)
          : error,
      ),
    );
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    credentials,
    ledger,
    faults,
    routes: routes.map(({ method, pattern }) => ({ method, pattern })),
    async close() {
      await closeGracefully(server as Server, 2000);
      ledger.close();
    },
  };
}
