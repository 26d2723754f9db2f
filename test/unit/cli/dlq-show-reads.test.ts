/** `concord dlq show` reads only queues where a read's receive count moves nothing: none with a redrive policy. */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { RedrivenQueueReadRefusedError, refuseRedrivenQueue } from '../../../cli/commands/dlq';

const sqs = mockClient(SQSClient);
const workQueue =
  'http://127.0.0.1:4566/000000000000/Concord-local-Stateless-ItemWriteBackQueue1A2B3C4D-Xy12';
const exceptionsQueue =
  'http://127.0.0.1:4566/000000000000/Concord-local-Stateful-ExceptionsQueue11F5B242-Ab34';

describe('refuseRedrivenQueue', () => {
  afterEach(() => sqs.reset());

  it('lets a queue without a redrive policy be read, asking only for that attribute', async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
    // Act
    const check = refuseRedrivenQueue(new SQSClient({}), exceptionsQueue);
    // Assess
    await expect(check).resolves.toBeUndefined();
    expect(sqs.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: exceptionsQueue, AttributeNames: ['RedrivePolicy'] },
    ]);
  });

  it('rejects a queue with a redrive policy, naming its maxReceiveCount, as a refusal (exit 2)', async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:ItemWriteBackDlq',
          maxReceiveCount: 7,
        }),
      },
    });
    // Act
    const check = refuseRedrivenQueue(new SQSClient({}), workQueue);
    // Assess
    await expect(check).rejects.toThrow(RedrivenQueueReadRefusedError);
    await expect(check).rejects.toMatchObject({
      exitCode: 2,
      maxReceiveCount: 7,
      message: expect.stringMatching(
        /^Concord-local-Stateless-ItemWriteBackQueue1A2B3C4D-Xy12 has a redrive policy \(maxReceiveCount 7\).*nothing was read/,
      ),
    });
  });
});
