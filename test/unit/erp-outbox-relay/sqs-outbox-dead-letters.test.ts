import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsOutboxDeadLetters } from '../../../functions/erp-outbox-relay/sqs-outbox-dead-letters';
import { readDeadLetter } from '../../../functions/replay/dead-letters';

const relayArn = 'arn:aws:lambda:us-east-1:1:function:Concord-dev-Stateless-ErpOutboxRelay';
const letter = {
  entry: { seq: 7, at: '2026-05-04T10:00:00Z', type: 'order.teleported', payload: { externalRef: '1001' } },
  errorCode: 'UnknownOutboxEntryTypeError',
  reason: 'no mapping',
  cursor: 7,
};

describe('SqsOutboxDeadLetters', () => {
  it('sends each letter with the error attributes and the relay as its target, as the replayer reads them', async () => {
    // Prepare
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const deadLetters = new SqsOutboxDeadLetters(
      new SQSClient({}),
      'https://queue/ErpOutboxEntriesDlq',
      relayArn,
    );
    // Act
    await deadLetters.send([letter]);
    // Assess
    const [entry] = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    const read = readDeadLetter({
      MessageId: 'm-1',
      Body: entry?.MessageBody,
      MessageAttributes: entry?.MessageAttributes,
      Attributes: { SentTimestamp: '1795000000000' },
    });
    expect(entry?.MessageAttributes).toMatchObject({
      ERROR_CODE: { StringValue: 'UnknownOutboxEntryTypeError' },
      ERROR_MESSAGE: { StringValue: 'no mapping' },
      TARGET_ARN: { StringValue: relayArn },
      OUTBOX_SEQ: { StringValue: '7' },
    });
    expect(read).toMatchObject({
      kind: 'outbox-entry',
      eventType: 'order.teleported',
      entity: 'erp-outbox/7',
      errorCode: 'UnknownOutboxEntryTypeError',
      errorMessage: 'no mapping',
      target: 'Concord-dev-Stateless-ErpOutboxRelay',
      recordedTarget: { arn: relayArn, input: { redrive: [letter.entry] } },
    });
    sqs.restore();
  });

  it('rejects with DownstreamUnavailableError when SQS refuses a letter, so the cursor stays', async () => {
    // Prepare
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', Message: 'try again', SenderFault: false }],
    });
    const deadLetters = new SqsOutboxDeadLetters(
      new SQSClient({}),
      'https://queue/ErpOutboxEntriesDlq',
      relayArn,
    );
    // Act
    const outcome = await deadLetters.send([letter]).catch((error: Error) => error);
    // Assess
    expect(outcome).toMatchObject({ name: 'DownstreamUnavailableError' });
    sqs.restore();
  });
});
