/**
 * The purchase-order write-back to Spendesk: PUT {api}/purchase-orders/{id}/erp-status with a bearer token. Spendesk
 * documents no purchase-order write API (docs/purchase-orders.md); locally the ERP sandbox hosts the stand-in this
 * client was built against, and a tenant's API takes its place through this one module.
 */
import { DownstreamUnavailableError } from '../../shared/errors';
import type { PlatformCredentials } from '../../shared/secrets/platform-credentials';
import { PlatformRefusedError, PlatformUnavailableError } from '../../shared/write-back/platform-status-port';
import type { PurchaseOrderErpStatus, PurchaseOrderStatusPort } from './purchase-order-status';

/** Where the platform's API is, its token (read from its secret, again after a 401), and how long to wait. */
export interface SpendeskPurchaseOrderClientOptions {
  apiUrl: string;
  apiToken: PlatformCredentials<string>;
  timeoutMs?: number;
}

/** Writes the ERP status of purchase orders to a Spendesk tenant. */
export class SpendeskPurchaseOrderClient implements PurchaseOrderStatusPort {
  constructor(private readonly options: SpendeskPurchaseOrderClientOptions) {}

  /** The token; Secrets Manager out of reach is Spendesk out of reach for the write (retried by Lambda). */
  private async token(refresh: boolean): Promise<string> {
    try {
      return await this.options.apiToken.read({ refresh });
    } catch (error) {
      if (!(error instanceof DownstreamUnavailableError)) throw error;
      throw new PlatformUnavailableError(`The Spendesk API token could not be read: ${error.message}`, {
        cause: error,
      });
    }
  }

  async write(status: PurchaseOrderErpStatus): Promise<void> {
    const { purchaseOrderId, ...body } = status;
    const url = `${this.options.apiUrl}/purchase-orders/${encodeURIComponent(purchaseOrderId)}/erp-status`;
    for (let refresh = false; ; refresh = true) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'PUT',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${await this.token(refresh)}`,
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
      } catch (error) {
        if (error instanceof PlatformUnavailableError) throw error;
        throw new PlatformUnavailableError(`Spendesk did not answer: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (response.ok) return;
      const detail = (await response.text()).slice(0, 300);
      // A 401 comes before Spendesk acts: once more with the token read again (it may have been rotated). A second
      // one means the secret is wrong: unavailable, so Lambda retries until it is fixed, then the dead-letter queue.
      if (response.status === 401) {
        if (!refresh) continue;
        throw new PlatformUnavailableError(
          `Spendesk refused the API token (401), read twice; set the stage's Spendesk secret (docs/runbooks/platform-credentials.md): ${detail}`,
        );
      }
      if (response.status === 429 || response.status >= 500)
        throw new PlatformUnavailableError(`Spendesk failed with ${response.status}: ${detail}`);
      throw new PlatformRefusedError(
        `Spendesk refused the status of purchase order ${purchaseOrderId} (${response.status}): ${detail}`,
      );
    }
  }
}
