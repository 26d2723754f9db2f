import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  Interpreter,
  type StateMachineDefinition,
  type TaskIntegrations,
} from '../../../local/asl/interpreter';
import { StatesError } from '../../../local/asl/states-error';
import { validateDefinition } from '../../../local/asl/validate-definition';
import { LocalClock } from '../../../local/clock';

type Step = (input: Record<string, unknown>) => unknown;

// The placeholders the Workflow construct substitutes at synth, with stand-in ARNs and queue URLs.
const placeholders: Record<string, string> = {
  ErpAdapterFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ErpAdapter',
  VersionGateFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:VersionGate',
  ExceptionsQueueUrl: 'https://sqs/exceptions',
  RedriveQueueUrl: 'https://sqs/redrive',
};
const definition = readFileSync(
  path.join(__dirname, '../../../statemachines/procure-to-pay.asl.json'),
  'utf8',
).replace(/\$\{(\w+)\}/g, (placeholder, name: string) => placeholders[name] ?? placeholder);

/** The ERP adapter's steps as a scenario scripts them; every step left unscripted succeeds plainly. */
async function execute(steps: Partial<Record<string, Step>>, options: { redriveAttempt?: number } = {}) {
  const calls: string[] = [];
  const messages: { queue: string; body: Record<string, unknown> }[] = [];
  const integrations: TaskIntegrations = {
    run: async (resource, input) => {
      const args = input as { FunctionName?: string; Payload?: Record<string, unknown>; QueueUrl?: string };
      if (resource === 'arn:aws:states:::sqs:sendMessage') {
        messages.push({
          queue: String(args.QueueUrl),
          body: (input as { MessageBody: Record<string, unknown> }).MessageBody,
        });
        return { MessageId: 'm' };
      }
      if (String(args.FunctionName).endsWith(':VersionGate')) return { Payload: { outcome: 'current' } };
      const operation = String(args.Payload?.operation);
      calls.push(operation);
      const step = steps[operation];
      const defaults: Record<string, unknown> = {
        checkPurchaseOrder: { verdict: 'ok', reason: 'placeable', vendorNumber: 'V-000001' },
        createPurchaseOrder: { poNumber: 'PO-000001', status: 'OPEN', version: 1 },
        releasePurchaseOrder: { poNumber: 'PO-000001', status: 'RELEASED', total: '1890.00', version: 2 },
        cancelPurchaseOrder: { poNumber: 'PO-000001', status: 'CANCELLED', version: 3 },
        emitPurchaseOrderRefused: { refused: true },
      };
      return { Payload: step ? step(args.Payload?.input as Record<string, unknown>) : defaults[operation] };
    },
    awaitTaskToken: async () => {
      throw new Error('not used');
    },
  };
  const input = {
    'detail-type': 'procurement.purchase-order.created.v1',
    detail: {
      id: '01JDQ6Z4R6X5C0V9S8T7N5M3K1',
      source: 'spendesk://acme',
      subject: 'purchase-order/po_1',
      entityversion: 1764000000000,
      correlationid: 'corr-1',
      data: {
        sourcePurchaseOrderId: 'po_1',
        sourceSupplierId: 'sup-1',
        costCentre: 'CC-1000',
        currency: 'EUR',
        lines: [{ description: 'Chair', quantity: 6, unitPrice: '240.00' }],
      },
    },
    ...(options.redriveAttempt === undefined ? {} : { redrive: { attempt: options.redriveAttempt } }),
  };
  const interpreter = new Interpreter(validateDefinition(definition) as StateMachineDefinition, {
    clock: new LocalClock(100_000),
    integrations,
    recorder: { record: () => undefined },
    context: {
      Execution: { Id: 'arn:x', Name: 'run-1', Input: input, StartTime: '2026-11-23T09:13:00.000Z' },
      StateMachine: { Id: 'arn:sm', Name: 'ProcureToPay' },
    },
    signal: new AbortController().signal,
    meter: { transitions: 0 },
  });
  let output: unknown;
  let error: StatesError | undefined;
  try {
    output = await interpreter.run(input);
  } catch (caught) {
    if (!(caught instanceof StatesError)) throw caught;
    error = caught;
  }
  const exceptions = messages.filter((message) => message.queue.endsWith('exceptions')).map((m) => m.body);
  const deferred = messages.filter((message) => message.queue.endsWith('redrive')).map((m) => m.body);
  return { calls, output, error, exceptions, deferred };
}

const fails = (name: string, cause: string) => () => {
  throw new StatesError(name, cause);
};

