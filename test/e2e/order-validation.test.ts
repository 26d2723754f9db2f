import { startPlatformWithErp } from './support/deployed-platform';

interface Decision {
  requestId: string;
  decision: 'approved' | 'review' | 'rejected';
  reasons: { code: string; message: string; sku?: string }[];
  customerNumber?: string;
  quote?: { currency: string; total: string; lines: { sku: string; unitPrice: string; available: number }[] };
  availableCredit?: string;
}

describe('POST /orders/validate on the embedded runtime against the ERP sandbox', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;

  beforeAll(async () => {
    running = await startPlatformWithErp();
  }, 120_000);

  afterAll(async () => {
    await running.stop();
  });

  afterEach(async () => {
    await running.erpAdmin.clearFaults();
  });

  async function validate(body: unknown, headers: Record<string, string> = {}) {
    const started = Date.now();
    const response = await fetch(`${running.platform.apiUrl}/orders/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { response, elapsedMs: Date.now() - started, body: (await response.json()) as Decision };
  }

  const janesOrder = {
    customer: { email: 'jane.doe@example.com' },
    currency: 'USD',
    lines: [
      { sku: 'TR-42-SLATE', quantity: 2, unitPrice: '89.99' },
      { sku: 'SOCK-MER-M', quantity: 1 },
    ],
  };

  it('approves an order the ERP would book, with its prices and tax, and books nothing', async () => {
    // Prepare
    const erp = running.erp;
    const stockBefore = await erp.quote({
      customerNumber: 'C-000001',
      currency: 'USD',
      lines: janesOrder.lines,
    });
    // Act
    const { response, body, elapsedMs } = await validate(janesOrder, { 'x-request-id': 'checkout-4711' });
    // Assess
    expect(response.status).toBe(200);
    expect(body).toMatchObject({
      requestId: 'checkout-4711',
      decision: 'approved',
      reasons: [],
      customerNumber: 'C-000001',
      quote: { currency: 'USD', total: '237.57' },
    });
    expect(elapsedMs).toBeLessThan(8000);
    const stockAfter = await erp.quote({
      customerNumber: 'C-000001',
      currency: 'USD',
      lines: janesOrder.lines,
    });
    expect(stockAfter.lines.map((line) => line.available)).toEqual(
      stockBefore.lines.map((line) => line.available),
    );
    expect(await erp.listDocuments({ type: 'sales-order' })).toEqual([]);
  });

  it('rejects an order the stock cannot cover, naming the line', async () => {
    const { body } = await validate({ ...janesOrder, lines: [{ sku: 'TENT-2P', quantity: 3 }] });
    expect(body.decision).toBe('rejected');
    expect(body.reasons).toEqual([
      { code: 'insufficient_stock', sku: 'TENT-2P', message: 'Only 2 of TENT-2P available, 3 requested' },
    ]);
  });

  it('sends an order over the credit limit, or with a price the ERP does not charge, to review', async () => {
    const overLimit = await validate({
      customer: { email: 'ap@globex.example' },
      currency: 'USD',
      lines: [{ sku: 'JKT-RAIN-L', quantity: 2, unitPrice: '1.00' }],
    });
    expect(overLimit.body.decision).toBe('review');
    expect(overLimit.body.reasons.map((reason) => reason.code)).toEqual([
      'credit_limit_exceeded',
      'price_changed',
    ]);
    expect(overLimit.body.reasons[1]?.message).toBe('The ERP price of JKT-RAIN-L is 219.00, not 1.00');
  });

  it('flags a buyer on credit hold and a buyer the ERP does not know', async () => {
    const held = await validate({ ...janesOrder, customer: { email: 'billing@initech.example' } });
    const unknown = await validate({ ...janesOrder, customer: { email: 'new.buyer@example.org' } });
    expect(held.body.reasons.map((reason) => reason.code)).toContain('customer_on_credit_hold');
    expect(held.body.decision).not.toBe('approved');
    expect(unknown.body).toMatchObject({ decision: 'review', reasons: [{ code: 'unknown_customer' }] });
  });

  it('rejects an order the ERP refuses (an unknown SKU) with the ERP’s reason', async () => {
    const { body } = await validate({ ...janesOrder, lines: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] });
    expect(body.decision).toBe('rejected');
    expect(body.reasons).toEqual([{ code: 'erp_refused', message: expect.stringContaining('NO-SUCH-SKU') }]);
  });

  it('answers 400 with every violation for a malformed request', async () => {
    const { response, body } = await validate({
      customer: { email: 'not-an-email' },
      currency: 'usd',
      lines: [{ sku: '', quantity: 0 }],
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect((body as unknown as { violations: { path: string }[] }).violations.map((v) => v.path)).toEqual([
      '/customer/email',
      '/currency',
      '/lines/0/sku',
      '/lines/0/quantity',
    ]);
    expect((await validate('{not json')).response.status).toBe(400);
  });

  it('answers 503 with Retry-After when the ERP is down, within the time budget', async () => {
    // Prepare
    await running.erpAdmin.addFault({ route: '/quotes', kind: '5xx', rate: 1 });
    // Act
    const { response, elapsedMs } = await validate(janesOrder);
    // Assess
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(elapsedMs).toBeLessThan(8000);
  });
});
