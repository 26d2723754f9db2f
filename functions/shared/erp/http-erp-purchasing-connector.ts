/** The ERP connector with purchasing (docs/erp-sandbox.openapi.yaml, /purchase-orders): same auth, deadlines and outcome rules. */
import { ErpNotFoundError } from './erp-errors';
import type {
  ErpPurchasingPort,
  PurchaseOrder,
  PurchaseOrderCheck,
  PurchaseOrderRequest,
} from './erp-purchasing-port';
import { HttpErpConnector } from './http-erp-connector';

/** An ErpPort and ErpPurchasingPort over the ERP's HTTP API. */
export class HttpErpPurchasingConnector extends HttpErpConnector implements ErpPurchasingPort {
  checkPurchaseOrder(request: {
    sourceSupplierId: string;
    costCentre: string;
    currency: string;
    total: string;
  }): Promise<PurchaseOrderCheck> {
    return this.call('POST', '/purchase-order-checks', request);
  }

  createPurchaseOrder(request: PurchaseOrderRequest, key: string): Promise<PurchaseOrder> {
    return this.call('POST', '/purchase-orders', request, key);
  }

  releasePurchaseOrder(poNumber: string, key: string): Promise<PurchaseOrder> {
    return this.call('POST', `/purchase-orders/${encodeURIComponent(poNumber)}/release`, {}, key);
  }

  cancelPurchaseOrder(poNumber: string, request: { reason: string }, key: string): Promise<PurchaseOrder> {
    return this.call('POST', `/purchase-orders/${encodeURIComponent(poNumber)}/cancel`, request, key);
  }

  async findPurchaseOrder(sourcePurchaseOrderId: string): Promise<PurchaseOrder | undefined> {
    try {
      return await this.call<PurchaseOrder>(
        'GET',
        `/purchase-orders?sourcePurchaseOrderId=${encodeURIComponent(sourcePurchaseOrderId)}`,
      );
    } catch (error) {
      if (error instanceof ErpNotFoundError) return undefined;
      throw error;
    }
  }

  async listPurchaseOrders(changed?: { fromIso: string; toIso: string }): Promise<PurchaseOrder[]> {
    const query = changed
      ? `?${new URLSearchParams({ updatedFrom: changed.fromIso, updatedTo: changed.toIso })}`
      : '';
    const { purchaseOrders } = await this.call<{ purchaseOrders: PurchaseOrder[] }>(
      'GET',
      `/purchase-orders${query}`,
    );
    return purchaseOrders;
  }
}
