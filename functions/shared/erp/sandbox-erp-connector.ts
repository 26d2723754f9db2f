/** The ERP port over the ERP sandbox's HTTP API: timeouts, idempotency keys, and HTTP answers mapped to ERP errors. */

import { ErpNotFoundError, ErpRefusedError, ErpThrottledError, ErpUnavailableError } from './erp-errors';
import type {
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

/** Where the sandbox is and how long to wait for it. */
export interface SandboxConnectorOptions {
  baseUrl: string;
  timeoutMs?: number;
}

/** An ErpPort for the ERP sandbox. */
export class SandboxErpConnector implements ErpPort {
  private readonly timeoutMs: number;

  constructor(private readonly options: SandboxConnectorOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  private async call<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ErpUnavailableError(`ERP ${method} ${path} did not answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const text = await response.text();
    const payload = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (response.ok) return payload as T;
    const detail = String(payload.detail ?? payload.title ?? response.statusText);
    if (response.status === 429)
      throw new ErpThrottledError(
        `ERP throttled ${method} ${path}: ${detail}`,
        retryAfterSeconds(response.headers.get('retry-after')),
      );
    if (response.status === 404) throw new ErpNotFoundError(`ERP ${method} ${path}: ${detail}`);
    if (response.status === 409 || response.status === 422)
      throw new ErpRefusedError(String(payload.code ?? 'refused'), detail);
    if (response.status >= 500)
      throw new ErpUnavailableError(`ERP ${method} ${path} failed with ${response.status}: ${detail}`);
    throw new ErpRefusedError(
      String(payload.code ?? 'bad_request'),
      `ERP rejected ${method} ${path}: ${detail}`,
    );
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
