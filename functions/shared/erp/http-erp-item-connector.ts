/** The ERP connector with the item register (docs/erp-sandbox.openapi.yaml, /stock-levels, /item-prices, /items): same auth, deadlines and outcome rules. */
import { ErpNotFoundError } from './erp-errors';
import type { ErpItemPort, ErpItemPrice, ErpStockLevel, ItemChangeWindow } from './erp-item-port';
import { HttpErpConnector } from './http-erp-connector';

/** An ErpPort and ErpItemPort over the ERP's HTTP API. */
export class HttpErpItemConnector extends HttpErpConnector implements ErpItemPort {
  async listStockLevels(changed: ItemChangeWindow): Promise<ErpStockLevel[]> {
    const { levels } = await this.call<{ levels: ErpStockLevel[] }>(
      'GET',
      `/stock-levels?${windowQuery(changed)}`,
    );
    return levels;
  }

  async findStockLevel(sku: string, locationId: string): Promise<ErpStockLevel | undefined> {
    return orUndefined(
      this.call<ErpStockLevel>(
        'GET',
        `/items/${encodeURIComponent(sku)}/stock-levels/${encodeURIComponent(locationId)}`,
      ),
    );
  }

  async listPrices(changed: ItemChangeWindow): Promise<ErpItemPrice[]> {
    const { prices } = await this.call<{ prices: ErpItemPrice[] }>(
      'GET',
      `/item-prices?${windowQuery(changed)}`,
    );
    return prices;
  }

  async findPrice(sku: string, currency: string): Promise<ErpItemPrice | undefined> {
    return orUndefined(
      this.call<ErpItemPrice>(
        'GET',
        `/items/${encodeURIComponent(sku)}/prices/${encodeURIComponent(currency)}`,
      ),
    );
  }
}

function windowQuery(changed: ItemChangeWindow): URLSearchParams {
  return new URLSearchParams({ updatedFrom: changed.fromIso, updatedTo: changed.toIso });
}

/** A 404 is the answer "the ERP books none"; every other failure is the call's. */
async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ErpNotFoundError) return undefined;
    throw error;
  }
}
