/** The ERP sandbox's purchasing: budgets per cost centre, purchase orders, goods receipts, supplier invoices and the three-way match. */
import { formatDecimal, parseDecimal } from '../../functions/shared/decimal';
import { NotFoundError, RefusalError } from './erp-errors';
import type { LedgerHandle } from './ledger/ledger-database';
import { pathParameter, type SandboxRoute } from './sandbox-routes';
import { type ChangeWindow, changeWindow, type VendorMaster } from './vendor-master';

/** A purchase order's life: OPEN (booked, budget not yet committed), RELEASED (budget committed), CANCELLED. */
export type PurchaseOrderStatus = 'OPEN' | 'RELEASED' | 'CANCELLED';

/**
 * The three-way match of a purchase order, its receipts and its supplier invoices. A price mismatch is named before
 * a quantity mismatch: accounts payable resolves the price with the supplier first.
 */
export type MatchStatus =
  | 'awaiting-receipt'
  | 'awaiting-invoice'
  | 'price-mismatch'
  | 'quantity-mismatch'
  | 'matched';

/** Why a purchase order cannot be placed, as the check answers it. */
export type PurchaseOrderVerdict =
  | 'ok'
  | 'vendor_unknown'
  | 'vendor_blocked'
  | 'cost_centre_unknown'
  | 'cost_centre_closed'
  | 'budget_missing'
  | 'currency_mismatch'
  | 'budget_exceeded';

/** One line of a purchase order, with what was received and invoiced against it. */
export interface PurchaseOrderLineView {
  lineNo: number;
  description: string;
  sku?: string;
  quantity: number;
  unitPrice: string;
  lineTotal: string;
  receivedQuantity: number;
  invoicedQuantity: number;
  /** The unit prices the supplier's invoices charged for the line, each distinct one once. */
  invoicedUnitPrices: string[];
}

