import {
  latencyPoint,
  metricPoint,
  orderRefusalReason,
  queueShortName,
  readStage,
  webhookRefusalReason,
} from '../../../functions/shared/observability/business-metrics';
import { PowertoolsBusinessMetrics } from '../../../functions/shared/observability/powertools-business-metrics';
import { captureEmf } from '../../support/emf';

afterEach(() => jest.restoreAllMocks());

describe('PowertoolsBusinessMetrics', () => {
  it('publishes each point in namespace Concord with stage and its own dimensions only, one document per dimension set', () => {
    // Prepare
    const emf = captureEmf();
    const metrics = new PowertoolsBusinessMetrics({ stage: 'prod', serviceName: 'ingest-webhook' });
    metrics.record(
      metricPoint('WebhooksAccepted', { source: 'shopify' }),
      metricPoint('WebhooksRefused', { source: 'stripe', reason: '401' }),
    );
    metrics.record(metricPoint('OrderAcceptedLatency', { flow: 'order-to-cash' }, 1250));
    // Act
    metrics.flush();
    // Assess
    expect(emf.documents()).toHaveLength(3);
    expect(emf.metrics()).toEqual([
      {
        namespace: 'Concord',
        name: 'WebhooksAccepted',
        unit: 'Count',
        value: 1,
        dimensionNames: ['stage', 'source'],
        dimensions: { stage: 'prod', source: 'shopify' },
      },
      {
        namespace: 'Concord',
        name: 'WebhooksRefused',
        unit: 'Count',
        value: 1,
        dimensionNames: ['stage', 'source', 'reason'],
        dimensions: { stage: 'prod', source: 'stripe', reason: '401' },
      },
      {
        namespace: 'Concord',
        name: 'OrderAcceptedLatency',
        unit: 'Milliseconds',
        value: 1250,
        dimensionNames: ['stage', 'flow'],
        dimensions: { stage: 'prod', flow: 'order-to-cash' },
      },
    ]);
  });

  it('publishes the points of one invocation once', () => {
    // Prepare
    const emf = captureEmf();
    const metrics = new PowertoolsBusinessMetrics({ stage: 'dev', serviceName: 'write-back' });
    metrics.record(metricPoint('StatusWrittenBack', { source: 'shopify', status: 'accepted' }));
    // Act
    metrics.flush();
    metrics.flush();
    // Assess
    expect(emf.documents()).toHaveLength(1);
  });

  it('writes nothing, not even a warning, when an invocation recorded nothing', () => {
    // Prepare
    const emf = captureEmf();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const metrics = new PowertoolsBusinessMetrics({ stage: 'dev', serviceName: 'replay' });
    // Act
    metrics.flush();
    // Assess
    expect(emf.lines).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
  });
});

describe('latencyPoint', () => {
  it('measures from the start to the end in milliseconds', () => {
    // Act
    const points = latencyPoint('WriteBackLatency', { source: 'hubspot' }, 1_000, new Date(3_500));
    // Assess
    expect(points).toEqual([
      { name: 'WriteBackLatency', unit: 'Milliseconds', value: 2_500, dimensions: { source: 'hubspot' } },
    ]);
  });

  it('measures nothing when the start is unknown or after the end', () => {
    // Assess
    expect(latencyPoint('WriteBackLatency', { source: 'x' }, undefined, new Date(0))).toEqual([]);
    expect(latencyPoint('WriteBackLatency', { source: 'x' }, Number.NaN, new Date(0))).toEqual([]);
    expect(latencyPoint('WriteBackLatency', { source: 'x' }, 5_000, new Date(1_000))).toEqual([]);
  });
});

describe('queueShortName', () => {
  it.each([
    [
      'https://sqs.eu-west-1.amazonaws.com/123456789012/Concord-prod-Stateless-WarehouseDlq8A1B2C3D-Ab12Cd34Ef56',
      'WarehouseDlq',
    ],
    ['Concord-local-Stateful-ExceptionsQueueE1F2A3B4-0123456789ab', 'ExceptionsQueue'],
    ['Concord-dev-Stateless-OrderToCashDlq', 'OrderToCashDlq'],
    ['ParkingQueue', 'ParkingQueue'],
    [
      'http://127.0.0.1:4566/000000000000/Concord-local-Stateful-ParkingQueue9F8E7D6C-abcdefghijkl',
      'ParkingQueue',
    ],
    ['some queue/with spaces', 'other'],
  ])('names %s %s', (name, short) => {
    // Assess
    expect(queueShortName(name)).toBe(short);
  });
});

describe('refusal reasons', () => {
  it('keeps a webhook refusal to its HTTP status from a fixed set', () => {
    // Assess
    expect([401, 404, 413, 415, 422, 400, 409, 418].map(webhookRefusalReason)).toEqual([
      '401',
      '404',
      '413',
      '415',
      '422',
      '400',
      '409',
      'other',
    ]);
  });

  it('keeps an order refusal to a known reason code, else other', () => {
    // Assess
    expect(orderRefusalReason('ErpRefusedError')).toBe('ErpRefusedError');
    expect(orderRefusalReason('States.Timeout')).toBe('States.Timeout');
    expect(orderRefusalReason('customer 4711 blocked by J. Smith')).toBe('other');
  });
});

describe('readStage', () => {
  it('reads CONCORD_STAGE, and is unknown when the stack did not set it', () => {
    // Assess
    expect(readStage({ CONCORD_STAGE: 'prod' })).toBe('prod');
    expect(readStage({})).toBe('unknown');
  });
});
