/**
 * A client of the ERP sandbox's admin API (`/_admin/*`): what a tester or a finance user does by hand — faults,
 * credit-hold releases, credit limits, stock receipts, corrections that no event announces — with the admin token.
 */
import type { Fault } from './erp-sandbox-server';
import type { StockLevel } from './item-master';
import type { StandInStats } from './shopify-admin-stand-in';

/** A fault as asked for: `fired` is the sandbox's to count. */
export type FaultRequest = Omit<Fault, 'fired' | 'rate'> & { rate?: number };

/** The admin API refused or failed a call. */
export class SandboxAdminError extends Error {
  override readonly name = 'SandboxAdminError';
}

/** Calls the admin API of the sandbox at `baseUrl` as its admin. */
export class ErpSandboxAdmin {
  constructor(
    private readonly baseUrl: string,
    private readonly adminToken: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/_admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok)
      throw new SandboxAdminError(
        `${method} /_admin${path} answered ${response.status}: ${text.slice(0, 300)}`,
      );
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Injects a fault (route pattern with `*`, kind, rate 1 unless given); returns every active fault. */
  async addFault(fault: FaultRequest): Promise<Fault[]> {
    return (await this.call<{ faults: Fault[] }>('POST', '/faults', { rate: 1, ...fault })).faults;
  }

  /** The active faults, each with how often it fired. */
  async faults(): Promise<Fault[]> {
    return (await this.call<{ faults: Fault[] }>('GET', '/faults')).faults;
  }

  /** Clears every fault. */
  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  /** Releases a credit hold as finance would; the ERP's outbox announces it. */
  async releaseCreditHold(orderNumber: string): Promise<unknown> {
    return this.call('POST', `/credit-holds/${encodeURIComponent(orderNumber)}/release`, {});
  }

  /** Sets a customer's credit limit. */
  async setCreditLimit(customerNumber: string, creditLimit: string): Promise<unknown> {
    return this.call('PUT', `/customers/${encodeURIComponent(customerNumber)}/credit-limit`, { creditLimit });
  }

  /** Books a goods receipt. */
  async receiveStock(sku: string, quantity: number): Promise<unknown> {
    return this.call('POST', `/items/${encodeURIComponent(sku)}/receipts`, { quantity });
  }

  /** Creates or changes items with their prices per currency (item-master.ts). */
  async upsertItems(
    items: { sku: string; title: string; taxRate: string; prices: Record<string, string> }[],
  ): Promise<{ items: number; pricesChanged: number }> {
    return this.call('POST', '/items', { items });
  }

  /** Books a stock movement of many lines (a goods receipt) in one transaction; each line announces its level. */
  async moveStock(
    reference: string,
    lines: { sku: string; locationId: string; quantity: number }[],
  ): Promise<{ reference: string; lines: number; levels: StockLevel[] }> {
    return this.call('POST', '/stock-movements', { reference, lines });
  }

  /** Every stock level the ERP holds, with its version. */
  async stockLevels(): Promise<StockLevel[]> {
    return (await this.call<{ levels: StockLevel[] }>('GET', '/stock-levels')).levels;
  }

  /** The Shopify stand-in's counters (requests, 429s, writes, the fullest bucket) and its levels by SKU. */
  async shopifyStandIn(): Promise<
    StandInStats & { levels: { sku: string; locationName: string; available: number }[] }
  > {
    return this.call('GET', '/shopify-stand-in');
  }

  /** Sets the stand-in's bucket (Shopify's Standard plan: 40, leaking 2 a second) and resets its counters. */
  async setShopifyRateLimit(rateLimit: { bucketSize: number; leakPerSec: number }): Promise<StandInStats> {
    return this.call('PUT', '/shopify-stand-in/rate-limit', rateLimit);
  }

  /** Corrects an order's total by hand: no event announces it, only reconciliation finds it. */
  async adjustOrderTotal(orderNumber: string, total: string): Promise<unknown> {
    return this.call('PUT', `/sales-orders/${encodeURIComponent(orderNumber)}/total`, { total });
  }

  /** The latest changes: who, what, when. */
  async audit(limit = 100): Promise<{ entries: { action: string; actor: string }[] }> {
    return this.call('GET', `/audit?limit=${limit}`);
  }
}
