import { buildCanonicalEvent } from '../../../functions/shared/events/envelope';
import { PowertoolsBusinessMetrics } from '../../../functions/shared/observability/powertools-business-metrics';
import { statusUpdateFor, writtenBackMetrics } from '../../../functions/write-back/status-update';
import { captureEmf, expectLowCardinality } from '../../support/emf';

const invoiced = buildCanonicalEvent(
  {
    type: 'erp.invoice.posted.v1',
    source: 'erp://sandbox',
    subject: 'invoice/INV-000001',
    time: '2026-11-27T10:00:00.000Z',
    entityVersion: 1,
    data: {
      invoiceNumber: 'INV-000001',
      erpOrderNumber: 'SO-000007',
      sourceOrderId: '1001',
      customerNumber: 'C-000001',
      amount: '10.80',
      tax: '0.80',
      currency: 'USD',
      dueDate: '2026-12-27',
      postedAt: '2026-11-27T10:00:00.000Z',
    } as never,
  },
  {
    id: '01JD0000000000000000000000',
    correlationId: 'corr-1',
    causationId: 'cause-1',
    origin: 'shopify://acme.myshopify.com',
  },
);

afterEach(() => jest.restoreAllMocks());

describe('writtenBackMetrics', () => {
  it('counts the status written back per platform and measures from the ERP event to written', () => {
    // Prepare
    const emf = captureEmf();
    const metrics = new PowertoolsBusinessMetrics({ stage: 'test', serviceName: 'write-back' });
    const update = statusUpdateFor(invoiced);
    if (!update) throw new Error('the invoice should be written back');
    // Act
    metrics.record(...writtenBackMetrics(update, new Date('2026-11-27T10:00:01.500Z')));
    metrics.flush();
    // Assess
    const published = emf.metrics();
    expect(published).toEqual([
      expect.objectContaining({
        namespace: 'Concord',
        name: 'StatusWrittenBack',
        unit: 'Count',
        value: 1,
        dimensionNames: ['stage', 'source', 'status'],
        dimensions: { stage: 'test', source: 'shopify', status: 'invoiced' },
      }),
      expect.objectContaining({
        name: 'WriteBackLatency',
        unit: 'Milliseconds',
        value: 1_500,
        dimensionNames: ['stage', 'source'],
        dimensions: { stage: 'test', source: 'shopify' },
      }),
    ]);
    expectLowCardinality(published, ['corr-1', '1001', 'INV-000001', 'acme']);
  });
});