describe('procure-to-pay.asl.json', () => {
  it('HappyPath: checks, creates and releases the order, refusing and compensating nothing', async () => {
    // Act
    const { calls, output, exceptions } = await execute({});
    // Assess
    expect(calls).toEqual(['checkPurchaseOrder', 'createPurchaseOrder', 'releasePurchaseOrder']);
    expect(output).toMatchObject({ outcome: 'released', poNumber: 'PO-000001', status: 'RELEASED' });
    expect(exceptions).toEqual([]);
  });

  it('CheckRefused: a blocked vendor is announced as refused and recorded, with nothing booked to compensate', async () => {
    // Act
    const { calls, error, exceptions } = await execute({
      checkPurchaseOrder: () => ({
        verdict: 'vendor_blocked',
        reason: 'Vendor V-000002 is blocked: sanctions',
      }),
    });
    // Assess
    expect(calls).toEqual(['checkPurchaseOrder', 'emitPurchaseOrderRefused']);
    expect(error?.error).toBe('PurchaseOrderRefused');
    expect(exceptions).toEqual([
      expect.objectContaining({
        outcome: 'refused',
        failedStep: 'Check',
        reasonCode: 'vendor_blocked',
        compensated: [],
      }),
    ]);
  });

  it('AlreadyBooked: an order the ERP holds (a redrive) is released, never created again', async () => {
    // Act
    const { calls, output } = await execute({
      checkPurchaseOrder: () => ({
        verdict: 'ok',
        reason: 'already booked',
        poNumber: 'PO-000001',
        status: 'OPEN',
      }),
    });
    // Assess
    expect(calls).toEqual(['checkPurchaseOrder', 'releasePurchaseOrder']);
    expect(output).toMatchObject({ outcome: 'released' });
  });

  it('ReleaseRefused: a refused release cancels the booked order, then announces the refusal naming the compensation', async () => {
    // Prepare
    const refusals: Record<string, unknown>[] = [];
    // Act
    const { calls, exceptions } = await execute({
      releasePurchaseOrder: fails('ErpRefusedError', '{"errorMessage":"budget_exceeded"}'),
      emitPurchaseOrderRefused: (input) => {
        refusals.push(input);
        return { refused: true };
      },
    });
    // Assess
    expect(calls).toEqual([
      'checkPurchaseOrder',
      'createPurchaseOrder',
      'releasePurchaseOrder',
      'cancelPurchaseOrder',
      'emitPurchaseOrderRefused',
    ]);
    expect(refusals).toEqual([
      expect.objectContaining({
        poNumber: 'PO-000001',
        failedStep: 'Release',
        compensated: ['CancelPurchaseOrder'],
      }),
    ]);
    expect(exceptions[0]).toMatchObject({ outcome: 'refused', compensated: ['CancelPurchaseOrder'] });
  });

  it('UnknownOutcome: a release whose outcome stays unknown after the last redrive is never compensated', async () => {
    // Act
    const { calls, exceptions } = await execute(
      { releasePurchaseOrder: fails('ErpOutcomeUnknownError', 'answer lost; still unknown') },
      { redriveAttempt: 8 },
    );
    // Assess
    expect(calls).not.toContain('cancelPurchaseOrder');
    expect(calls).not.toContain('emitPurchaseOrderRefused');
    expect(exceptions).toEqual([
      expect.objectContaining({ outcome: 'unknown-outcome', failedStep: 'Release', compensated: [] }),
    ]);
  });

  it('ConfirmedAbsent: a release the ERP confirms it never committed, after the last redrive, cancels the order', async () => {
    // Act
    const { calls, exceptions } = await execute(
      { releasePurchaseOrder: fails('ErpUnavailableError', 'the ERP confirms it holds no change') },
      { redriveAttempt: 8 },
    );
    // Assess
    expect(calls.slice(-2)).toEqual(['cancelPurchaseOrder', 'emitPurchaseOrderRefused']);
    expect(exceptions[0]).toMatchObject({ compensated: ['CancelPurchaseOrder'] });
  });

  it('RetryLater: an ERP outage within the redrive budget defers the transaction instead of compensating', async () => {
    // Act
    const { calls, output, deferred } = await execute({
      createPurchaseOrder: fails('ErpUnavailableError', 'connection refused'),
    });
    // Assess
    expect(calls.filter((call) => call === 'createPurchaseOrder')).toHaveLength(6);
    expect(calls).not.toContain('cancelPurchaseOrder');
    expect(output).toMatchObject({ outcome: 'deferred', failedStep: 'Create', redriveAttempt: 1 });
    expect(deferred).toEqual([expect.objectContaining({ flow: 'procure-to-pay', failedStep: 'Create' })]);
  });
});
