/**
 * The sandbox's stand-in for one Shopify shop's REST Admin API (2025-01): products with their variants, locations,
 * inventory levels and variant prices, behind Shopify's leaky-bucket rate limit, which it enforces and counts.
 * Shapes follow https://shopify.dev/docs/api/admin-rest/2025-01/resources/inventorylevel#post-inventory-levels-set
 * and /resources/product-variant#put-variants-variant-id; limits follow
 * https://shopify.dev/docs/api/admin-rest/usage/rate-limits (bucket 40, leaking 2 requests a second on Standard plans,
 * `X-Shopify-Shop-Api-Call-Limit` on every answer, 429 with `Retry-After` when the bucket is full).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import { formatDecimal, parseDecimal } from '../../functions/shared/decimal';
import { sameSecret, sendJson } from './sandbox-http';

/** Where the stand-in answers: https://{shop}.myshopify.com/admin/api/2025-01/… becomes {sandbox}/shopify/admin/api/2025-01/…. */
export const shopifyAdminPrefix = '/shopify/admin/api/2025-01';

/** The shop's locations; their names are the ERP's location codes, which is how the write-back maps them. */
export const standInLocations = [
  { id: 655441491, name: 'BER-1' },
  { id: 655441492, name: 'HAM-1' },
] as const;

/** The bucket as configured: Shopify's Standard plan unless a test or an operator sets another. */
export interface RateLimit {
  bucketSize: number;
  leakPerSec: number;
}

/** What the stand-in counted since its last reset, as GET /_admin/shopify-stand-in shows it. */
export interface StandInStats {
  rateLimit: RateLimit;
  requests: number;
  /** Requests answered 429 because the bucket was full. */
  throttled: number;
  inventoryWrites: number;
  priceWrites: number;
  /** The fullest the bucket has been (requests in it), never above bucketSize. */
  peakBucketLevel: number;
}

interface VariantRow {
  id: number;
  product_id: number;
  sku: string;
  title: string;
  price: string;
  inventory_item_id: number;
}

/** A refusal the stand-in answers the way Shopify does: a status and `{ errors }`. */
class ShopifyAnswerError extends Error {
  override readonly name = 'ShopifyAnswerError';
  constructor(
    readonly status: number,
    readonly errors: unknown,
  ) {
    super(JSON.stringify(errors));
  }
}

function positiveInteger(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0)
    throw new ShopifyAnswerError(422, { [field]: ['must be a positive integer'] });
  return value as number;
}

function variantJson(row: VariantRow) {
  return {
    id: row.id,
    product_id: row.product_id,
    title: 'Default Title',
    sku: row.sku,
    price: row.price,
    inventory_item_id: row.inventory_item_id,
    inventory_management: 'shopify',
    admin_graphql_api_id: `gid://shopify/ProductVariant/${row.id}`,
  };
}

/** One shop's Admin API over the sandbox's database, with an in-memory leaky bucket. */
export class ShopifyAdminStandIn {
  private rateLimit: RateLimit = { bucketSize: 40, leakPerSec: 2 };
  private level = 0;
  private levelAt = Date.now();
  private stats: Omit<StandInStats, 'rateLimit'> = {
    requests: 0,
    throttled: 0,
    inventoryWrites: 0,
    priceWrites: 0,
    peakBucketLevel: 0,
  };

