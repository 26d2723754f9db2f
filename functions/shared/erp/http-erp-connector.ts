/**
 * The ERP port over HTTP (the ERP sandbox's API, docs/erp-sandbox.openapi.yaml): the production connector. It
 * authenticates with an API key, sends idempotency keys, keeps to a deadline, and maps each answer to done, refused or
 * unknown (ErpOutcomeUnknownError) by what the ERP may have done.
 */

import { ConfigurationError, DownstreamUnavailableError } from '../errors';
import type { ErpCredentials } from './erp-credentials';
import {
  ErpNotFoundError,
  ErpOutcomeUnknownError,
  ErpRefusedError,
  ErpThrottledError,
  ErpUnavailableError,
} from './erp-errors';
import type {
  ChangeLookup,
  CreditDecision,
  CustomerAccount,
  ErpDocument,
  ErpPort,
  Invoice,
  PaymentDocument,
  Quote,
  Reservation,
  SalesOrder,
} from './erp-port';

/** Where the ERP is, who Concord is to it, and how long to wait for it. */
export interface HttpErpConnectorOptions {
  baseUrl: string;
  credentials: ErpCredentials;
  timeoutMs?: number;
}

/** An ErpPort over the ERP's HTTP API. */
export class HttpErpConnector implements ErpPort {
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpErpConnectorOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /**
   * Sends with the current API key; a 401 is answered before the ERP acts, so the request is sent once more with the
   * key read again (it may have been rotated since). A second 401 means the credentials are wrong: unavailable, not
   * a refusal of the business request, so the workflow retries and defers until someone fixes them.
   */
  private async send(
    method: string,
    path: string,
    body: string | undefined,
    idempotencyKey: string | undefined,
  ): Promise<Response> {
    for (const refresh of [false, true]) {
      const response = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await this.options.credentials.apiKey({ refresh })}`,
          'content-type': 'application/json',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (response.status !== 401) return response;
      await response.body?.cancel();
    }
    throw new ErpUnavailableError(
      `ERP ${method} ${path}: the ERP refused Concord's API key (401), read twice`,
    );
  }

  /**
   * One HTTP exchange, its failure classified by what the ERP may have done. A change (a request with an idempotency
   * key) whose answer is lost after sending — timeout, reset, 5xx, an unreadable body — is an ErpOutcomeUnknownError:
   * the ERP may have committed it. A request that never left, and any read, fails as ErpUnavailableError.
   */
  protected async call<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    const change = idempotencyKey !== undefined;
    const what = `ERP ${method} ${path}`;
    const lost = (reason: string, cause?: unknown): Error =>
      change
        ? new ErpOutcomeUnknownError(`${what}: ${reason}; the ERP may have committed it`, { cause })
        : new ErpUnavailableError(`${what}: ${reason}`, { cause });
    let response: Response;
    let text: string;
    try {
      response = await this.send(
        method,
        path,
        body === undefined ? undefined : JSON.stringify(body),
        idempotencyKey,
      );
      text = await response.text();
    } catch (error) {
      // Failures before anything was sent: the credentials could not be read, or were refused twice.
      if (
        error instanceof ErpUnavailableError ||
        error instanceof DownstreamUnavailableError ||
        error instanceof ConfigurationError
      )
        throw error;
      if (neverSent(error))
        throw new ErpUnavailableError(`${what} did not connect: ${describe(error)}`, { cause: error });
      throw lost(`no answer (${describe(error)})`, error);
    }
    const payload = parseJsonObject(text);
    if (response.ok) {
      if (payload === undefined) throw lost(`answered ${response.status} with a body that is not JSON`);
      return payload as T;
    }
    // A gateway's HTML error page says nothing about the ERP: only the status and the start of the body are kept.
    const detail = String(payload?.detail ?? payload?.title ?? (text.slice(0, 120) || response.statusText));
    const code = typeof payload?.code === 'string' ? payload.code : undefined;
    if (response.status === 429)
      throw new ErpThrottledError(
        `ERP throttled ${method} ${path}: ${detail} (Retry-After ${retryAfterSeconds(response.headers.get('retry-after'))} s)`,
        retryAfterSeconds(response.headers.get('retry-after')),
      );
    if (response.status >= 500) throw lost(`failed with ${response.status}: ${detail}`);
    if (code === 'request_in_progress') throw lost(`the same change is still in progress: ${detail}`);
    if (payload === undefined) throw lost(`answered ${response.status} with a body that is not JSON`);
    if (response.status === 404) throw new ErpNotFoundError(`${what}: ${detail}`);
    if (response.status === 409 || response.status === 422)
      throw new ErpRefusedError(code ?? 'refused', detail);
    throw new ErpRefusedError(code ?? 'bad_request', `ERP rejected ${method} ${path}: ${detail}`);
  }

  checkCredit(request: {
    customerNumber: string;
    amount: string;
    currency: string;
  }): Promise<CreditDecision> {
    return this.call('POST', '/credit-checks', request);
  }

  quote(request: {
    customerNumber: string;
    currency: string;
    lines: { sku: string; quantity: number }[];
  }): Promise<Quote> {
    return this.call('POST', '/quotes', request);
  }

  reserveInventory(
    request: { orderRef: string; lines: { sku: string; quantity: number }[] },
    key: string,
  ): Promise<Reservation> {
    return this.call('POST', '/reservations', request, key);
  }

  releaseInventory(reservationId: string, key: string): Promise<Reservation> {
    return this.call('POST', `/reservations/${encodeURIComponent(reservationId)}/release`, {}, key);
  }

  createSalesOrder(request: Parameters<ErpPort['createSalesOrder']>[0], key: string): Promise<SalesOrder> {
    return this.call('POST', '/sales-orders', request, key);
  }

  amendSalesOrder(
    number: string,
    request: { lines: { sku: string; quantity: number }[] },
    key: string,
  ): Promise<SalesOrder> {
    return this.call('POST', `/sales-orders/${encodeURIComponent(number)}/amend`, request, key);
  }

  cancelSalesOrder(number: string, request: { reason: string }, key: string): Promise<SalesOrder> {
    return this.call('POST', `/sales-orders/${encodeURIComponent(number)}/cancel`, request, key);
  }

  releaseCreditHold(number: string, key: string): Promise<SalesOrder> {
    return this.call('POST', `/sales-orders/${encodeURIComponent(number)}/release-credit-hold`, {}, key);
  }

  postInvoice(orderNumber: string, key: string): Promise<Invoice> {
    return this.call('POST', '/invoices', { orderNumber }, key);
  }

  applyPayment(request: Parameters<ErpPort['applyPayment']>[0], key: string): Promise<PaymentDocument> {
    return this.call('POST', '/payments', request, key);
  }

  refund(request: Parameters<ErpPort['refund']>[0], key: string): Promise<PaymentDocument> {
    return this.call('POST', '/refunds', request, key);
  }

  upsertCustomer(request: Parameters<ErpPort['upsertCustomer']>[0], key: string): Promise<CustomerAccount> {
    return this.call('POST', '/customers', request, key);
  }

  async lookupChange(idempotencyKey: string): Promise<ChangeLookup> {
    try {
      const found = await this.call<{ state: 'committed' | 'in-flight'; body?: unknown }>(
        'GET',
        `/idempotency-keys/${encodeURIComponent(idempotencyKey)}`,
      );
      return found.state === 'committed'
        ? { state: 'committed', result: found.body }
        : { state: 'in-flight' };
    } catch (error) {
      if (error instanceof ErpNotFoundError) return { state: 'absent' };
      throw error;
    }
  }

  async findSalesOrder(externalRef: string): Promise<SalesOrder | undefined> {
    try {
      return await this.call<SalesOrder>(
        'GET',
        `/sales-orders?externalRef=${encodeURIComponent(externalRef)}`,
      );
    } catch (error) {
      if (error instanceof ErpNotFoundError) return undefined;
      throw error;
    }
  }

  async findCustomer(query: { email?: string; crmId?: string }): Promise<CustomerAccount | undefined> {
    const params = new URLSearchParams();
    if (query.crmId) params.set('crmId', query.crmId);
    else if (query.email) params.set('email', query.email);
    try {
      return await this.call<CustomerAccount>('GET', `/customers?${params}`);
    } catch (error) {
      if (error instanceof ErpNotFoundError) return undefined;
      throw error;
    }
  }

  /** The sandbox's business events after a sequence number (a real ERP pushes these through its own integration). */
  async readOutbox(
    afterSeq: number,
  ): Promise<{ seq: number; at: string; type: string; payload: Record<string, unknown> }[]> {
    const { events } = await this.call<{
      events: { seq: number; at: string; type: string; payload: Record<string, unknown> }[];
    }>('GET', `/outbox?after=${afterSeq}`);
    return events;
  }

  async listDocuments(query: Parameters<ErpPort['listDocuments']>[0]): Promise<ErpDocument[]> {
    const params = new URLSearchParams();
    if (query.type) params.set('type', query.type);
    if (query.fromIso) params.set('from', query.fromIso);
    if (query.toIso) params.set('to', query.toIso);
    if (query.externalRef) params.set('externalRef', query.externalRef);
    const { documents } = await this.call<{ documents: ErpDocument[] }>('GET', `/documents?${params}`);
    return documents;
  }
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3); anything else means one second. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number {
  if (header === null) return 1;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? 1 : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Errors of a request that never reached the ERP: connection refused, no such host. Nothing can have been committed. */
function neverSent(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } })?.cause?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  return String(cause?.code ?? cause?.message ?? (error as Error)?.message ?? error);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
