import { createWebhookHandler } from '../../../functions/ingest-webhook/http-adapter';
import type { IngestOutcome } from '../../../functions/ingest-webhook/receive-webhook';
import {
  DeliveryInProgressError,
  DownstreamUnavailableError,
  MalformedPayloadError,
  PayloadTooLargeError,
  SchemaViolationError,
  SignatureInvalidError,
  UnknownSourceError,
  UnsupportedMediaTypeError,
} from '../../../functions/shared/errors';
import { PowertoolsBusinessMetrics } from '../../../functions/shared/observability/powertools-business-metrics';
import type { WebhookRequest } from '../../../functions/shared/sources/webhook-request';
import { apiGatewayEvent } from '../../support/api-gateway-event';
import { captureEmf, expectLowCardinality } from '../../support/emf';
import { RecordingLogger } from '../../support/in-memory-ports';

const now = new Date('2026-11-20T15:00:00Z');
const knownSources = new Set(['shopify', 'stripe']);
const delivery = {
  deliveryId: 'd-1',
  eventId: '01KAHZ8V0000000000000000EV',
  correlationId: '01KAHZ8V00000000000000CORR',
};

function request(sourceName: string): WebhookRequest {
  return {
    sourceName,
    method: 'POST',
    url: `https://api.example.com/webhooks/${sourceName}`,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from('{}'),
    receivedAt: now,
  };
}

/** Answers one webhook from `sourceName` whose use case ends with `outcome`, and returns what the edge published. */
async function metricsOfAnswer(sourceName: string, outcome: IngestOutcome | Error) {
  const emf = captureEmf();
  const metrics = new PowertoolsBusinessMetrics({ stage: 'test', serviceName: 'ingest-webhook' });
  const handle = createWebhookHandler(
    async () => {
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    new RecordingLogger(),
    () => now,
    { metrics, knownSources },
  );
  const result = await handle(apiGatewayEvent(request(sourceName)));
  metrics.flush();
  const published = emf.metrics();
  expectLowCardinality(published, [
    delivery.deliveryId,
    delivery.eventId,
    delivery.correlationId,
    'x-7f3a9c',
  ]);
  return { status: result.statusCode, published };
}

afterEach(() => jest.restoreAllMocks());

describe('createWebhookHandler metrics', () => {
  it('counts an accepted webhook per source', async () => {
    // Act
    const { status, published } = await metricsOfAnswer('shopify', {
      kind: 'accepted',
      deliveries: [delivery],
      ignored: [],
    } as unknown as IngestOutcome);
    // Assess
    expect(status).toBe(202);
    expect(published).toEqual([
      expect.objectContaining({
        namespace: 'Concord',
        name: 'WebhooksAccepted',
        unit: 'Count',
        value: 1,
        dimensions: { stage: 'test', source: 'shopify' },
      }),
    ]);
  });

  it('counts a provider retry of a published delivery as a duplicate', async () => {
    // Act
    const { status, published } = await metricsOfAnswer('stripe', {
      kind: 'duplicate',
      deliveries: [delivery],
    } as unknown as IngestOutcome);
    // Assess
    expect(status).toBe(200);
    expect(published).toEqual([
      expect.objectContaining({
        name: 'WebhooksDuplicate',
        unit: 'Count',
        value: 1,
        dimensions: { stage: 'test', source: 'stripe' },
      }),
    ]);
  });

  it.each([
    ['a bad signature', new SignatureInvalidError('bad signature'), 401],
    ['a wrong content type', new UnsupportedMediaTypeError('text/plain'), 415],
    ['an oversized body', new PayloadTooLargeError(2_000_000, 1_048_576), 413],
    ['a schema violation', new SchemaViolationError('violates', [{ path: '/id', message: 'required' }]), 422],
    ['a malformed body', new MalformedPayloadError('not JSON'), 400],
    ['a delivery in progress', new DeliveryInProgressError('d-1'), 409],
  ])('counts %s as refused with its HTTP status as the reason', async (_what, error, status) => {
    // Act
    const answer = await metricsOfAnswer('shopify', error);
    // Assess
    expect(answer.status).toBe(status);
    expect(answer.published).toEqual([
      expect.objectContaining({
        name: 'WebhooksRefused',
        unit: 'Count',
        value: 1,
        dimensionNames: ['stage', 'source', 'reason'],
        dimensions: { stage: 'test', source: 'shopify', reason: String(status) },
      }),
    ]);
  });

  it('counts a webhook for a source nobody registered under source unknown, not under the path it named', async () => {
    // Act
    const { status, published } = await metricsOfAnswer(
      'x-7f3a9c-anything',
      new UnknownSourceError('x-7f3a9c-anything'),
    );
    // Assess
    expect(status).toBe(404);
    expect(published).toEqual([
      expect.objectContaining({
        name: 'WebhooksRefused',
        dimensions: { stage: 'test', source: 'unknown', reason: '404' },
      }),
    ]);
  });

  it('counts a 503 as unavailable and a 500 as failed', async () => {
    // Act
    const unavailable = await metricsOfAnswer('stripe', new DownstreamUnavailableError('EventBridge'));
    const failed = await metricsOfAnswer('stripe', new Error('bug'));
    // Assess
    expect(unavailable.status).toBe(503);
    expect(unavailable.published).toEqual([
      expect.objectContaining({
        name: 'WebhooksUnavailable',
        unit: 'Count',
        value: 1,
        dimensions: { stage: 'test', source: 'stripe' },
      }),
    ]);
    expect(failed.status).toBe(500);
    expect(failed.published).toEqual([
      expect.objectContaining({ name: 'WebhooksFailed', dimensions: { stage: 'test', source: 'stripe' } }),
    ]);
  });

  it('counts nothing for a webhook with nothing to publish', async () => {
    // Act
    const { status, published } = await metricsOfAnswer('shopify', {
      kind: 'ignored',
      ignored: ['topic'],
    } as unknown as IngestOutcome);
    // Assess
    expect(status).toBe(200);
    expect(published).toEqual([]);
  });
});
