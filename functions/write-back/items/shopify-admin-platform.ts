/**
 * The commerce platform port over Shopify's REST Admin API: inventory levels (POST inventory_levels/set.json) and
 * variant prices (PUT variants/{id}.json), paced by Shopify's leaky bucket and honouring 429 Retry-After
 * (https://shopify.dev/docs/api/admin-rest/usage/rate-limits).
 */
import { DownstreamUnavailableError } from '../../shared/errors';
import type { PlatformCredentials } from '../../shared/secrets/platform-credentials';
import { PlatformRefusedError, PlatformUnavailableError } from '../../shared/write-back/platform-status-port';
import type { ItemChange } from './item-change';
import type { CommercePlatform } from './item-write-back';

/** One shop, as the write-back reaches it. */
export interface ShopifyAdminOptions {
  /** The shop's Admin API root, e.g. https://acme.myshopify.com/admin/api/2025-01. */
  baseUrl: string;
  /** The Admin API access token of the shop's app, read from its secret; read again after Shopify answers 401. */
  accessToken: PlatformCredentials<string>;
  /**
   * The shop's location name of an ERP location code, where they differ; a code not listed is looked up by its own
   * name.
   */
  locationNames?: Readonly<Record<string, string>>;
  /** The shop's currency: the variant price is in it, so only prices in it are written. */
  currency: string;
  /** The plan's restore rate (2 a second on Standard plans): how fast the bucket empties. */
  leakPerSec: number;
  timeoutMs: number;
  /** The longest a 429's Retry-After is waited out in-process; beyond it the write is retried later by SQS. */
  maxRetryWaitMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

interface Variant {
  variantId: number;
  inventoryItemId: number;
}

/** How long a catalogue read stays fresh before a missing SKU or location makes the adapter read it again. */
const catalogueRefreshMs = 30_000;
/** Room left in the bucket for another writer (the event source runs up to two): each paces as if it were one more. */
const bucketHeadroom = 1;
const maxThrottledRetries = 5;

/** Counters of one container's calls, for logs. */
export interface ShopifyCallStats {
  requests: number;
  throttled: number;
  pacedMs: number;
}

/** Writes levels and prices to one shop. */
export class ShopifyAdminPlatform implements CommercePlatform {
  readonly name = 'shopify';
  readonly stats: ShopifyCallStats = { requests: 0, throttled: 0, pacedMs: 0 };
  private bucket: { used: number; size: number; at: number } | undefined;
  private variants = new Map<string, Variant>();
  private variantsAt = Number.NEGATIVE_INFINITY;
  private locations = new Map<string, number>();
  private locationsAt = Number.NEGATIVE_INFINITY;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: ShopifyAdminOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  async apply(change: ItemChange): Promise<void> {
    if (change.kind === 'stock') {
      const [variant, locationId] = [await this.variant(change.sku), await this.location(change.locationId)];
      await this.request('POST', '/inventory_levels/set.json', {
        location_id: locationId,
        inventory_item_id: variant.inventoryItemId,
        available: change.available,
      });
      return;
    }
    if (change.currency !== this.options.currency)
      throw new PlatformRefusedError(
        `The shop sells in ${this.options.currency}; a ${change.currency} price of ${change.sku} has no place in it`,
      );
    const variant = await this.variant(change.sku);
    await this.request('PUT', `/variants/${variant.variantId}.json`, {
      variant: { id: variant.variantId, price: change.amount },
    });
  }

  private async variant(sku: string): Promise<Variant> {
    let found = this.variants.get(sku);
    if (!found && this.now() - this.variantsAt > catalogueRefreshMs) {
      await this.loadVariants();
      found = this.variants.get(sku);
    }
    if (!found) throw new PlatformRefusedError(`The shop has no variant with SKU ${sku}`);
    return found;
  }

  /** Reads every product's variants, 250 at a time by since_id (the REST pagination that needs no cursor). */
  private async loadVariants(): Promise<void> {
    const variants = new Map<string, Variant>();
    let sinceId = 0;
    for (;;) {
      const page = (await this.request(
        'GET',
        `/products.json?limit=250&since_id=${sinceId}&fields=id,variants`,
      )) as {
        products: { id: number; variants: { id: number; sku: string | null; inventory_item_id: number }[] }[];
      };
      for (const product of page.products)
        for (const variant of product.variants)
          if (variant.sku)
            variants.set(variant.sku, { variantId: variant.id, inventoryItemId: variant.inventory_item_id });
      if (page.products.length < 250) break;
      sinceId = (page.products.at(-1) as { id: number }).id;
    }
    this.variants = variants;
    this.variantsAt = this.now();
  }

