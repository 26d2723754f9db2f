/** The ERP read at flush time, over the ERP's HTTP API with its API key (read again once on a 401, after a rotation). */
import type { ErpCredentials } from '../../shared/erp/erp-credentials';
import { ErpUnavailableError } from '../../shared/erp/erp-errors';
import type { ItemChange } from './item-change';
import type { ErpItemReader } from './item-write-back';

/** Where the ERP is, who Concord is to it, and how long to wait. */
export interface HttpErpItemReaderOptions {
  baseUrl: string;
  credentials: ErpCredentials;
  timeoutMs: number;
}

/** Reads a stock level (GET /items/{sku}/stock-levels/{location}) or a price (GET /items/{sku}/prices/{currency}). */
export class HttpErpItemReader implements ErpItemReader {
  constructor(private readonly options: HttpErpItemReaderOptions) {}

  async latest(change: ItemChange): Promise<ItemChange | undefined> {
    const sku = encodeURIComponent(change.sku);
    if (change.kind === 'stock') {
      const level = await this.get<{ available: number; version: number }>(
        `/items/${sku}/stock-levels/${encodeURIComponent(change.locationId)}`,
      );
      return level && { ...change, available: level.available, version: level.version };
    }
    const price = await this.get<{ amount: string; version: number }>(
      `/items/${sku}/prices/${encodeURIComponent(change.currency)}`,
    );
    return price && { ...change, amount: price.amount, version: price.version };
  }

  /** The ERP's answer, undefined on a 404; any other failure is ErpUnavailableError (a read changes nothing). */
  private async get<T>(path: string): Promise<T | undefined> {
    for (const refresh of [false, true]) {
      let response: Response;
      try {
        response = await fetch(`${this.options.baseUrl}${path}`, {
          headers: { authorization: `Bearer ${await this.options.credentials.apiKey({ refresh })}` },
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (error) {
        throw new ErpUnavailableError(`ERP GET ${path}: ${(error as Error).message}`, { cause: error });
      }
      const text = await response.text();
      if (response.status === 401) continue;
      if (response.status === 404) return undefined;
      if (!response.ok)
        throw new ErpUnavailableError(`ERP GET ${path} answered ${response.status}: ${text.slice(0, 200)}`);
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new ErpUnavailableError(`ERP GET ${path} answered a body that is not JSON`, { cause: error });
      }
    }
    throw new ErpUnavailableError(`ERP GET ${path}: the ERP refused Concord's API key (401), read twice`);
  }
}
