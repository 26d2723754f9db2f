/** A deterministic set of realistic, signed Shopify orders/create webhooks for the ingest benchmark. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatDecimal, parseDecimal } from '../../functions/shared/decimal';
import type { WebhookRequest } from '../../functions/shared/sources/webhook-request';
import { signedShopify } from '../../test/support/signers';

const template = JSON.parse(
  readFileSync(path.join(__dirname, '../../test/fixtures/shopify/orders-create.json'), 'utf8'),
);
const catalogue = [
  { sku: 'TR-42-SLATE', title: 'Trail Runner', price: '89.99' },
  { sku: 'SOCK-MER-M', title: 'Merino Socks', price: '39.99' },
  { sku: 'JKT-RAIN-L', title: 'Rain Shell', price: '219.00' },
  { sku: 'BTL-STEEL-1L', title: 'Steel Bottle', price: '24.50' },
  { sku: 'CAP-WOOL-OS', title: 'Wool Cap', price: '19.95' },
];

// A small LCG keeps the set identical from run to run.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** `count` orders with 1–5 lines each, consistent totals and 8% tax, signed with `secret`. */
export function signedShopifyOrders(count: number, secret: string, receivedAt: Date): WebhookRequest[] {
  const next = random(42);
  return Array.from({ length: count }, (_, index) => {
    const lines = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, lineIndex) => {
      const item = catalogue[Math.floor(next() * catalogue.length)] ?? catalogue[0];
      const quantity = 1 + Math.floor(next() * 4);
      const net = BigInt(quantity) * parseDecimal(item?.price ?? '1.00');
      const tax = (net * 8n) / 100n;
      return {
        ...template.line_items[0],
        id: 20_000_000_000 + index * 10 + lineIndex,
        sku: item?.sku,
        title: item?.title,
        price: item?.price,
        quantity,
        total_discount: '0.00',
        discount_allocations: [],
        tax_lines: [
          { channel_liable: false, price: formatDecimal(tax - (tax % 100n)), rate: 0.08, title: 'ON HST' },
        ],
      };
    });
    const subtotal = lines.reduce((sum, line) => sum + BigInt(line.quantity) * parseDecimal(line.price), 0n);
    const tax = lines.reduce((sum, line) => sum + parseDecimal(line.tax_lines[0].price), 0n);
    const shipping = parseDecimal('6.00');
    const order = {
      ...template,
      id: 6_000_000_000_000 + index,
      name: `#${10_000 + index}`,
      order_number: 10_000 + index,
      line_items: lines,
      subtotal_price: formatDecimal(subtotal),
      total_discounts: '0.00',
      total_tax: formatDecimal(tax),
      total_price: formatDecimal(subtotal + tax + shipping),
    };
    return signedShopify(JSON.stringify(order), secret, { eventId: `bench-${index}`, receivedAt });
  });
}
