/**
 * The contract every ERP connector must honour (the sandbox connector today, a real ERP's tomorrow): run
 * describeErpPortContract with a factory for the connector under test, against an ERP holding the seed catalogue.
 */
import { randomUUID } from 'node:crypto';
import { ErpRefusedError } from '../../functions/shared/erp/erp-errors';
import type { ErpPort } from '../../functions/shared/erp/erp-port';

const key = () => randomUUID();
const ref = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Registers the contract's tests; `connect` gives the port (called once, before the tests). */
export function describeErpPortContract(
  name: string,
  connect: () => Promise<{ port: ErpPort; close: () => Promise<void> }>,
): void {
  describe(`ErpPort contract: ${name}`, () => {
    let erp: ErpPort;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ port: erp, close } = await connect());
    });

    afterAll(async () => {
      await close();
    });

    it('prices lines from its own catalogue, with tax per line', async () => {
      const quote = await erp.quote({
        customerNumber: 'C-000001',
        currency: 'USD',
        lines: [
          { sku: 'TR-42-SLATE', quantity: 2 },
          { sku: 'SOCK-MER-M', quantity: 1 },
        ],
      });
      expect(quote).toMatchObject({ subtotal: '219.97', tax: '17.60', total: '237.57', allAvailable: true });
      expect(quote.lines[0]).toMatchObject({
        sku: 'TR-42-SLATE',
        unitPrice: '89.99',
        lineTotal: '179.98',
        tax: '14.40',
      });
    });

    it.each([
      ['C-000001', '500.00', 'approved'],
      ['C-000002', '300.00', 'hold'],
      ['C-000003', '10.00', 'hold'],
      ['C-000004', '10.00', 'rejected'],
    ])('decides credit for %s asking %s: %s', async (customerNumber, amount, decision) => {
      const result = await erp.checkCredit({ customerNumber, amount, currency: 'USD' });
      expect(result.decision).toBe(decision);
    });

    it('reserves stock, turns it into an accepted order, and refuses what is out of stock', async () => {
      // Prepare
      const orderRef = ref('shop');
      // Act
      const reservation = await erp.reserveInventory(
        { orderRef, lines: [{ sku: 'JKT-RAIN-L', quantity: 1 }] },
        key(),
      );
      const order = await erp.createSalesOrder(
        {
          externalRef: orderRef,
          customerNumber: 'C-000001',
          currency: 'USD',
          lines: [{ sku: 'JKT-RAIN-L', quantity: 1 }],
          reservationId: reservation.reservationId,
        },
        key(),
      );
      const tooMuch = erp.reserveInventory(
        { orderRef: ref('shop'), lines: [{ sku: 'TENT-2P', quantity: 3 }] },
        key(),
      );
      // Assess
      expect(order).toMatchObject({ externalRef: orderRef, status: 'ACCEPTED', total: '236.52' });
      await expect(tooMuch).rejects.toMatchObject({ name: 'ErpRefusedError', code: 'out_of_stock' });
    });

    it('creates one order per idempotency key, and refuses a second order for the same external reference', async () => {
      // Prepare
      const externalRef = ref('shop');
      const request = {
        externalRef,
        customerNumber: 'C-000001',
        currency: 'USD',
        lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }],
      };
      const sameKey = key();
      // Act
      const first = await erp.createSalesOrder(request, sameKey);
      const retried = await erp.createSalesOrder(request, sameKey);
      const another = erp.createSalesOrder(request, key());
      // Assess
      expect(retried.number).toBe(first.number);
      await expect(another).rejects.toMatchObject({ code: 'duplicate_order' });
      expect((await erp.listDocuments({ type: 'sales-order', externalRef })).length).toBe(1);
    });

    it('amends and cancels only before invoicing', async () => {
      // Prepare
      const order = await erp.createSalesOrder(
        {
          externalRef: ref('shop'),
          customerNumber: 'C-000001',
          currency: 'USD',
          lines: [{ sku: 'BTL-STEEL-1L', quantity: 1 }],
        },
        key(),
      );
      // Act
      const amended = await erp.amendSalesOrder(
        order.number,
        { lines: [{ sku: 'BTL-STEEL-1L', quantity: 2 }] },
        key(),
      );
      const invoice = await erp.postInvoice(order.number, key());
      const lateAmend = erp.amendSalesOrder(
        order.number,
        { lines: [{ sku: 'BTL-STEEL-1L', quantity: 3 }] },
        key(),
      );
      const lateCancel = erp.cancelSalesOrder(order.number, { reason: 'customer' }, key());
      // Assess
      expect([amended.total, amended.version]).toEqual(['52.92', 2]);
      expect(invoice).toMatchObject({ orderNumber: order.number, amount: '52.92', status: 'OPEN' });
      await expect(lateAmend).rejects.toMatchObject({ code: 'not_amendable' });
      await expect(lateCancel).rejects.toMatchObject({ code: 'not_cancellable' });
    });

    it('cancels an open order and releases a reservation once, however often asked', async () => {
      const orderRef = ref('shop');
      const reservation = await erp.reserveInventory(
        { orderRef, lines: [{ sku: 'SOCK-MER-M', quantity: 2 }] },
        key(),
      );
      const released = await erp.releaseInventory(reservation.reservationId, key());
      const again = await erp.releaseInventory(reservation.reservationId, key());
      const order = await erp.createSalesOrder(
        {
          externalRef: orderRef,
          customerNumber: 'C-000001',
          currency: 'USD',
          lines: [{ sku: 'SOCK-MER-M', quantity: 2 }],
        },
        key(),
      );
      const cancelled = await erp.cancelSalesOrder(order.number, { reason: 'customer' }, key());
      expect([released.status, again.status, cancelled.status]).toEqual([
        'RELEASED',
        'RELEASED',
        'CANCELLED',
      ]);
    });

    it('refuses a payment before its invoice exists, applies it after, and refunds part of it', async () => {
      // Prepare
      const orderRef = ref('shop');
      const order = await erp.createSalesOrder(
        {
          externalRef: orderRef,
          customerNumber: 'C-000001',
          currency: 'USD',
          lines: [{ sku: 'TR-42-SLATE', quantity: 1 }],
        },
        key(),
      );
      const paymentRef = ref('pi');
      // Act
      const early = erp.applyPayment(
        { externalRef: paymentRef, orderExternalRef: orderRef, amount: order.total, currency: 'USD' },
        key(),
      );
      await expect(early).rejects.toBeInstanceOf(ErpRefusedError);
      await erp.postInvoice(order.number, key());
      const applied = await erp.applyPayment(
        { externalRef: paymentRef, orderExternalRef: orderRef, amount: order.total, currency: 'USD' },
        key(),
      );
      const refund = await erp.refund(
        { externalRef: ref('re'), paymentExternalRef: paymentRef, amount: '10.00', currency: 'USD' },
        key(),
      );
      const invoices = await erp.listDocuments({ type: 'invoice', externalRef: orderRef });
      // Assess
      await expect(early).rejects.toMatchObject({ code: 'no_open_invoice' });
      expect([applied.kind, applied.amount, applied.invoiceStatus]).toEqual(['APPLIED', '97.19', 'PAID']);
      expect([refund.kind, refund.invoiceStatus]).toEqual(['REFUND', 'PARTIALLY_PAID']);
      expect(invoices[0]?.status).toBe('PARTIALLY_PAID');
    });

    it('holds an order for credit, refuses to invoice it, and accepts it once released', async () => {
      const order = await erp.createSalesOrder(
        {
          externalRef: ref('shop'),
          customerNumber: 'C-000002',
          currency: 'USD',
          lines: [{ sku: 'JKT-RAIN-L', quantity: 2 }],
          creditHold: true,
        },
        key(),
      );
      await expect(erp.postInvoice(order.number, key())).rejects.toMatchObject({ code: 'on_credit_hold' });
      const released = await erp.releaseCreditHold(order.number, key());
      expect([order.status, released.status]).toEqual(['CREDIT_HOLD', 'ACCEPTED']);
    });

    it('upserts customers by CRM id, creating accounts it does not know', async () => {
      const updated = await erp.upsertCustomer(
        { crmId: '98134505', fields: { email: 'orders@acme.example' } },
        key(),
      );
      const created = await erp.upsertCustomer(
        { crmId: ref('crm'), fields: { name: 'Hooli', email: 'ap@hooli.example' } },
        key(),
      );
      expect(updated).toMatchObject({
        customerNumber: 'C-000005',
        email: 'orders@acme.example',
        creditLimit: '20000.00',
      });
      expect(created).toMatchObject({ name: 'Hooli', creditLimit: '1000.00', paymentTerms: 'NET30' });
    });

    it('finds customers by email or CRM id, and nothing for an unknown one', async () => {
      expect((await erp.findCustomer({ email: 'JANE.DOE@example.com' }))?.customerNumber).toBe('C-000001');
      expect((await erp.findCustomer({ crmId: '98134503' }))?.creditHold).toBe(true);
      expect(await erp.findCustomer({ email: 'nobody@example.com' })).toBeUndefined();
    });

    it('finds a sales order by external reference, and nothing for an unknown one', async () => {
      const externalRef = ref('shop');
      await erp.createSalesOrder(
        {
          externalRef,
          customerNumber: 'C-000001',
          currency: 'USD',
          lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }],
        },
        key(),
      );
      expect((await erp.findSalesOrder(externalRef))?.externalRef).toBe(externalRef);
      expect(await erp.findSalesOrder('nope')).toBeUndefined();
    });
  });
}
