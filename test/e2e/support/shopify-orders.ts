/** Shopify orders/create payloads for customers and items of the ERP sandbox's seed catalogue. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const template = JSON.parse(
  readFileSync(path.join(__dirname, '../../fixtures/shopify/orders-create.json'), 'utf8'),
);

export interface OrderLine {
  sku: string;
  quantity: number;
  price: string;
}

/**
 * A Shopify order (a random id unless given). Totals are recomputed so the shop's figures agree with its lines
 * (8 % tax, 6.00 shipping, no discount): the credit check runs on the order total, so a stale template total
 * would test the wrong amount.
 */
export function shopifyOrder(
  options: { id?: number; email?: string; lines?: OrderLine[]; updatedAt?: string } = {},
) {
  const id = options.id ?? Math.floor(Math.random() * 1e12);
  const lines = options.lines ?? [
    { sku: 'TR-42-SLATE', quantity: 2, price: '89.99' },
    { sku: 'SOCK-MER-M', quantity: 1, price: '39.99' },
  ];
  const cents = (amount: string) => Math.round(Number(amount) * 100);
  const money = (value: number) => (value / 100).toFixed(2);
  const lineCents = lines.map((line) => cents(line.price) * line.quantity);
  const taxCents = lineCents.map((value) => Math.round(value * 0.08));
  const subtotal = lineCents.reduce((sum, value) => sum + value, 0);
  const tax = taxCents.reduce((sum, value) => sum + value, 0);
  const total = subtotal + tax + cents('6.00');
  return {
    ...template,
    id,
    email: options.email ?? 'jane.doe@example.com',
    name: `#${id}`,
    updated_at: options.updatedAt ?? template.updated_at,
    subtotal_price: money(subtotal),
    current_subtotal_price: money(subtotal),
    total_line_items_price: money(subtotal),
    total_discounts: '0.00',
    current_total_discounts: '0.00',
    total_tax: money(tax),
    current_total_tax: money(tax),
    total_price: money(total),
    current_total_price: money(total),
    line_items: lines.map((line, index) => ({
      ...template.line_items[0],
      id: id * 10 + index,
      sku: line.sku,
      quantity: line.quantity,
      price: line.price,
      discount_allocations: [],
      total_discount: '0.00',
      tax_lines: [{ channel_liable: false, price: money(taxCents[index] ?? 0), rate: 0.08, title: 'ON HST' }],
    })),
  };
}
