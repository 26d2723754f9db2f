/** Spendesk webhook bodies built from the fixtures with fresh delivery ids: suppliers and purchase orders. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const fixtures = path.join(__dirname, '../../fixtures/spendesk');

/** A Spendesk fixture, parsed afresh (callers change it). */
export function spendeskFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(fixtures, name), 'utf8'));
}

/** Gives a body a new event id and time, as Spendesk does for each event. */
function freshEvent(body: { event: { id: string; timestamp: string } }): void {
  body.event.id = randomUUID();
  body.event.timestamp = new Date().toISOString();
}

/** A `supplier.created` body for a supplier of this id and legal name. */
export function spendeskSupplierCreated(id: string, legalName: string): string {
  const body = spendeskFixture('suppliers-created.json') as {
    data: { id: string; supplier: { legal_name: string } };
    event: { id: string; timestamp: string };
  };
  body.data.id = id;
  body.data.supplier.legal_name = legalName;
  freshEvent(body);
  return JSON.stringify(body);
}

/** A `purchase_order.created` body: the fixture with its own id and, where given, supplier, cost centre and items. */
export function spendeskPurchaseOrder(options: {
  id: string;
  supplier?: string;
  costCentre?: string;
  items?: { description: string; quantity: number; unit_price: string }[];
}): string {
  const body = spendeskFixture('purchase_orders-created.json') as {
    data: { id: string; purchase_order: Record<string, unknown> };
    event: { id: string; timestamp: string };
  };
  body.data.id = options.id;
  freshEvent(body);
  const order = body.data.purchase_order;
  if (options.supplier) order.supplier_id = options.supplier;
  if (options.costCentre)
    order.cost_center = { id: 'cc_x', name: options.costCentre, code: options.costCentre };
  if (options.items) order.items = options.items;
  return JSON.stringify(body);
}
