import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

const sfnMock = mockClient(SFNClient);
process.env.VALIDATION_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:validation';
process.env.VALIDATION_BUDGET_MS = '200';
process.env.SFN_DISABLE_HOST_PREFIX = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// Loaded after the environment it reads at start.
const { handler } =
  require('../../../functions/order-validation-api/handler') as typeof import('../../../functions/order-validation-api/handler');

function request(body: unknown): APIGatewayProxyEventV2 {
  return {
    headers: { 'x-request-id': 'req-1' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

const valid = {
  customer: { email: 'jane.doe@example.com' },
  currency: 'USD',
  lines: [{ sku: 'A', quantity: 1 }],
};

describe('order validation API (SDK error paths)', () => {
  beforeEach(() => sfnMock.reset());

  it('passes the checked request to the workflow and answers with its output', async () => {
    sfnMock.on(StartSyncExecutionCommand).resolves({
      status: 'SUCCEEDED',
      output: JSON.stringify({ decision: 'approved', reasons: [] }),
    } as never);
    const result = await handler(request(valid));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ decision: 'approved', reasons: [] });
    expect(JSON.parse(sfnMock.commandCalls(StartSyncExecutionCommand)[0]?.args[0].input.input ?? '')).toEqual(
      {
        requestId: 'req-1',
        ...valid,
      },
    );
  });

  it('answers 503 with Retry-After when the workflow could not reach the ERP or timed out', async () => {
    sfnMock
      .on(StartSyncExecutionCommand)
      .resolvesOnce({ status: 'FAILED', error: 'ValidationUnavailable', cause: 'ERP down' } as never)
      .resolvesOnce({ status: 'TIMED_OUT' } as never);
    for (const _ of [1, 2]) {
      const result = await handler(request(valid));
      expect([result.statusCode, result.headers['retry-after']]).toEqual([503, '5']);
    }
  });

  it('answers 503 when the budget runs out before the workflow answers', async () => {
    // A workflow that never answers.
    sfnMock.on(StartSyncExecutionCommand).callsFake(() => new Promise(() => {}));
    const result = await handler(request(valid));
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body).detail).toBe('The validation did not finish within 200 ms');
  });

  it('answers 500 naming the request id for any other failure, without leaking it', async () => {
    sfnMock.on(StartSyncExecutionCommand).rejects(new Error('AccessDeniedException: not allowed'));
    const result = await handler(request(valid));
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body).detail).toBe('Validation failed; quote request id req-1');
  });

  it('starts nothing for an invalid request', async () => {
    const result = await handler(request({ ...valid, lines: [] }));
    expect(result.statusCode).toBe(400);
    expect(sfnMock.commandCalls(StartSyncExecutionCommand)).toHaveLength(0);
  });
});
