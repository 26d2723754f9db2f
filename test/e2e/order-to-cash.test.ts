import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import type { HttpErpConnector } from '../../functions/shared/erp/http-erp-connector';
import type { FaultKind } from '../../local/erp-sandbox/erp-sandbox-server';
import type { FaultRequest } from '../../local/erp-sandbox/sandbox-admin';
import type { LocalPlatform } from '../../local/platform';
import type { sdkClients } from '../local/support/local-runtime';
import { concord } from './support/concord-cli';
import {
  drainQueue,
  observeBus,
  postHubspotEvents,
  postShopifyOrder,
  postStripeEvent,
  startPlatformWithErp,
} from './support/deployed-platform';
import { eventually } from './support/eventually';
import { shopifyOrder } from './support/shopify-orders';

const refundTemplate = JSON.parse(
  readFileSync(path.join(__dirname, '../fixtures/stripe/charge-refunded.json'), 'utf8'),
);

/** A Stripe charge.refunded: `refundedMinor` more refunded on the charge of `paymentIntentId`. */
function stripeRefund(
  paymentIntentId: string,
  capturedMinor: number,
  refundedMinor: number,
  sourceOrderId: string,
) {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 16);
  return {
    ...refundTemplate,
    id: `evt_${suffix}`,
    data: {
      object: {
        ...refundTemplate.data.object,
        id: `ch_${suffix}`,
        payment_intent: paymentIntentId,
        amount: capturedMinor,
        amount_captured: capturedMinor,
        amount_refunded: refundedMinor,
        refunded: refundedMinor >= capturedMinor,
        metadata: { order_id: sourceOrderId },
      },
      previous_attributes: { amount_refunded: 0, refunded: false },
    },
  };
}

const paymentTemplate = JSON.parse(
  readFileSync(path.join(__dirname, '../fixtures/stripe/payment-intent-succeeded.json'), 'utf8'),
);

/** A Stripe payment_intent.succeeded for a commerce order (Stripe metadata carries the order id), or for none. */
function stripePayment(amountMinor: number, sourceOrderId?: string) {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 16);
  const intent = paymentTemplate.data.object;
  return {
    ...paymentTemplate,
    id: `evt_${suffix}`,
    data: {
      object: {
        ...intent,
        id: `pi_${suffix}`,
        amount: amountMinor,
        amount_received: amountMinor,
        metadata: sourceOrderId ? { order_id: sourceOrderId } : {},
      },
    },
  };
}

