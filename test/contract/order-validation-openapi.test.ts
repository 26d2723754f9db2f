import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { answeredBy } from '../../contracts/concord-openapi';
import { evaluateJsonataValue } from '../../local/asl/jsonata-fields';
import { openApiFile } from '../../scripts/generate-openapi';
import { OpenApiConformance } from './openapi-conformance';

const sfnMock = mockClient(SFNClient);
process.env.VALIDATION_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:validation';
process.env.VALIDATION_BUDGET_MS = '200';
process.env.SFN_DISABLE_HOST_PREFIX = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// Loaded after the environment it reads at start.
const { handler } =
  require('../../functions/order-validation-api/handler') as typeof import('../../functions/order-validation-api/handler');

const document = JSON.parse(readFileSync(openApiFile, 'utf8'));
const contract = new OpenApiConformance(document, 'concord-order-validation');
const route = '/orders/validate';

// The workflow's own decision: the Decide state's output, evaluated by the local runtime's Step Functions JSONata.
const asl = JSON.parse(
  readFileSync(path.join(__dirname, '../../statemachines/order-validation.asl.json'), 'utf8'),
);

/** What the Decide state outputs for the ERP's answers (null where a step did not run, as the Init state assigns). */
async function decision(variables: {
  request: unknown;
  customer?: unknown;
  quote?: unknown;
  credit?: unknown;
  refusal?: unknown;
}): Promise<string> {
  const output = await evaluateJsonataValue(
    asl.States.Decide.Output,
    {
      states: { context: {} },
      variables: { customer: null, quote: null, credit: null, refusal: null, ...variables },
    },
    'Output',
  );
  return JSON.stringify(output);
}

