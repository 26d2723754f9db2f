import {
  editedReplayMetrics,
  parkedMetrics,
  replayRunMetrics,
} from '../../../functions/replay/replay-metrics';
import { PowertoolsBusinessMetrics } from '../../../functions/shared/observability/powertools-business-metrics';
import { captureEmf, expectLowCardinality } from '../../support/emf';

const queueUrl =
  'https://sqs.eu-west-1.amazonaws.com/123456789012/Concord-prod-Stateless-OrderToCashDlq5D8E2A1B-Xy12Ab34Cd56';

/** Publishes `points` as the replay function does at the end of an invocation, and returns what it wrote. */
function published(points: ReturnType<typeof replayRunMetrics>) {
  const emf = captureEmf();
  const metrics = new PowertoolsBusinessMetrics({ stage: 'prod', serviceName: 'replay' });
  metrics.record(...points);
  metrics.flush();
  const written = emf.metrics();
  expectLowCardinality(written, ['Concord-prod', 'Xy12Ab34Cd56', 'm-1']);
  return written;
}

afterEach(() => jest.restoreAllMocks());

describe('replay metrics', () => {
  it('counts what a run replayed and what it could not, per queue by its logical name', () => {
    // Act
    const written = published(
      replayRunMetrics({
        queue: 'Concord-prod-Stateless-OrderToCashDlq5D8E2A1B-Xy12Ab34Cd56',
        published: 7,
        resumedDeletes: 2,
        failed: [{ messageId: 'm-1', error: 'boom' }],
        notReplayable: 3,
      }),
    );
    // Assess
    expect(written).toEqual([
      expect.objectContaining({
        namespace: 'Concord',
        name: 'MessagesReplayed',
        unit: 'Count',
        value: 9,
        dimensionNames: ['stage', 'queue'],
        dimensions: { stage: 'prod', queue: 'OrderToCashDlq' },
      }),
      expect.objectContaining({
        name: 'MessagesRefused',
        unit: 'Count',
        value: 4,
        dimensions: { stage: 'prod', queue: 'OrderToCashDlq' },
      }),
    ]);
  });

  it('counts an edited letter replayed and letters parked from their queue', () => {
    // Act
    const written = published([
      ...editedReplayMetrics(queueUrl),
      ...parkedMetrics(queueUrl, 2),
      ...parkedMetrics(queueUrl, 0),
    ]);
    // Assess
    expect(written).toEqual([
      expect.objectContaining({
        name: 'MessagesReplayed',
        value: 1,
        dimensions: { stage: 'prod', queue: 'OrderToCashDlq' },
      }),
      expect.objectContaining({
        name: 'MessagesParked',
        unit: 'Count',
        value: 2,
        dimensions: { stage: 'prod', queue: 'OrderToCashDlq' },
      }),
    ]);
  });
});