  /** The shop's location of an ERP location code: the mapped name, or the code itself. */
  private async location(code: string): Promise<number> {
    const name = this.options.locationNames?.[code] ?? code;
    let found = this.locations.get(name);
    if (found === undefined && this.now() - this.locationsAt > catalogueRefreshMs) {
      const { locations } = (await this.request('GET', '/locations.json')) as {
        locations: { id: number; name: string; active: boolean }[];
      };
      this.locations = new Map(locations.filter((l) => l.active).map((l) => [l.name, l.id]));
      this.locationsAt = this.now();
      found = this.locations.get(name);
    }
    if (found === undefined)
      throw new PlatformRefusedError(
        `The shop has no active location named ${name}${name === code ? '' : ` (ERP location ${code})`}`,
      );
    return found;
  }

  /** Waits until the bucket, as Shopify last reported it and leaked since, has room for one more request. */
  private async pace(): Promise<void> {
    if (!this.bucket) return;
    const { used, size, at } = this.bucket;
    const leaked = ((this.now() - at) / 1000) * this.options.leakPerSec;
    const excess = used - leaked + 1 + bucketHeadroom - size;
    if (excess <= 0) return;
    const waitMs = Math.ceil((excess / this.options.leakPerSec) * 1000);
    this.stats.pacedMs += waitMs;
    await this.sleep(waitMs);
  }

  /** The access token; Secrets Manager out of reach is Shopify out of reach for the write (retried by SQS). */
  private async accessToken(refresh: boolean): Promise<string> {
    try {
      return await this.options.accessToken.read({ refresh });
    } catch (error) {
      if (!(error instanceof DownstreamUnavailableError)) throw error;
      throw new PlatformUnavailableError(`The Shopify access token could not be read: ${error.message}`, {
        cause: error,
      });
    }
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    let refreshToken = false;
    for (let attempt = 0; ; attempt += 1) {
      await this.pace();
      this.stats.requests += 1;
      const accessToken = await this.accessToken(refreshToken);
      let response: Response;
      try {
        response = await fetch(`${this.options.baseUrl}${path}`, {
          method,
          headers: {
            'x-shopify-access-token': accessToken,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (error) {
        throw new PlatformUnavailableError(
          `Shopify did not answer ${method} ${path}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      const limit = /^(\d+)\/(\d+)$/.exec(response.headers.get('x-shopify-shop-api-call-limit') ?? '');
      if (limit) this.bucket = { used: Number(limit[1]), size: Number(limit[2]), at: this.now() };
      const text = await response.text();
      if (response.status === 429) {
        this.stats.throttled += 1;
        const retryAfterMs = Math.ceil(Number(response.headers.get('retry-after') ?? '1') * 1000) || 1000;
        if (attempt >= maxThrottledRetries || retryAfterMs > this.options.maxRetryWaitMs)
          throw new PlatformUnavailableError(
            `Shopify throttled ${method} ${path} (429, Retry-After ${retryAfterMs} ms): ${text.slice(0, 300)}`,
          );
        await this.sleep(retryAfterMs);
        continue;
      }
      // A 401 is answered before Shopify acts: sent once more with the token read again (it may have been rotated
      // since). A second 401 means the secret is wrong: unavailable, so the write is retried until it is fixed, and
      // dead-lettered with this answer past its attempts.
      if (response.status === 401) {
        if (!refreshToken) {
          refreshToken = true;
          continue;
        }
        throw new PlatformUnavailableError(
          `Shopify refused the access token (401) for ${method} ${path}, read twice; set the stage's Shopify secret (docs/runbooks/platform-credentials.md): ${text.slice(0, 300)}`,
        );
      }
      if (response.status >= 500)
        throw new PlatformUnavailableError(
          `Shopify failed ${method} ${path} with ${response.status}: ${text.slice(0, 300)}`,
        );
      if (!response.ok)
        throw new PlatformRefusedError(
          `Shopify refused ${method} ${path} with ${response.status}: ${text.slice(0, 500)}`,
        );
      try {
        return text ? JSON.parse(text) : {};
      } catch (error) {
        throw new PlatformUnavailableError(
          `Shopify answered ${method} ${path} with a body that is not JSON`,
          {
            cause: error,
          },
        );
      }
    }
  }
}