/** A purchase order as the sandbox answers it. */
export interface PurchaseOrderView {
  poNumber: string;
  sourcePurchaseOrderId: string;
  vendorNumber: string;
  sourceSupplierId: string;
  costCentre: string;
  currency: string;
  total: string;
  status: PurchaseOrderStatus;
  matchStatus: MatchStatus;
  receivedQuantity: number;
  invoicedAmount: string;
  /** The platform the order came from (its origin URI): the ERP's announcements about it are written back there. */
  channel?: string;
  lines: PurchaseOrderLineView[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A cost centre's budget for purchasing: committed grows when a purchase order is released, shrinks when one is cancelled. */
export interface BudgetView {
  costCentre: string;
  currency: string;
  amount: string;
  committed: string;
  available: string;
}

/** What the check of a purchase order answers: a verdict, never an error, so that the workflow branches on it. */
export interface PurchaseOrderCheck {
  verdict: PurchaseOrderVerdict;
  reason: string;
  vendorNumber?: string;
  available?: string;
}

/** A goods receipt as the warehouse clerk booked it. */
export interface GoodsReceiptView {
  receiptNumber: string;
  poNumber: string;
  lines: { lineNo: number; quantity: number }[];
  receivedAt: string;
}

/** A supplier invoice as accounts payable booked it against a purchase order. */
export interface SupplierInvoiceView {
  invoiceNumber: string;
  supplierInvoiceRef: string;
  poNumber: string;
  currency: string;
  amount: string;
  lines: { lineNo: number; quantity: number; unitPrice: string }[];
  recordedAt: string;
}

interface OrderRow {
  po_number: string;
  source_po_id: string;
  vendor_number: string;
  source_supplier_id: string;
  cost_centre: string;
  currency: string;
  total: string;
  status: PurchaseOrderStatus;
  channel: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

interface LineRow {
  line_no: number;
  description: string;
  sku: string | null;
  quantity: number;
  unit_price: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS po_budgets (cost_centre TEXT PRIMARY KEY, currency TEXT NOT NULL, amount TEXT NOT NULL,
  committed TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS purchase_orders (po_number TEXT PRIMARY KEY, source_po_id TEXT NOT NULL UNIQUE,
  vendor_number TEXT NOT NULL, source_supplier_id TEXT NOT NULL, cost_centre TEXT NOT NULL, currency TEXT NOT NULL,
  total TEXT NOT NULL, status TEXT NOT NULL, channel TEXT, version INTEGER NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS po_lines (po_number TEXT NOT NULL, line_no INTEGER NOT NULL, description TEXT NOT NULL,
  sku TEXT, quantity INTEGER NOT NULL, unit_price TEXT NOT NULL, PRIMARY KEY (po_number, line_no));
CREATE TABLE IF NOT EXISTS goods_receipts (receipt_number TEXT PRIMARY KEY, po_number TEXT NOT NULL, lines TEXT NOT NULL,
  received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS supplier_invoices (invoice_number TEXT PRIMARY KEY, supplier_invoice_ref TEXT NOT NULL,
  po_number TEXT NOT NULL, currency TEXT NOT NULL, amount TEXT NOT NULL, lines TEXT NOT NULL, recorded_at TEXT NOT NULL,
  UNIQUE (po_number, supplier_invoice_ref));`;

/** Budgets every fresh sandbox books for the open cost centres of the employee register (CC-9000 is closed, and has none). */
export const seedBudgets: readonly { costCentre: string; currency: string; amount: string }[] = [
  { costCentre: 'CC-1000', currency: 'EUR', amount: '50000.00' },
  { costCentre: 'CC-2000', currency: 'EUR', amount: '20000.00' },
  { costCentre: 'CC-3000', currency: 'EUR', amount: '5000.00' },
];

const sourceIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const codePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
const currencyPattern = /^[A-Z]{3}$/;
const pricePattern = /^\d{1,12}(\.\d{1,4})?$/;
const maxLines = 200;

function invalid(message: string): never {
  throw new RefusalError('invalid_purchase_order', message, 422);
}

function text(value: unknown, name: string, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength)
    invalid(`${name} must be a non-empty string of at most ${maxLength} characters`);
  return value.trim();
}

function quantity(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 1_000_000)
    invalid(`${name} must be a whole number from 1 to 1000000`);
  return value;
}

function price(value: unknown, name: string): string {
  if (typeof value !== 'string' || !pricePattern.test(value))
    invalid(`${name} must be a decimal amount such as "12.50" (at most four decimals)`);
  return formatDecimal(parseDecimal(value));
}

function lineNumber(value: unknown, name: string, count: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > count)
    invalid(`${name} must name a line of the purchase order (1 to ${count})`);
  return value;
}

function list(value: unknown, name: string): Record<string, unknown>[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > maxLines ||
    value.some((item) => item === null || typeof item !== 'object' || Array.isArray(item))
  )
    invalid(`${name} must be a list of 1 to ${maxLines} objects`);
  return value as Record<string, unknown>[];
}

/**
 * The three-way match of one order's lines. Nothing received yet is awaiting receipt even if an invoice came first
 * (an invoice is never paid for goods not received); a receipt without an invoice is awaiting the invoice.
 */
export function threeWayMatch(lines: readonly PurchaseOrderLineView[], invoiceCount: number): MatchStatus {
  if (lines.every((line) => line.receivedQuantity === 0)) return 'awaiting-receipt';
  if (invoiceCount === 0) return 'awaiting-invoice';
  if (
    lines.some((line) =>
      line.invoicedUnitPrices.some((unitPrice) => parseDecimal(unitPrice) !== parseDecimal(line.unitPrice)),
    )
  )
    return 'price-mismatch';
  if (lines.some((line) => line.invoicedQuantity !== line.receivedQuantity)) return 'quantity-mismatch';
  return 'matched';
}

/**
 * Purchasing over the ledger's database and transactions: the vendor master says who may be ordered from, the
 * employee register's cost centres say who may spend, and each open cost centre has a budget. Goods receipts and
 * supplier invoices are booked by the ERP's own users (admin routes) and announced through the outbox, each with the
 * order's match status after it.
 */
export class Purchasing {
  constructor(
    private readonly ledger: LedgerHandle,
    private readonly vendors: VendorMaster,
  ) {
    ledger.db.exec(schema);
    const seeded = ledger.db.prepare('SELECT COUNT(*) AS n FROM po_budgets').get() as { n: number };
    if (seeded.n === 0)
      for (const budget of seedBudgets)
        ledger.db
          .prepare(
            'INSERT INTO po_budgets (cost_centre, currency, amount, committed, updated_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(budget.costCentre, budget.currency, budget.amount, '0.00', new Date().toISOString());
  }

  private orderRow(poNumber: string): OrderRow {
    const row = this.ledger.db.prepare('SELECT * FROM purchase_orders WHERE po_number = ?').get(poNumber) as
      | OrderRow
      | undefined;
    if (!row) throw new NotFoundError(`Purchase order ${poNumber} does not exist`);
    return row;
  }

  private view(row: OrderRow): PurchaseOrderView {
    const db = this.ledger.db;
    const lineRows = db
      .prepare('SELECT * FROM po_lines WHERE po_number = ? ORDER BY line_no')
      .all(row.po_number) as LineRow[];
    const receipts = this.receipts(row.po_number);
    const invoices = this.invoices(row.po_number);
    const lines = lineRows.map((line): PurchaseOrderLineView => {
      const invoiced = invoices.flatMap((invoice) => invoice.lines.filter((l) => l.lineNo === line.line_no));
      return {
        lineNo: line.line_no,
        description: line.description,
        ...(line.sku === null ? {} : { sku: line.sku }),
        quantity: line.quantity,
        unitPrice: line.unit_price,
        lineTotal: formatDecimal(BigInt(line.quantity) * parseDecimal(line.unit_price)),
        receivedQuantity: receipts
          .flatMap((receipt) => receipt.lines.filter((l) => l.lineNo === line.line_no))
          .reduce((sum, l) => sum + l.quantity, 0),
        invoicedQuantity: invoiced.reduce((sum, l) => sum + l.quantity, 0),
        invoicedUnitPrices: [...new Set(invoiced.map((l) => l.unitPrice))],
      };
    });
    return {
      poNumber: row.po_number,
      sourcePurchaseOrderId: row.source_po_id,
      vendorNumber: row.vendor_number,
      sourceSupplierId: row.source_supplier_id,
      costCentre: row.cost_centre,
      currency: row.currency,
      total: row.total,
      status: row.status,
      matchStatus: threeWayMatch(lines, invoices.length),
      receivedQuantity: lines.reduce((sum, line) => sum + line.receivedQuantity, 0),
      invoicedAmount: formatDecimal(
        invoices.reduce((sum, invoice) => sum + parseDecimal(invoice.amount), 0n),
      ),
      ...(row.channel === null ? {} : { channel: row.channel }),
      lines,
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** One purchase order by its ERP number. */
  get(poNumber: string): PurchaseOrderView {
    return this.view(this.orderRow(poNumber));
  }

  /** The purchase order booked for a platform's purchase order id; NotFoundError when there is none. */
  findBySourceId(sourcePurchaseOrderId: string): PurchaseOrderView {
    const row = this.ledger.db
      .prepare('SELECT * FROM purchase_orders WHERE source_po_id = ?')
      .get(sourcePurchaseOrderId) as OrderRow | undefined;
    if (!row) throw new NotFoundError(`No purchase order is booked for ${sourcePurchaseOrderId}`);
    return this.view(row);
  }

  /** Every purchase order, by number; or, given a window, those last changed in it (a receipt or invoice changes it). */
  list(changed?: ChangeWindow): PurchaseOrderView[] {
    const rows = changed
      ? this.ledger.db
          .prepare(
            'SELECT * FROM purchase_orders WHERE updated_at >= ? AND updated_at < ? ORDER BY po_number',
          )
          .all(changed.from, changed.to)
      : this.ledger.db.prepare('SELECT * FROM purchase_orders ORDER BY po_number').all();
    return (rows as OrderRow[]).map((row) => this.view(row));
  }

  /** A cost centre's purchasing budget; NotFoundError when it has none. */
  budget(costCentre: string): BudgetView {
    const row = this.ledger.db.prepare('SELECT * FROM po_budgets WHERE cost_centre = ?').get(costCentre) as
      | { cost_centre: string; currency: string; amount: string; committed: string }
      | undefined;
    if (!row) throw new NotFoundError(`Cost centre ${costCentre} has no purchasing budget`);
    return {
      costCentre: row.cost_centre,
      currency: row.currency,
      amount: row.amount,
      committed: row.committed,
      available: formatDecimal(parseDecimal(row.amount) - parseDecimal(row.committed)),
    };
  }

  /** Sets a cost centre's budget (controlling, by hand); what is committed stays. */
  setBudget(costCentre: string, body: Record<string, unknown>, actor: string): BudgetView {
    if (!codePattern.test(costCentre)) invalid('the cost centre code is not valid');
    const centre = this.ledger.db.prepare('SELECT code FROM cost_centres WHERE code = ?').get(costCentre);
    if (!centre) throw new NotFoundError(`Cost centre ${costCentre} does not exist in the ERP`);
    if (typeof body.currency !== 'string' || !currencyPattern.test(body.currency))
      invalid('currency must be an ISO 4217 code');
    const amount = price(body.amount, 'amount');
    this.ledger.db
      .prepare(
        `INSERT INTO po_budgets (cost_centre, currency, amount, committed, updated_at) VALUES (?, ?, ?, '0.00', ?)
         ON CONFLICT(cost_centre) DO UPDATE SET currency = excluded.currency, amount = excluded.amount, updated_at = excluded.updated_at`,
      )
      .run(costCentre, body.currency, amount, new Date().toISOString());
    this.ledger.audit(actor, 'budget.set', 'cost-centre', costCentre, { currency: body.currency, amount });
    return this.budget(costCentre);
  }

  /**
   * Whether a purchase order could be placed now: the supplier has a vendor that is not blocked, the cost centre is
   * open and has a budget in the order's currency with the amount available. Read-only; the release checks again.
   */
  check(body: Record<string, unknown>): PurchaseOrderCheck {
    const sourceSupplierId = text(body.sourceSupplierId, 'sourceSupplierId', 100);
    const costCentre = text(body.costCentre, 'costCentre', 40);
    const currency = text(body.currency, 'currency', 3);
    const amount = parseDecimal(price(body.total, 'total'));
    let vendorNumber: string;
    try {
      const vendor = this.vendors.findBySourceId(sourceSupplierId);
      vendorNumber = vendor.vendorNumber;
      if (vendor.blocked)
        return {
          verdict: 'vendor_blocked',
          reason: `Vendor ${vendor.vendorNumber} is blocked: ${vendor.blockedReason}`,
          vendorNumber,
        };
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return { verdict: 'vendor_unknown', reason: `Supplier ${sourceSupplierId} has no vendor in the ERP` };
    }
    const centre = this.ledger.db.prepare('SELECT status FROM cost_centres WHERE code = ?').get(costCentre) as
      | { status: string }
      | undefined;
    if (!centre)
      return {
        verdict: 'cost_centre_unknown',
        reason: `Cost centre ${costCentre} does not exist`,
        vendorNumber,
      };
    if (centre.status !== 'OPEN')
      return { verdict: 'cost_centre_closed', reason: `Cost centre ${costCentre} is closed`, vendorNumber };
    let budget: BudgetView;
    try {
      budget = this.budget(costCentre);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return { verdict: 'budget_missing', reason: (error as Error).message, vendorNumber };
    }
    if (budget.currency !== currency)
      return {
        verdict: 'currency_mismatch',
        reason: `Cost centre ${costCentre} budgets in ${budget.currency}, the order is in ${currency}`,
        vendorNumber,
      };
    if (parseDecimal(budget.available) < amount)
      return {
        verdict: 'budget_exceeded',
        reason: `Cost centre ${costCentre} has ${budget.available} ${currency} available, the order needs ${formatDecimal(amount)}`,
        vendorNumber,
        available: budget.available,
      };
    return { verdict: 'ok', reason: 'placeable', vendorNumber, available: budget.available };
  }

  private refuseUnlessPlaceable(check: PurchaseOrderCheck): void {
    if (check.verdict === 'ok') return;
    throw new RefusalError(check.verdict, check.reason, check.verdict === 'vendor_blocked' ? 409 : 422);
  }

  /**
   * Books a purchase order (OPEN) for the platform's id, or answers the one already booked for it unchanged, so that
   * a re-sent order is not a second one. Refused when its vendor, cost centre or budget would refuse it now.
   */
  create(body: Record<string, unknown>, actor: string): PurchaseOrderView {
    const sourcePurchaseOrderId = body.sourcePurchaseOrderId;
    if (typeof sourcePurchaseOrderId !== 'string' || !sourceIdPattern.test(sourcePurchaseOrderId))
      invalid(
        'sourcePurchaseOrderId must be the platform purchase order id (1 to 100 letters, digits, . _ : -)',
      );
    const existing = this.ledger.db
      .prepare('SELECT * FROM purchase_orders WHERE source_po_id = ?')
      .get(sourcePurchaseOrderId) as OrderRow | undefined;
    if (existing) return this.view(existing);
    const currency = text(body.currency, 'currency', 3);
    if (!currencyPattern.test(currency)) invalid('currency must be an ISO 4217 code');
    const lines = list(body.lines, 'lines').map((line, index) => ({
      description: text(line.description, `lines[${index}].description`, 200),
      sku: line.sku === undefined ? null : text(line.sku, `lines[${index}].sku`, 64),
      quantity: quantity(line.quantity, `lines[${index}].quantity`),
      unitPrice: price(line.unitPrice, `lines[${index}].unitPrice`),
    }));
    const total = formatDecimal(
      lines.reduce((sum, line) => sum + BigInt(line.quantity) * parseDecimal(line.unitPrice), 0n),
    );
    const check = this.check({ ...body, total });
    this.refuseUnlessPlaceable(check);
    const channel = typeof body.channel === 'string' && body.channel !== '' ? body.channel : null;
    const now = new Date().toISOString();
    const poNumber = this.ledger.next('purchase-order', 'PO');
    this.ledger.db
      .prepare(
        `INSERT INTO purchase_orders (po_number, source_po_id, vendor_number, source_supplier_id, cost_centre, currency,
          total, status, channel, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'OPEN', ?, 1, ?, ?)`,
      )
      .run(
        poNumber,
        sourcePurchaseOrderId,
        check.vendorNumber,
        text(body.sourceSupplierId, 'sourceSupplierId', 100),
        text(body.costCentre, 'costCentre', 40),
        currency,
        total,
        channel,
        now,
        now,
      );
    lines.forEach((line, index) => {
      this.ledger.db
        .prepare(
          'INSERT INTO po_lines (po_number, line_no, description, sku, quantity, unit_price) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(poNumber, index + 1, line.description, line.sku, line.quantity, line.unitPrice);
    });
    this.ledger.audit(actor, 'purchase-order.created', 'purchase-order', poNumber, {
      sourcePurchaseOrderId,
      total,
      currency,
    });
    return this.get(poNumber);
  }

  private touch(poNumber: string, status?: PurchaseOrderStatus): void {
    this.ledger.db
      .prepare(
        'UPDATE purchase_orders SET status = coalesce(?, status), version = version + 1, updated_at = ? WHERE po_number = ?',
      )
      .run(status ?? null, new Date().toISOString(), poNumber);
  }

  private commitBudget(costCentre: string, delta: bigint): void {
    const budget = this.budget(costCentre);
    this.ledger.db
      .prepare('UPDATE po_budgets SET committed = ?, updated_at = ? WHERE cost_centre = ?')
      .run(formatDecimal(parseDecimal(budget.committed) + delta), new Date().toISOString(), costCentre);
  }

  /**
   * Releases an OPEN order: its amount is committed against the cost centre's budget. Refused when the vendor was
   * blocked or the budget spent since the order was booked; a released order is answered unchanged.
   */
  release(poNumber: string, actor: string): PurchaseOrderView {
    const row = this.orderRow(poNumber);
    if (row.status === 'RELEASED') return this.view(row);
    if (row.status !== 'OPEN')
      throw new RefusalError('not_releasable', `Purchase order ${poNumber} is ${row.status}`, 409);
    this.refuseUnlessPlaceable(
      this.check({
        sourceSupplierId: row.source_supplier_id,
        costCentre: row.cost_centre,
        currency: row.currency,
        total: row.total,
      }),
    );
    this.commitBudget(row.cost_centre, parseDecimal(row.total));
    this.touch(poNumber, 'RELEASED');
    this.ledger.audit(actor, 'purchase-order.released', 'purchase-order', poNumber, { total: row.total });
    return this.get(poNumber);
  }

  /**
   * Cancels an order with nothing received or invoiced against it, giving back the budget a release committed; a
   * cancelled order is answered unchanged.
   */
  cancel(poNumber: string, body: Record<string, unknown>, actor: string): PurchaseOrderView {
    const row = this.orderRow(poNumber);
    if (row.status === 'CANCELLED') return this.view(row);
    const reason = text(body.reason ?? 'other', 'reason', 200);
    if (this.receipts(poNumber).length > 0 || this.invoices(poNumber).length > 0)
      throw new RefusalError(
        'not_cancellable',
        `Purchase order ${poNumber} has goods received or invoiced against it`,
        409,
      );
    if (row.status === 'RELEASED') this.commitBudget(row.cost_centre, -parseDecimal(row.total));
    this.touch(poNumber, 'CANCELLED');
    this.ledger.audit(actor, 'purchase-order.cancelled', 'purchase-order', poNumber, { reason });
    return this.get(poNumber);
  }

  /** Receipts booked against an order, oldest first. */
  receipts(poNumber: string): GoodsReceiptView[] {
    return (
      this.ledger.db
        .prepare('SELECT * FROM goods_receipts WHERE po_number = ? ORDER BY receipt_number')
        .all(poNumber) as { receipt_number: string; po_number: string; lines: string; received_at: string }[]
    ).map((row) => ({
      receiptNumber: row.receipt_number,
      poNumber: row.po_number,
      lines: JSON.parse(row.lines),
      receivedAt: row.received_at,
    }));
  }

  /** Supplier invoices booked against an order, oldest first. */
  invoices(poNumber: string): SupplierInvoiceView[] {
    return (
      this.ledger.db
        .prepare('SELECT * FROM supplier_invoices WHERE po_number = ? ORDER BY invoice_number')
        .all(poNumber) as {
        invoice_number: string;
        supplier_invoice_ref: string;
        po_number: string;
        currency: string;
        amount: string;
        lines: string;
        recorded_at: string;
      }[]
    ).map((row) => ({
      invoiceNumber: row.invoice_number,
      supplierInvoiceRef: row.supplier_invoice_ref,
      poNumber: row.po_number,
      currency: row.currency,
      amount: row.amount,
      lines: JSON.parse(row.lines),
      recordedAt: row.recorded_at,
    }));
  }

  private requireReleased(poNumber: string): OrderRow {
    const row = this.orderRow(poNumber);
    if (row.status !== 'RELEASED')
      throw new RefusalError(
        'not_released',
        `Purchase order ${poNumber} is ${row.status}: goods and invoices are booked against released orders only`,
        409,
      );
    return row;
  }

  /** The order's state after a receipt or an invoice, announced with every one (outbox purchase-order.match-updated). */
  private announceMatch(order: PurchaseOrderView, cause: string): void {
    this.ledger.emit('purchase-order.match-updated', { cause, purchaseOrder: order });
  }

  /**
   * Books a goods receipt (the warehouse clerk's): quantities per line, never more in total than ordered. Announced as
   * goods-receipt.recorded with the order's match status after it.
   */
  receiveGoods(poNumber: string, body: Record<string, unknown>, actor: string): GoodsReceiptView {
    this.requireReleased(poNumber);
    const before = this.get(poNumber);
    const lines = list(body.lines, 'lines').map((line, index) => ({
      lineNo: lineNumber(line.lineNo, `lines[${index}].lineNo`, before.lines.length),
      quantity: quantity(line.quantity, `lines[${index}].quantity`),
    }));
    for (const line of before.lines) {
      const received =
        line.receivedQuantity +
        lines.filter((l) => l.lineNo === line.lineNo).reduce((s, l) => s + l.quantity, 0);
      if (received > line.quantity)
        throw new RefusalError(
          'over_receipt',
          `Line ${line.lineNo} of ${poNumber} ordered ${line.quantity}; receiving ${received} in total is more`,
          422,
        );
    }
    const receipt: GoodsReceiptView = {
      receiptNumber: this.ledger.next('goods-receipt', 'GR'),
      poNumber,
      lines,
      receivedAt: new Date().toISOString(),
    };
    this.ledger.db
      .prepare(
        'INSERT INTO goods_receipts (receipt_number, po_number, lines, received_at) VALUES (?, ?, ?, ?)',
      )
      .run(receipt.receiptNumber, poNumber, JSON.stringify(lines), receipt.receivedAt);
    this.touch(poNumber);
    const after = this.get(poNumber);
    this.ledger.audit(actor, 'goods-receipt.recorded', 'purchase-order', poNumber, {
      receiptNumber: receipt.receiptNumber,
    });
    this.ledger.emit('goods-receipt.recorded', { receipt, purchaseOrder: after });
    this.announceMatch(after, receipt.receiptNumber);
    return receipt;
  }

  /**
   * Books a supplier invoice against an order (accounts payable's): quantity and unit price per line, in the order's
   * currency; the supplier's own invoice number once per order. Announced as supplier-invoice.recorded with the
   * order's match status after it.
   */
  recordInvoice(poNumber: string, body: Record<string, unknown>, actor: string): SupplierInvoiceView {
    const row = this.requireReleased(poNumber);
    const supplierInvoiceRef = text(body.supplierInvoiceRef, 'supplierInvoiceRef', 100);
    if (body.currency !== row.currency) invalid(`currency must be the order's, ${row.currency}`);
    const lineCount = (
      this.ledger.db.prepare('SELECT COUNT(*) AS n FROM po_lines WHERE po_number = ?').get(poNumber) as {
        n: number;
      }
    ).n;
    const lines = list(body.lines, 'lines').map((line, index) => ({
      lineNo: lineNumber(line.lineNo, `lines[${index}].lineNo`, lineCount),
      quantity: quantity(line.quantity, `lines[${index}].quantity`),
      unitPrice: price(line.unitPrice, `lines[${index}].unitPrice`),
    }));
    const taken = this.ledger.db
      .prepare(
        'SELECT invoice_number FROM supplier_invoices WHERE po_number = ? AND supplier_invoice_ref = ?',
      )
      .get(poNumber, supplierInvoiceRef);
    if (taken)
      throw new RefusalError(
        'duplicate_supplier_invoice',
        `Supplier invoice ${supplierInvoiceRef} is already booked against ${poNumber}`,
        409,
      );
    const invoice: SupplierInvoiceView = {
      invoiceNumber: this.ledger.next('supplier-invoice', 'SI'),
      supplierInvoiceRef,
      poNumber,
      currency: row.currency,
      amount: formatDecimal(
        lines.reduce((sum, line) => sum + BigInt(line.quantity) * parseDecimal(line.unitPrice), 0n),
      ),
      lines,
      recordedAt: new Date().toISOString(),
    };
    this.ledger.db
      .prepare(
        `INSERT INTO supplier_invoices (invoice_number, supplier_invoice_ref, po_number, currency, amount, lines, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        invoice.invoiceNumber,
        supplierInvoiceRef,
        poNumber,
        invoice.currency,
        invoice.amount,
        JSON.stringify(lines),
        invoice.recordedAt,
      );
    this.touch(poNumber);
    const after = this.get(poNumber);
    this.ledger.audit(actor, 'supplier-invoice.recorded', 'purchase-order', poNumber, {
      invoiceNumber: invoice.invoiceNumber,
      supplierInvoiceRef,
    });
    this.ledger.emit('supplier-invoice.recorded', { invoice, purchaseOrder: after });
    this.announceMatch(after, invoice.invoiceNumber);
    return invoice;
  }
}

/**
 * Purchasing's HTTP routes (docs/erp-sandbox.openapi.yaml): booking, releasing and cancelling are changes under an
 * Idempotency-Key; the check is a read; goods receipts, supplier invoices and budgets are the ERP users' admin routes.
 */
export function purchasingRoutes(purchasing: Purchasing, ledger: LedgerHandle): SandboxRoute[] {
  return [
    {
      method: 'POST',
      pattern: /^\/purchase-order-checks$/,
      mutation: false,
      handler: (_m, body) => purchasing.check(body),
    },
    {
      method: 'POST',
      pattern: /^\/purchase-orders$/,
      mutation: true,
      handler: (_m, body, _q, actor) => purchasing.create(body, actor),
    },
    {
      method: 'GET',
      pattern: /^\/purchase-orders$/,
      mutation: false,
      handler: (_m, _b, query) => {
        const sourcePurchaseOrderId = query.get('sourcePurchaseOrderId');
        return sourcePurchaseOrderId === null
          ? { purchaseOrders: purchasing.list(changeWindow(query)) }
          : purchasing.findBySourceId(sourcePurchaseOrderId);
      },
    },
    {
      method: 'GET',
      pattern: /^\/purchase-orders\/([^/]+)$/,
      mutation: false,
      handler: (m) => purchasing.get(pathParameter(m)),
    },
    {
      method: 'POST',
      pattern: /^\/purchase-orders\/([^/]+)\/release$/,
      mutation: true,
      handler: (m, _b, _q, actor) => purchasing.release(pathParameter(m), actor),
    },
    {
      method: 'POST',
      pattern: /^\/purchase-orders\/([^/]+)\/cancel$/,
      mutation: true,
      handler: (m, body, _q, actor) => purchasing.cancel(pathParameter(m), body, actor),
    },
    {
      method: 'GET',
      pattern: /^\/cost-centres\/([^/]+)\/budget$/,
      mutation: false,
      handler: (m) => purchasing.budget(pathParameter(m)),
    },
    {
      method: 'PUT',
      pattern: /^\/_admin\/cost-centres\/([^/]+)\/budget$/,
      mutation: false,
      handler: (m, body, _q, actor) =>
        ledger.transaction(() => purchasing.setBudget(pathParameter(m), body, actor)),
    },
    {
      method: 'POST',
      pattern: /^\/_admin\/purchase-orders\/([^/]+)\/goods-receipts$/,
      mutation: false,
      handler: (m, body, _q, actor) =>
        ledger.transaction(() => purchasing.receiveGoods(pathParameter(m), body, actor)),
    },
    {
      method: 'POST',
      pattern: /^\/_admin\/purchase-orders\/([^/]+)\/supplier-invoices$/,
      mutation: false,
      handler: (m, body, _q, actor) =>
        ledger.transaction(() => purchasing.recordInvoice(pathParameter(m), body, actor)),
    },
  ];
}