describe('order-to-cash on the embedded runtime against the ERP sandbox', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let platform: LocalPlatform;
  let clients: ReturnType<typeof sdkClients>;
  let erp: HttpErpConnector;
  let secret: string;
  let stripeSecret: string;
  let hubspotSecret: string;
  let observerUrl: string;
  const seen: { type: string; subject: string; data: Record<string, unknown> }[] = [];
  const exceptions: Record<string, unknown>[] = [];

  async function drainObserver(): Promise<void> {
    for (const event of (await drainQueue(clients.sqs, observerUrl)) as {
      'detail-type': string;
      detail: { subject: string; data: Record<string, unknown> };
    }[]) {
      seen.push({ type: event['detail-type'], subject: event.detail.subject, data: event.detail.data });
    }
  }

  async function erpEvent(type: string, subject: string) {
    return eventually(async () => {
      await drainObserver();
      return seen.find((event) => event.type === type && event.subject === subject);
    });
  }

  /** erp.invoice.posted is about the invoice (its subject), so it is found by the order it names. */
  async function invoicePostedFor(order: { id: number }) {
    return eventually(async () => {
      await drainObserver();
      return seen.find(
        (event) => event.type === 'erp.invoice.posted.v1' && event.data.sourceOrderId === String(order.id),
      );
    });
  }

  /** The exceptions-queue message about a business key; every message read is kept, so no test takes another's. */
  async function exceptionsQueueUrl(): Promise<string> {
    const { QueueUrls = [] } = await clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'Concord-local-Stateful-ExceptionsQueue' }),
    );
    return QueueUrls[0] as string;
  }

  async function stateMachineArn(workflow: string): Promise<string> {
    const { stateMachines = [] } = await clients.sfn.send(new ListStateMachinesCommand({}));
    return stateMachines.find((machine) => machine.name?.includes(workflow))?.stateMachineArn as string;
  }

  /** A succeeded execution of a workflow whose input matches (the embedded runtime lists Express executions). */
  async function succeededExecution(workflow: string, matches: (input: string) => boolean) {
    const stateMachine = await stateMachineArn(workflow);
    return eventually(async () => {
      const { executions = [] } = await clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: stateMachine }),
      );
      for (const { executionArn } of executions) {
        const described = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (described.status === 'SUCCEEDED' && matches(described.input ?? '')) return described;
      }
      return undefined;
    });
  }

  async function exceptionFor(businessKey: string) {
    const queueUrl = await exceptionsQueueUrl();
    return eventually(async () => {
      exceptions.push(...((await drainQueue(clients.sqs, queueUrl)) as Record<string, unknown>[]));
      return exceptions.find((body) => body.businessKey === businessKey);
    });
  }

  /** What the write-back told the platforms about one of their records, once it holds `statuses`. */
  async function writtenBack(externalRef: string, statuses: string[]) {
    return eventually(async () => {
      const { updates } = (await (
        await fetch(`${running.erpUrl}/platform-outbox?externalRef=${encodeURIComponent(externalRef)}`)
      ).json()) as { updates: { status: string; platform: string; fields: Record<string, string> }[] };
      const written = updates.map((update) => update.status);
      return statuses.every((status) => written.includes(status)) ? updates : undefined;
    });
  }

  async function pay(payment: Record<string, unknown>) {
    const response = await postStripeEvent(platform.apiUrl, stripeSecret, JSON.stringify(payment));
    expect(response.status).toBe(202);
  }

  /** A HubSpot contact property change of Jane Doe (CRM 98134501, ERP C-000001), as HubSpot sends it. */
  async function changeContact(propertyName: string, propertyValue: string) {
    const eventId = Math.floor(Math.random() * 1e9);
    const change = {
      eventId,
      subscriptionId: 2871206,
      portalId: 44219876,
      appId: 3120055,
      occurredAt: Date.now(),
      subscriptionType: 'contact.propertyChange',
      attemptNumber: 0,
      objectId: 98134501,
      propertyName,
      propertyValue,
      changeSource: 'CRM_UI',
    };
    const response = await postHubspotEvents(platform.apiUrl, hubspotSecret, JSON.stringify([change]));
    expect(response.status).toBe(202);
  }

  async function send(order: Record<string, unknown>, topic = 'orders/create') {
    const response = await postShopifyOrder(
      platform.apiUrl,
      secret,
      JSON.stringify(order),
      randomUUID(),
      topic,
    );
    expect(response.status).toBe(202);
  }

  beforeAll(async () => {
    // Ten times faster local time: back-offs and the outbox relay's schedule take seconds, not minutes.
    running = await startPlatformWithErp({ clockFactor: 10 });
    ({ platform, clients } = running);
    erp = running.erp;
    secret = running.secrets.shopify?.[0] as string;
    stripeSecret = running.secrets.stripe?.[0] as string;
    hubspotSecret = running.secrets.hubspot?.[0] as string;
    observerUrl = await observeBus(clients, 'observe-erp', { source: ['concord.erp'] });
  }, 120_000);

  afterAll(async () => {
    await running.stop();
  });

  afterEach(async () => {
    await running.erpAdmin.clearFaults();
  });

  it('HappyPath: books the order, invoices it and publishes the authoritative events', async () => {
    // Prepare
    const order = shopifyOrder();
    // Act
    await send(order);
    const accepted = await erpEvent('erp.order.accepted.v1', `order/${order.id}`);
    const posted = await invoicePostedFor(order);
    const documents = await erp.listDocuments({ externalRef: String(order.id) });
    // Assess: the ERP's prices and tax, not the shop's, are the booked figures.
    expect(accepted.data).toMatchObject({
      customerNumber: 'C-000001',
      subtotal: '219.97',
      tax: '17.60',
      total: '237.57',
    });
    expect(posted.data).toMatchObject({ amount: '237.57', customerNumber: 'C-000001' });
    expect(documents.map((document) => [document.type, document.status])).toEqual([
      ['sales-order', 'INVOICED'],
      ['invoice', 'OPEN'],
    ]);
  });

  it('WriteBack: the shop hears that its order was accepted and invoiced, once each', async () => {
    // Act
    const order = shopifyOrder();
    await send(order);
    const posted = await invoicePostedFor(order);
    const updates = await writtenBack(String(order.id), ['accepted', 'invoiced']);
    // Assess: written to the shop the order came from, with the ERP's document numbers.
    expect(updates.map((update) => [update.platform, update.status])).toEqual([
      ['shopify', 'accepted'],
      ['shopify', 'invoiced'],
    ]);
    expect(updates[1]?.fields).toEqual({
      erp_status: 'invoiced',
      erp_invoice_number: posted.data.invoiceNumber,
      erp_due_date: posted.data.dueDate,
    });
  });

  it('LoadedIntoWarehouse: the order and the ERP answers reach the warehouse, queryable with concord warehouse', async () => {
    // Act
    const order = shopifyOrder();
    await send(order);
    await invoicePostedFor(order);
    const query = `select event_type from raw_events where correlationid =
      (select correlationid from raw_events where subject = 'order/${order.id}' limit 1) order by 1`;
    // Assess: the stream delivers every 60 local seconds (6 s here).
    const types = await eventually(async () => {
      const { code, stdout } = await concord([
        'warehouse',
        'sql',
        query,
        '--data-dir',
        platform.runtime.options.dataDir,
        '--json',
      ]);
      const rows = code === 0 ? (JSON.parse(stdout) as { event_type: string }[]) : [];
      return rows.length >= 3 ? rows.map((row) => row.event_type) : undefined;
    }, 60_000);
    expect(types).toEqual(['commerce.order.placed.v1', 'erp.invoice.posted.v1', 'erp.order.accepted.v1']);
  }, 90_000);

  it('DuplicateDelivery: a redelivered webhook books nothing twice', async () => {
    const order = shopifyOrder();
    const body = JSON.stringify(order);
    const deliveryId = randomUUID();
    await postShopifyOrder(platform.apiUrl, secret, body, deliveryId);
    const again = await postShopifyOrder(platform.apiUrl, secret, body, deliveryId);
    await erpEvent('erp.order.accepted.v1', `order/${order.id}`);
    expect(again.status).toBe(200);
    expect((await erp.listDocuments({ type: 'sales-order', externalRef: String(order.id) })).length).toBe(1);
  });

  it('CreditHoldThenRelease: holds the order, and invoices it once finance releases the hold', async () => {
    // Prepare: Globex's limit is 250.00 USD.
    const order = shopifyOrder({
      email: 'ap@globex.example',
      lines: [{ sku: 'JKT-RAIN-L', quantity: 2, price: '219.00' }],
    });
    await send(order);
    const held = await erpEvent('erp.order.credit-held.v1', `order/${order.id}`);
    // Act
    await running.erpAdmin.releaseCreditHold(String(held.data.erpOrderNumber));
    const released = await erpEvent('erp.order.credit-released.v1', `order/${order.id}`);
    const invoice = await eventually(
      async () => (await erp.listDocuments({ type: 'invoice', externalRef: String(order.id) }))[0],
    );
    // Assess
    expect(held.data).toMatchObject({
      customerNumber: 'C-000002',
      total: '473.04',
      reason: 'credit limit exceeded',
    });
    expect(released.data).toMatchObject({ erpOrderNumber: held.data.erpOrderNumber, releasedBy: 'finance' });
    expect(invoice).toMatchObject({ amount: '473.04', status: 'OPEN' });
    // The continuation started by the ERP's release still writes back to the shop the order came from.
    const updates = await writtenBack(String(order.id), ['credit-held', 'invoiced']);
    expect(new Set(updates.map((update) => update.platform))).toEqual(new Set(['shopify']));
  });

  it('OutOfStock: rejects the order with the reason and records the exception', async () => {
    // Act
    const order = shopifyOrder({ lines: [{ sku: 'TENT-2P', quantity: 3, price: '349.00' }] });
    await send(order);
    const rejected = await erpEvent('erp.order.rejected.v1', `order/${order.id}`);
    const exception = await exceptionFor(`order/${order.id}`);
    // Assess
    expect(rejected.data).toMatchObject({
      reasonCode: 'ErpRefusedError',
      failedStep: 'Reserve',
      compensated: [],
    });
    expect(exception).toMatchObject({
      flow: 'order-to-cash',
      failedStep: 'Reserve',
      error: { Error: 'ErpRefusedError' },
    });
    expect(await erp.listDocuments({ type: 'sales-order', externalRef: String(order.id) })).toEqual([]);
  });

  it('ErpDownThenRecovers: retries through an ERP outage and books the order once', async () => {
    // Prepare
    await running.erpAdmin.addFault({ route: '/sales-orders', kind: '5xx', rate: 1, times: 3 });
    const order = shopifyOrder();
    // Act
    await send(order);
    await erpEvent('erp.order.accepted.v1', `order/${order.id}`);
    // Assess
    const faults = await running.erpAdmin.faults();
    await running.erpAdmin.clearFaults();
    expect(faults).toEqual([expect.objectContaining({ fired: 3 })]);
    expect((await erp.listDocuments({ type: 'sales-order', externalRef: String(order.id) })).length).toBe(1);
  });

  it('PaymentApplied: a captured payment settles the invoice of its order', async () => {
    // Prepare
    const order = shopifyOrder();
    await send(order);
    const invoice = await invoicePostedFor(order);
    const payment = stripePayment(Math.round(Number(invoice.data.amount) * 100), String(order.id));
    // Act
    await pay(payment);
    const applied = await erpEvent('erp.payment.applied.v1', `payment/${payment.data.object.id}`);
    // Assess
    expect(applied.data).toMatchObject({
      paymentId: payment.data.object.id,
      invoiceNumber: invoice.data.invoiceNumber,
      kind: 'APPLIED',
      amount: invoice.data.amount,
      invoiceStatus: 'PAID',
    });
  });

  it('PaymentBeforeInvoice: holds a payment that arrives before its order, and applies it once invoiced', async () => {
    // Prepare: the ERP prices the default lines at 237.57 with tax.
    const order = shopifyOrder();
    const payment = stripePayment(23757, String(order.id));
    // Act: the payment first, the order a moment later.
    await pay(payment);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await send(order);
    const applied = await erpEvent('erp.payment.applied.v1', `payment/${payment.data.object.id}`);
    // Assess
    const [invoice] = await erp.listDocuments({ type: 'invoice', externalRef: String(order.id) });
    expect([applied.data.invoiceNumber, applied.data.invoiceStatus]).toEqual([invoice?.number, 'PAID']);
    expect((await erp.listDocuments({ type: 'payment', externalRef: payment.data.object.id })).length).toBe(
      1,
    );
  });

  it('PaymentUnmatched: a payment that names no order goes to the exceptions queue, not the ERP', async () => {
    const payment = stripePayment(1000);
    await pay(payment);
    const exception = await exceptionFor(`payment/${payment.data.object.id}`);
    expect(exception).toMatchObject({
      flow: 'payment-application',
      failedStep: 'applyPayment',
      error: { Error: 'ErpRefusedError' },
    });
    expect(await erp.listDocuments({ type: 'payment', externalRef: payment.data.object.id })).toEqual([]);
  });

  it('CustomerSynced: a phone number changed in the CRM reaches the ERP account', async () => {
    // Act
    await changeContact('phone', '+1 416 555 0199');
    const synced = await erpEvent('erp.customer.synced.v1', 'customer/C-000001');
    // Assess
    expect(synced.data).toMatchObject({
      crmContactId: '98134501',
      appliedFields: ['phone'],
      refusedFields: [],
    });
    expect(await erp.findCustomer({ crmId: '98134501' })).toMatchObject({ phone: '+1 416 555 0199' });
    const [linked] = await writtenBack('98134501', ['customer-linked']);
    expect(linked).toMatchObject({ platform: 'hubspot', fields: { erp_customer_number: 'C-000001' } });
  });

  it('WriteBackEchoDropped: the CRM reporting our own write-back of the ERP customer number is not a conflict', async () => {
    // Prepare: the write-back has set erp_customer_number on the contact (CustomerSynced).
    await writtenBack('98134501', ['customer-linked']);
    // Act: HubSpot reports that change back, as it does for any property write.
    await changeContact('erp_customer_number', 'C-000001');
    const execution = await succeededExecution('CustomerSync', (input) =>
      input.includes('"erp_customer_number"'),
    );
    // Assess: dropped as an echo, nothing refused, nothing queued as an exception.
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      echoesDropped: ['customerNumber'],
      refused: [],
    });
    exceptions.push(
      ...((await drainQueue(clients.sqs, await exceptionsQueueUrl())) as Record<string, unknown>[]),
    );
    expect(exceptions.filter((body) => JSON.stringify(body.error).includes('customerNumber'))).toEqual([]);
  });

  it('ForeignFieldRefused: a credit limit edited in the CRM is refused and recorded, the ERP keeps its own', async () => {
    // Prepare
    const before = await erp.findCustomer({ crmId: '98134501' });
    // Act
    await changeContact('credit_limit', '999999');
    const exception = await exceptionFor('customer/hubspot-98134501');
    // Assess
    expect(exception).toMatchObject({
      flow: 'customer-sync',
      failedStep: 'Ownership',
      error: { Error: 'ForeignFieldRefused', Cause: expect.stringContaining('creditLimit') },
    });
    expect((await erp.findCustomer({ crmId: '98134501' }))?.creditLimit).toBe(before?.creditLimit);
  });

  it('AmendBeforePlaced: an amendment that overtakes its order has the order booked with the amended lines', async () => {
    // Prepare: the order would be invoiced at once, after which the ERP refuses any amendment.
    const placed = shopifyOrder({ lines: [{ sku: 'JKT-RAIN-L', quantity: 2, price: '219.00' }] });
    const amended = {
      ...shopifyOrder({
        lines: [
          { sku: 'JKT-RAIN-L', quantity: 1, price: '219.00' },
          { sku: 'CAP-WOOL-OS', quantity: 1, price: '19.95' },
        ],
      }),
      id: placed.id,
      name: placed.name,
      updated_at: '2026-11-20T09:30:00-05:00',
    };
    // Act: the amendment first, its order a moment later.
    await send(amended, 'orders/updated');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await send(placed);
    const invoice = await invoicePostedFor(placed);
    const amendment = await succeededExecution(
      'OrderToCash',
      (input) => input.includes('commerce.order.amended.v1') && input.includes(String(placed.id)),
    );
    // Assess: booked and invoiced once, with the amended lines; the amendment found nothing left to change.
    const order = await erp.findSalesOrder(String(placed.id));
    expect(order?.lines.map((line) => [line.sku, line.quantity])).toEqual([
      ['JKT-RAIN-L', 1],
      ['CAP-WOOL-OS', 1],
    ]);
    expect(invoice.data).toMatchObject({ erpOrderNumber: order?.number, amount: order?.total });
    expect(JSON.parse(amendment.output ?? '{}')).toMatchObject({ outcome: 'unchanged' });
    expect(await erp.listDocuments({ type: 'invoice', externalRef: String(placed.id) })).toHaveLength(1);
  });

  it('OrderCancelled: a cancellation on the shop cancels the sales order not yet invoiced', async () => {
    // Prepare
    const placed = shopifyOrder({
      email: 'ap@globex.example',
      lines: [{ sku: 'JKT-RAIN-L', quantity: 2, price: '219.00' }],
    });
    await send(placed);
    await erpEvent('erp.order.credit-held.v1', `order/${placed.id}`);
    // Act
    await send(
      {
        ...placed,
        cancelled_at: '2026-11-20T10:00:00-05:00',
        cancel_reason: 'customer',
        updated_at: '2026-11-20T10:00:00-05:00',
      },
      'orders/cancelled',
    );
    const cancelled = await erpEvent('erp.order.cancelled.v1', `order/${placed.id}`);
    // Assess
    expect(cancelled.data).toMatchObject({ reason: 'customer' });
    expect((await erp.findSalesOrder(String(placed.id)))?.status).toBe('CANCELLED');
  });

  it('StaleUpdateDropped: an older version of an order arriving late is dropped and recorded, not booked', async () => {
    // Prepare: the newer version is booked first.
    const newer = { ...shopifyOrder(), updated_at: '2026-11-20T09:20:00-05:00' };
    await send(newer);
    await erpEvent('erp.order.accepted.v1', `order/${newer.id}`);
    const { TableNames = [] } = await clients.dynamodb.send(new ListTablesCommand({}));
    const versionTable = TableNames.find((name) => name.includes('VersionTable')) as string;
    // Act: a delayed delivery of the order as it was five minutes earlier (another webhook id, so ingest accepts it).
    await send({ ...newer, updated_at: '2026-11-20T09:15:00-05:00' });
    // Assess
    const record = await eventually(async () => {
      const { Item } = await clients.dynamodb.send(
        new GetItemCommand({ TableName: versionTable, Key: { subject: { S: `order/${newer.id}` } } }),
      );
      return Item?.staleDrops ? Item : undefined;
    });
    expect([record.staleDrops?.N, record.lastStaleVersion?.N, record.entityVersion?.N]).toEqual([
      '1',
      // Shopify versions are updated_at's second in version ticks (these posts carry no X-Shopify-Triggered-At).
      String(Date.parse('2026-11-20T09:15:00-05:00') * 1000),
      String(Date.parse('2026-11-20T09:20:00-05:00') * 1000),
    ]);
    expect((await erp.listDocuments({ type: 'sales-order', externalRef: String(newer.id) })).length).toBe(1);
  });

  it('RetryOnThrottle: waits out the ERP throttling, honouring Retry-After, and books the order once', async () => {
    // Prepare: three throttled answers, more than the adapter's own pauses, so the workflow's Retry takes over too.
    await running.erpAdmin.addFault({
      route: '/sales-orders',
      kind: '429',
      rate: 1,
      retryAfterSec: 1,
      times: 3,
    });
    const order = shopifyOrder();
    // Act
    const started = Date.now();
    await send(order);
    await erpEvent('erp.order.accepted.v1', `order/${order.id}`);
    // Assess
    const faults = await running.erpAdmin.faults();
    await running.erpAdmin.clearFaults();
    expect(faults).toEqual([expect.objectContaining({ fired: 3 })]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // two in-invocation pauses of Retry-After: 1
    expect((await erp.listDocuments({ type: 'sales-order', externalRef: String(order.id) })).length).toBe(1);
  });

  async function fault(body: FaultRequest): Promise<void> {
    await running.erpAdmin.addFault(body);
  }

  async function firedFaults(): Promise<{ route: string; fired: number }[]> {
    return running.erpAdmin.faults();
  }

  /** What the bus carried about an order, by type, after its invoice was announced. */
  async function announcedAbout(order: { id: number }): Promise<string[]> {
    await drainObserver();
    return seen.filter((event) => event.subject === `order/${order.id}`).map((event) => event.type);
  }

  it('CompensateAfterOrderCreated: cancels the sales order when the ERP refuses to invoice it, then rejects', async () => {
    // Prepare
    await fault({ route: '/invoices', kind: 'refuse', rate: 1 });
    const order = shopifyOrder();
    // Act
    await send(order);
    const rejected = await erpEvent('erp.order.rejected.v1', `order/${order.id}`);
    const [salesOrder] = await erp.listDocuments({ type: 'sales-order', externalRef: String(order.id) });
    // Assess
    expect(rejected.data).toMatchObject({
      reasonCode: 'ErpRefusedError',
      failedStep: 'PostInvoice',
      compensated: ['CancelSalesOrder'],
    });
    expect(salesOrder?.status).toBe('CANCELLED');
    expect(seen.map(({ type, subject }) => ({ type, subject }))).toContainEqual({
      type: 'erp.order.cancelled.v1',
      subject: `order/${order.id}`,
    });
  });

  it.each<[string, FaultKind]>([
    ['/sales-orders', '5xx-after-commit'],
    ['/reservations', 'reset-after-commit'],
    ['/invoices', 'timeout-after-commit'],
  ])(
    'LostAnswerAfterCommit on %s (%s): continues with what the ERP committed, announces it once, rejects nothing',
    async (route, kind) => {
      // Prepare: the ERP commits, then the answer is lost (the adapter's deadline is 5 s)
      await fault({ route, kind, rate: 1, times: 1, latencyMs: 6000 });
      const order = shopifyOrder();
      // Act
      await send(order);
      await invoicePostedFor(order);
      const documents = await erp.listDocuments({ externalRef: String(order.id) });
      // Assess
      expect((await firedFaults())[0]?.fired).toBe(1);
      expect(documents.map((document) => `${document.type} ${document.status}`).sort()).toEqual([
        'invoice OPEN',
        'sales-order INVOICED',
      ]);
      expect(await announcedAbout(order)).toEqual(['erp.order.accepted.v1']);
    },
  );

  it("AnswerLostAndErpUnreadable: the retry under the same key gets the ERP's own answer; booked once, never compensated", async () => {
    // Prepare: the order's answer is lost and the ERP cannot be asked about it
    await fault({ route: '/sales-orders', kind: '5xx-after-commit', rate: 1, times: 1 });
    await fault({ route: '/idempotency-keys/*', kind: '5xx', rate: 1 });
    const order = shopifyOrder();
    // Act
    await send(order);
    await invoicePostedFor(order);
    // Assess
    expect((await erp.listDocuments({ type: 'sales-order', externalRef: String(order.id) })).length).toBe(1);
    expect(await announcedAbout(order)).toEqual(['erp.order.accepted.v1']);
  });

  it('ErpOutageOutlastsRetries: the transaction leaves for the redrive queue and is invoiced once the ERP is back', async () => {
    // Prepare: more failures than one execution's retries (six attempts) absorb
    await fault({ route: '/invoices', kind: '5xx', rate: 1, times: 8 });
    const order = shopifyOrder();
    // Act
    await send(order);
    const posted = await invoicePostedFor(order);
    // Assess
    const deferred = await succeededExecution(
      'OrderToCash',
      (input) => input.includes(`"attempt":1`) && input.includes(String(order.id)),
    );
    expect((await firedFaults())[0]?.fired).toBe(8);
    expect(posted.data).toMatchObject({ sourceOrderId: String(order.id) });
    expect(JSON.parse(deferred.input ?? '{}').redrive).toMatchObject({ attempt: 1, resumeAt: 'PostInvoice' });
    expect(await announcedAbout(order)).toEqual(['erp.order.accepted.v1']);
  }, 120_000);

  it('LostAnswerAfterCommit on /payments: the payment is applied once and announced once', async () => {
    // Prepare
    const order = shopifyOrder();
    await send(order);
    const invoice = await invoicePostedFor(order);
    const payment = stripePayment(Math.round(Number(invoice.data.amount) * 100), String(order.id));
    await fault({ route: '/payments', kind: '5xx-after-commit', rate: 1, times: 1 });
    // Act
    await pay(payment);
    const applied = await erpEvent('erp.payment.applied.v1', `payment/${payment.data.object.id}`);
    // Assess
    expect((await firedFaults())[0]?.fired).toBe(1);
    expect(applied.data).toMatchObject({ kind: 'APPLIED', invoiceStatus: 'PAID' });
    const payments = await erp.listDocuments({ type: 'payment', externalRef: payment.data.object.id });
    expect(payments).toHaveLength(1);
    expect(seen.filter((event) => event.subject === `payment/${payment.data.object.id}`)).toHaveLength(1);
  });

  it('LostAnswerAfterCommit on /refunds: the refund is booked once and announced once', async () => {
    // Prepare: an invoiced, paid order
    const order = shopifyOrder();
    await send(order);
    const invoice = await invoicePostedFor(order);
    const capturedMinor = Math.round(Number(invoice.data.amount) * 100);
    const payment = stripePayment(capturedMinor, String(order.id));
    await pay(payment);
    await erpEvent('erp.payment.applied.v1', `payment/${payment.data.object.id}`);
    await fault({ route: '/refunds', kind: 'timeout-after-commit', rate: 1, times: 1, latencyMs: 6000 });
    // Act
    await pay(stripeRefund(payment.data.object.id, capturedMinor, 1000, String(order.id)));
    const refunded = await eventually(async () => {
      await drainObserver();
      return seen.find(
        (event) => event.subject === `payment/${payment.data.object.id}` && event.data.kind === 'REFUND',
      );
    });
    // Assess
    expect((await firedFaults())[0]?.fired).toBe(1);
    expect(refunded.data).toMatchObject({ amount: '10.00', invoiceStatus: 'PARTIALLY_PAID' });
    expect(seen.filter((event) => event.subject === `payment/${payment.data.object.id}`)).toHaveLength(2);
  }, 60_000);

  it('LostAnswerAfterCommit on /customers: the CRM change reaches the ERP and is announced', async () => {
    // Prepare
    const phone = `+1 416 555 ${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    await drainObserver();
    const syncedBefore = seen.filter((event) => event.type === 'erp.customer.synced.v1').length;
    await fault({ route: '/customers', kind: 'reset-after-commit', rate: 1, times: 1 });
    // Act
    await changeContact('phone', phone);
    await eventually(async () => {
      await drainObserver();
      return (
        seen.filter((event) => event.type === 'erp.customer.synced.v1').length > syncedBefore || undefined
      );
    });
    // Assess
    expect((await firedFaults())[0]?.fired).toBe(1);
    expect(await erp.findCustomer({ crmId: '98134501' })).toMatchObject({ phone });
  });

  it('UnknownOutcomeAfterBudget: nothing compensated, nothing refused; the case waits in the exceptions queue', async () => {
    // Prepare: every answer to the order's creation is lost after the ERP booked it, and the ERP cannot be read
    await fault({ route: '/sales-orders', kind: '5xx-after-commit', rate: 1 });
    await fault({ route: '/idempotency-keys/*', kind: '5xx', rate: 1 });
    const order = shopifyOrder();
    await send(order);
    const firstRedrive = await executionInputWith(String(order.id), '"attempt":1');
    const lastAttempt = JSON.parse(firstRedrive);
    lastAttempt.redrive.attempt = 8;
    // Act: the last redrive the budget allows
    await clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: await stateMachineArn('OrderToCash'),
        name: `last-redrive-${order.id}`,
        input: JSON.stringify(lastAttempt),
      }),
    );
    const exception = await eventually(async () => {
      const found = await exceptionFor(`order/${order.id}`);
      return found.outcome === 'unknown-outcome' ? found : undefined;
    }, 60_000);
    // Assess: the ERP holds the order it booked; nothing undid it or announced it refused
    expect(exception).toMatchObject({
      outcome: 'unknown-outcome',
      failedStep: 'CreateSalesOrder',
      compensated: [],
    });
    // Unknown either way: the answer was lost, or the redrive still running for the same order holds the step.
    expect(['ErpOutcomeUnknownError', 'IdempotencyAlreadyInProgressError']).toContain(
      (exception.error as { Error: string }).Error,
    );
    const [salesOrder] = await erp.listDocuments({ type: 'sales-order', externalRef: String(order.id) });
    expect(salesOrder?.status).toBe('ACCEPTED');
    expect(await announcedAbout(order)).not.toContain('erp.order.rejected.v1');
  }, 120_000);

  /** The input of an execution (of any status) whose input holds both parts. */
  async function executionInputWith(part: string, other: string): Promise<string> {
    const stateMachine = await stateMachineArn('OrderToCash');
    return eventually(async () => {
      const { executions = [] } = await clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: stateMachine }),
      );
      for (const { executionArn } of executions) {
        const { input = '' } = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (input.includes(part) && input.includes(other)) return input;
      }
      return undefined;
    }, 60_000);
  }
});
