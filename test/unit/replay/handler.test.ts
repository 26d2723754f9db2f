import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

const sqs = mockClient(SQSClient);
const dlq =
  'https://sqs.eu-west-1.amazonaws.com/123456789012/Concord-prod-Stateless-OrderToCashDlq5D8E2A1B-Xy12';
const parking =
  'https://sqs.eu-west-1.amazonaws.com/123456789012/Concord-prod-Stateful-ParkingQueue1A2B-Zz99';
const context = { getRemainingTimeInMillis: () => 900_000 } as Context;

async function loadHandler() {
  process.env.EVENT_BUS_NAME = 'concord-prod';
  process.env.OPS_AUDIT_TABLE_NAME = 'audit';
  process.env.VERSION_TABLE_NAME = 'versions';
  process.env.DEAD_LETTER_QUEUE_URLS = JSON.stringify([dlq, parking]);
  process.env.ARCHIVE_BUCKET_NAME = 'archive';
  process.env.QUARANTINE_BUCKET_NAME = 'quarantine';
  return (await import('../../../functions/replay/handler')).handler;
}

afterEach(() => sqs.reset());

describe('replay handler', () => {
  it('rejects a request that names its operator in free text, and touches no queue', async () => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const failure = handler(
      {
        action: 'park',
        queue: 'OrderToCashDlq',
        messageIds: ['m-1'],
        reason: 'INC-7',
        operator: 'jane',
      } as never,
      context,
    );

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'OperatorNotAcceptedError' });
    expect(sqs.calls()).toHaveLength(0);
  });

  it('rejects a park without a caller proof, and touches no queue', async () => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const failure = handler(
      { action: 'park', queue: 'OrderToCashDlq', messageIds: ['m-1'], reason: 'INC-7' },
      context,
    );

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'CallerNotVerifiedError' });
    expect(sqs.calls()).toHaveLength(0);
  });

  it('rejects a real replay without a caller proof, and touches no queue', async () => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const failure = handler({ action: 'replay', queue: 'OrderToCashDlq', reason: 'INC-7' }, context);

    // Assess
    await expect(failure).rejects.toThrow('"callerProof" is required');
    expect(sqs.calls()).toHaveLength(0);
  });
});