  /** `accessToken`: the one Admin API token it accepts (the sandbox's, which `npm start` puts in the stage's secret). */
  constructor(
    private readonly db: Database.Database,
    private readonly accessToken: string,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS shopify_variants (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, sku TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL, price TEXT NOT NULL, inventory_item_id INTEGER NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS shopify_inventory_levels (inventory_item_id INTEGER NOT NULL, location_id INTEGER NOT NULL,
  available INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (inventory_item_id, location_id));`);
  }

  /** Sets the bucket (a shop on another plan, or a test's) and starts counting afresh. */
  configure(body: Record<string, unknown>): StandInStats {
    const bucketSize = body.bucketSize ?? 40;
    const leakPerSec = body.leakPerSec ?? 2;
    if (!Number.isSafeInteger(bucketSize) || (bucketSize as number) < 1)
      throw new RangeError('bucketSize must be a positive integer');
    if (typeof leakPerSec !== 'number' || !(leakPerSec > 0))
      throw new RangeError('leakPerSec must be above zero');
    this.rateLimit = { bucketSize: bucketSize as number, leakPerSec };
    this.level = 0;
    this.levelAt = Date.now();
    this.stats = { requests: 0, throttled: 0, inventoryWrites: 0, priceWrites: 0, peakBucketLevel: 0 };
    return this.report();
  }

  /** The counters since the last reset. */
  report(): StandInStats {
    return { rateLimit: { ...this.rateLimit }, ...this.stats };
  }

  /** The levels as Shopify holds them, by SKU and location name: what a test compares with the ERP. */
  levelsBySku(): { sku: string; locationName: string; available: number }[] {
    const names = new Map<number, string>(standInLocations.map((location) => [location.id, location.name]));
    const rows = this.db
      .prepare(
        `SELECT v.sku AS sku, l.location_id AS locationId, l.available AS available FROM shopify_inventory_levels l
         JOIN shopify_variants v ON v.inventory_item_id = l.inventory_item_id ORDER BY v.sku, l.location_id`,
      )
      .all() as { sku: string; locationId: number; available: number }[];
    return rows.map((row) => ({
      sku: row.sku,
      locationName: names.get(row.locationId) ?? String(row.locationId),
      available: row.available,
    }));
  }

  /** Takes one request into the bucket; false when it is full (the request is refused and not counted in it). */
  private admit(): boolean {
    const now = Date.now();
    this.level = Math.max(0, this.level - ((now - this.levelAt) / 1000) * this.rateLimit.leakPerSec);
    this.levelAt = now;
    if (this.level + 1 > this.rateLimit.bucketSize) return false;
    this.level += 1;
    this.stats.peakBucketLevel = Math.max(this.stats.peakBucketLevel, Math.ceil(this.level));
    return true;
  }

  private send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    sendJson(response, status, body, {
      'content-type': 'application/json; charset=utf-8',
      'x-shopify-shop-api-call-limit': `${Math.ceil(this.level)}/${this.rateLimit.bucketSize}`,
      ...headers,
    });
  }

  /** Answers a request under /shopify/…; the server sends every such path here. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL, rawBody: Buffer): void {
    this.stats.requests += 1;
    const token = request.headers['x-shopify-access-token'];
    // Shopify's answer to a missing or wrong token alike (https://shopify.dev/docs/api/usage/response-codes).
    if (typeof token !== 'string' || !sameSecret(token, this.accessToken)) {
      this.send(response, 401, {
        errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
      });
      return;
    }
    if (!this.admit()) {
      this.stats.throttled += 1;
      const retryAfterSec = Math.max(
        1,
        Math.ceil((this.level + 1 - this.rateLimit.bucketSize) / this.rateLimit.leakPerSec),
      );
      this.send(
        response,
        429,
        {
          errors:
            'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.',
        },
        { 'retry-after': `${retryAfterSec.toFixed(1)}` },
      );
      return;
    }
    try {
      let body: Record<string, unknown> = {};
      if (rawBody.length > 0) {
        try {
          body = JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new ShopifyAnswerError(400, 'body is not valid JSON');
        }
      }
      const path = url.pathname.slice(shopifyAdminPrefix.length);
      const [status, answer] = this.route(request.method ?? 'GET', path, url.searchParams, body);
      this.send(response, status, answer);
    } catch (error) {
      if (!(error instanceof ShopifyAnswerError)) throw error;
      this.send(response, error.status, { errors: error.errors });
    }
  }

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): [number, unknown] {
    if (method === 'GET' && path === '/locations.json')
      return [200, { locations: standInLocations.map((location) => ({ ...location, active: true })) }];
    if (method === 'GET' && path === '/products.json') return [200, this.products(query)];
    if (method === 'POST' && path === '/products.json') return [201, this.createProduct(body)];
    if (method === 'POST' && path === '/inventory_levels/set.json') return [200, this.setLevel(body)];
    if (method === 'GET' && path === '/inventory_levels.json') return [200, this.levels(query)];
    const variant = /^\/variants\/(\d+)\.json$/.exec(path);
    if (method === 'PUT' && variant) return [200, this.setPrice(Number(variant[1]), body)];
    throw new ShopifyAnswerError(404, 'Not Found');
  }

  private products(query: URLSearchParams) {
    const limit = Math.min(250, Math.max(1, Number(query.get('limit') ?? 50) || 50));
    const sinceId = Number(query.get('since_id') ?? 0) || 0;
    const products = this.db
      .prepare(
        'SELECT DISTINCT product_id FROM shopify_variants WHERE product_id > ? ORDER BY product_id LIMIT ?',
      )
      .all(sinceId, limit) as { product_id: number }[];
    const variantsOf = this.db.prepare('SELECT * FROM shopify_variants WHERE product_id = ? ORDER BY id');
    return {
      products: products.map(({ product_id }) => {
        const variants = variantsOf.all(product_id) as VariantRow[];
        return { id: product_id, title: variants[0]?.title ?? '', variants: variants.map(variantJson) };
      }),
    };
  }

  private createProduct(body: Record<string, unknown>) {
    const product = body.product as
      | { title?: unknown; variants?: { sku?: unknown; price?: unknown }[] }
      | undefined;
    if (!product || typeof product.title !== 'string' || product.title === '')
      throw new ShopifyAnswerError(422, { title: ["can't be blank"] });
    const variants = Array.isArray(product.variants) && product.variants.length > 0 ? product.variants : [{}];
    const next = (column: string, base: number) =>
      ((this.db.prepare(`SELECT MAX(${column}) AS n FROM shopify_variants`).get() as { n: number | null })
        .n ?? base) + 1;
    return this.db.transaction(() => {
      const productId = next('product_id', 632910392);
      const rows = variants.map((variant) => {
        if (typeof variant.sku !== 'string' || variant.sku === '')
          throw new ShopifyAnswerError(422, { 'variants.sku': ["can't be blank"] });
        let price: string;
        try {
          price = formatDecimal(parseDecimal(String(variant.price ?? '0')));
        } catch {
          throw new ShopifyAnswerError(422, { 'variants.price': ['is not a number'] });
        }
        if (this.db.prepare('SELECT 1 FROM shopify_variants WHERE sku = ?').get(variant.sku))
          throw new ShopifyAnswerError(422, { 'variants.sku': ['has already been taken'] });
        const row: VariantRow = {
          id: next('id', 808950810),
          product_id: productId,
          sku: variant.sku,
          title: product.title as string,
          price,
          inventory_item_id: next('inventory_item_id', 39072856),
        };
        this.db
          .prepare(
            'INSERT INTO shopify_variants (id, product_id, sku, title, price, inventory_item_id) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(row.id, row.product_id, row.sku, row.title, row.price, row.inventory_item_id);
        return row;
      });
      return { product: { id: productId, title: product.title, variants: rows.map(variantJson) } };
    })();
  }

  private setLevel(body: Record<string, unknown>) {
    const locationId = positiveInteger(body.location_id, 'location_id');
    const inventoryItemId = positiveInteger(body.inventory_item_id, 'inventory_item_id');
    if (!Number.isSafeInteger(body.available))
      throw new ShopifyAnswerError(422, { available: ['must be an integer'] });
    if (!standInLocations.some((location) => location.id === locationId))
      throw new ShopifyAnswerError(422, ['Location does not exist']);
    if (!this.db.prepare('SELECT 1 FROM shopify_variants WHERE inventory_item_id = ?').get(inventoryItemId))
      throw new ShopifyAnswerError(422, ['Inventory item does not exist']);
    const updatedAt = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO shopify_inventory_levels (inventory_item_id, location_id, available, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(inventory_item_id, location_id) DO UPDATE SET available = excluded.available, updated_at = excluded.updated_at`,
      )
      .run(inventoryItemId, locationId, body.available, updatedAt);
    this.stats.inventoryWrites += 1;
    return {
      inventory_level: {
        inventory_item_id: inventoryItemId,
        location_id: locationId,
        available: body.available,
        updated_at: updatedAt,
        admin_graphql_api_id: `gid://shopify/InventoryLevel/${locationId}?inventory_item_id=${inventoryItemId}`,
      },
    };
  }