function request(body: unknown): APIGatewayProxyEventV2 {
  return {
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-contract-1' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

async function validate(body: unknown) {
  const result = await handler(request(body));
  contract.assertAnswer('POST', route, {
    status: result.statusCode,
    headers: result.headers,
    body: result.body,
  });
  return result;
}

const order = {
  customer: { email: 'jane.doe@example.com' },
  currency: 'USD',
  lines: [
    { sku: 'TR-42-SLATE', quantity: 2, unitPrice: '89.99' },
    { sku: 'SOCK-MER-M', quantity: 1 },
  ],
};
const workflowInput = { requestId: 'req-contract-1', ...order };
const known = { found: true, customerNumber: 'C-000001', currency: 'USD', creditHold: false };
const pricedLine = (sku: string, quantity: number, available: number, unitPrice: string) => ({
  sku,
  quantity,
  available,
  unitPrice,
  taxRate: '0.08',
  lineTotal: (Number(unitPrice) * quantity).toFixed(2),
  tax: (Number(unitPrice) * quantity * 0.08).toFixed(2),
});
const quote = (lines: ReturnType<typeof pricedLine>[]) => ({
  currency: 'USD',
  lines,
  subtotal: '191.97',
  tax: '15.36',
  total: '207.33',
  allAvailable: lines.every((line) => line.available >= line.quantity),
});
const inStock = quote([pricedLine('TR-42-SLATE', 2, 40, '89.99'), pricedLine('SOCK-MER-M', 1, 200, '11.99')]);

describe('Concord OpenAPI document (order validation)', () => {
  beforeEach(() => sfnMock.reset());

  it.each([
    [
      'approves',
      { customer: known, quote: inStock, credit: { decision: 'approved', availableCredit: '5000.00' } },
      'approved',
    ],
    [
      'sends for review',
      {
        customer: { ...known, creditHold: true },
        quote: quote([pricedLine('TR-42-SLATE', 2, 40, '94.99'), pricedLine('SOCK-MER-M', 1, 200, '11.99')]),
        credit: { decision: 'hold', availableCredit: '100.00' },
      },
      'review',
    ],
    [
      'rejects',
      {
        customer: known,
        quote: quote([pricedLine('TR-42-SLATE', 2, 1, '89.99'), pricedLine('SOCK-MER-M', 1, 200, '11.99')]),
        credit: { decision: 'rejected', availableCredit: '0.00', reason: 'account closed' },
      },
      'rejected',
    ],
    ['meets an unknown buyer', { customer: { found: false } }, 'review'],
    [
      'passes on an ERP refusal',
      {
        customer: known,
        refusal: {
          Error: 'ErpRefusedError',
          Cause: JSON.stringify({ errorMessage: 'unknown SKU SOCK-MER-M' }),
        },
      },
      'rejected',
    ],
  ])('answers the workflow’s decision as documented when it %s', async (_name, answers, decided) => {
    // Prepare
    const output = await decision({ request: workflowInput, ...answers });
    sfnMock.on(StartSyncExecutionCommand).resolves({ status: 'SUCCEEDED', output } as never);
    // Act
    const result = await validate(order);
    // Assess
    expect([result.statusCode, JSON.parse(result.body).decision]).toEqual([200, decided]);
    expect(result.body).toBe(output);
  });

  it.each([
    ['the ERP is unavailable', { status: 'FAILED', error: 'ValidationUnavailable', cause: 'ERP down' }, 503],
    ['the workflow timed out', { status: 'TIMED_OUT' }, 503],
    ['the workflow failed otherwise', { status: 'FAILED', error: 'States.Runtime', cause: 'bad path' }, 500],
  ])('answers as documented when %s', async (_name, execution, status) => {
    // Prepare
    sfnMock.on(StartSyncExecutionCommand).resolves(execution as never);
    // Act
    const result = await validate(order);
    // Assess
    expect(result.statusCode).toBe(status);
  });

  it('answers 503 as documented when the budget runs out and 500 when Step Functions refuses', async () => {
    // Prepare
    sfnMock
      .on(StartSyncExecutionCommand)
      .callsFakeOnce(() => new Promise(() => {}))
      .rejectsOnce(new Error('AccessDeniedException'));
    // Act
    const statuses = [(await validate(order)).statusCode, (await validate(order)).statusCode];
    // Assess
    expect(statuses).toEqual([503, 500]);
  });

  it('refuses with 400 exactly the bodies the documented request schema refuses', async () => {
    // Prepare
    const line = order.lines[0] as { sku: string; quantity: number; unitPrice?: string };
    const bodies: unknown[] = [
      order,
      { ...order, extra: 'ignored' },
      { ...order, lines: [{ ...line, unitPrice: '19.9999' }] },
      { ...order, lines: [{ ...line, unitPrice: '19.99999' }] },
      { ...order, lines: [{ ...line, unitPrice: 19.99 }] },
      { ...order, lines: [{ ...line, quantity: 0 }] },
      { ...order, lines: [{ ...line, quantity: 100_000 }] },
      { ...order, lines: [{ ...line, quantity: 100_001 }] },
      { ...order, lines: [{ ...line, quantity: 1.5 }] },
      { ...order, lines: [{ ...line, sku: '' }] },
      { ...order, lines: [{ ...line, sku: 'S'.repeat(100) }] },
      { ...order, lines: [{ ...line, sku: 'S'.repeat(101) }] },
      { ...order, lines: [] },
      { ...order, lines: Array.from({ length: 100 }, () => line) },
      { ...order, lines: Array.from({ length: 101 }, () => line) },
      { ...order, lines: ['TR-42-SLATE'] },
      { ...order, currency: 'usd' },
      { ...order, currency: undefined },
      { ...order, customer: { email: 'jane at example.com' } },
      { ...order, customer: undefined },
      [order],
      null,
      'an order',
    ];
    sfnMock.on(StartSyncExecutionCommand).resolves({
      status: 'SUCCEEDED',
      output: await decision({ request: workflowInput, customer: { found: false } }),
    } as never);
    // Act
    const disagreements = [];
    for (const body of bodies) {
      const documentedValid = contract.acceptsRequest('POST', route, body);
      const status = (await validate(body)).statusCode;
      if (documentedValid !== (status !== 400)) disagreements.push({ body, documentedValid, status });
    }
    // Assess
    expect(disagreements).toEqual([]);
  });

  it('answers 400 as documented for a body that is not JSON', async () => {
    // Act
    const result = await validate('{"customer":');
    // Assess
    expect(result.statusCode).toBe(400);
    expect(sfnMock.commandCalls(StartSyncExecutionCommand)).toHaveLength(0);
  });

  it('exercises every answer of POST /orders/validate the document lists but API Gateway’s own', () => {
    // Act
    const missing = contract.unexercised({ key: answeredBy, value: 'api-gateway' });
    const gatewayOnly = contract.unexercised().filter((answer) => !missing.includes(answer));
    // Assess
    expect(missing.filter((answer) => answer.startsWith(`POST ${route} `))).toEqual([]);
    expect(gatewayOnly.filter((answer) => answer.startsWith(`POST ${route} `)).sort()).toEqual([
      `POST ${route} 403`,
      `POST ${route} 429`,
    ]);
  });
});
