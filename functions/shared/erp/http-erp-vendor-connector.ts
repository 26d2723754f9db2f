/** The ERP connector with the vendor master (docs/erp-sandbox.openapi.yaml, /vendors): same auth, deadlines and outcome rules. */
import { ErpNotFoundError } from './erp-errors';
import type { ErpVendorPort, VendorFields, VendorRecord } from './erp-vendor-port';
import { HttpErpConnector } from './http-erp-connector';

/** An ErpPort and ErpVendorPort over the ERP's HTTP API. */
export class HttpErpVendorConnector extends HttpErpConnector implements ErpVendorPort {
  createVendor(
    request: { sourceSupplierId: string; fields: VendorFields },
    key: string,
  ): Promise<VendorRecord> {
    return this.call('POST', '/vendors', request, key);
  }

  changeVendor(vendorNumber: string, request: { fields: VendorFields }, key: string): Promise<VendorRecord> {
    return this.call('POST', `/vendors/${encodeURIComponent(vendorNumber)}/changes`, request, key);
  }

  async findVendor(sourceSupplierId: string): Promise<VendorRecord | undefined> {
    try {
      return await this.call<VendorRecord>(
        'GET',
        `/vendors?sourceSupplierId=${encodeURIComponent(sourceSupplierId)}`,
      );
    } catch (error) {
      if (error instanceof ErpNotFoundError) return undefined;
      throw error;
    }
  }

  async listVendors(changed?: { fromIso: string; toIso: string }): Promise<VendorRecord[]> {
    const query = changed
      ? `?${new URLSearchParams({ updatedFrom: changed.fromIso, updatedTo: changed.toIso })}`
      : '';
    const { vendors } = await this.call<{ vendors: VendorRecord[] }>('GET', `/vendors${query}`);
    return vendors;
  }
}