  private levels(query: URLSearchParams) {
    const ids = (name: string) => (query.get(name) ?? '').split(',').filter(Boolean).map(Number);
    const items = ids('inventory_item_ids');
    const locations = ids('location_ids');
    if (items.length === 0 && locations.length === 0)
      throw new ShopifyAnswerError(422, 'inventory_item_ids or location_ids is required');
    const rows = this.db
      .prepare('SELECT * FROM shopify_inventory_levels ORDER BY inventory_item_id, location_id')
      .all() as {
      inventory_item_id: number;
      location_id: number;
      available: number;
      updated_at: string;
    }[];
    return {
      inventory_levels: rows.filter(
        (row) =>
          (items.length === 0 || items.includes(row.inventory_item_id)) &&
          (locations.length === 0 || locations.includes(row.location_id)),
      ),
    };
  }

  private setPrice(variantId: number, body: Record<string, unknown>) {
    const variant = body.variant as { price?: unknown } | undefined;
    const row = this.db.prepare('SELECT * FROM shopify_variants WHERE id = ?').get(variantId) as
      | VariantRow
      | undefined;
    if (!row) throw new ShopifyAnswerError(404, 'Not Found');
    let price: string;
    try {
      price = formatDecimal(parseDecimal(String(variant?.price)));
    } catch {
      throw new ShopifyAnswerError(422, { price: ['is not a number'] });
    }
    if (parseDecimal(price) < 0n)
      throw new ShopifyAnswerError(422, { price: ['must be greater than or equal to 0'] });
    this.db.prepare('UPDATE shopify_variants SET price = ? WHERE id = ?').run(price, variantId);
    this.stats.priceWrites += 1;
    return { variant: variantJson({ ...row, price }) };
  }
}
