import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErpStep } from '../../../functions/erp-adapter/erp-step';
import {
  erpOperations,
  mutatingOperations,
  runErpStep,
  UnknownErpOperationError,
} from '../../../functions/erp-adapter/erp-steps';
import { handlerOf, operationHandlers } from '../../../functions/erp-adapter/operation-table';
import { ErpOutcomeUnknownError, ErpRefusedError } from '../../../functions/shared/erp/erp-errors';
import { erpStepHarness } from './erp-step-harness';

const statemachinesDir = path.join(__dirname, '../../../statemachines');

/** Every object in a parsed ASL document, depth first. */
function* objectsOf(node: unknown): Generator<Record<string, unknown>> {
  if (Array.isArray(node)) for (const item of node) yield* objectsOf(item);
  else if (node !== null && typeof node === 'object') {
    yield node as Record<string, unknown>;
    for (const value of Object.values(node)) yield* objectsOf(value);
  }
}

/**
 * Every operation name a state machine sends the ERP adapter, with its file: a literal, the names a JSONata
 * conditional chooses between (`$kind = 'hired' ? 'hireEmployee' : 'changeEmployee'`), or the literals a Pass state
 * assigns to the variable it reads (`{% $operation %}`).
 */
function operationsTheStateMachinesSend(): Map<string, string> {
  const sent = new Map<string, string>();
  for (const file of readdirSync(statemachinesDir).filter((name) => name.endsWith('.asl.json'))) {
    const objects = [...objectsOf(JSON.parse(readFileSync(path.join(statemachinesDir, file), 'utf8')))];
    const assigned = (variable: string) =>
      objects.flatMap((object) => {
        const value = (object.Assign as Record<string, unknown> | undefined)?.[variable];
        return typeof value === 'string' ? [value] : [];
      });
    for (const object of objects) {
      const args = object.Arguments as
        | { FunctionName?: unknown; Payload?: { operation?: unknown } }
        | undefined;
      const operation = args?.Payload?.operation;
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the ASL's substitution placeholder, taken literally
      if (args?.FunctionName !== '${ErpAdapterFunctionArn}' || typeof operation !== 'string') continue;
      const variable = /^\{%\s*\$(\w+)\s*%\}$/.exec(operation)?.[1];
      const names = variable
        ? assigned(variable)
        : operation.startsWith('{%')
          ? [...operation.matchAll(/[?:]\s*'(\w+)'/g)].map((match) => match[1] ?? '')
          : [operation];
      for (const name of names) sent.set(name, file);
    }
  }
  return sent;
}

describe('operationHandlers', () => {
  it('has one handler for every operation the adapter names, and no other', () => {
    // Act
    const tableKeys = Object.keys(operationHandlers).sort();
    // Assess
    expect(tableKeys).toEqual([...erpOperations].sort());
  });

  it('has a handler for every operation a state machine sends the adapter', () => {
    // Prepare
    const sent = operationsTheStateMachinesSend();
    // Act
    const missing = [...sent].filter(([operation]) => !handlerOf(operation));
    // Assess
    // The names sent through a conditional or a variable are found too.
    expect([...sent.keys()]).toEqual(
      expect.arrayContaining([
        'hireEmployee',
        'changeEmployee',
        'applyPayment',
        'refund',
        'createSalesOrder',
      ]),
    );
    expect(missing).toEqual([]);
  });

  it('keeps the read-only operations out of the idempotency records', () => {
    // Act
    const reads = erpOperations.filter((operation) => !mutatingOperations.has(operation));
    // Assess
    expect(reads.sort()).toEqual([
      'awaitSalesOrder',
      'checkCredit',
      'checkPurchaseOrder',
      'findCustomer',
      'quote',
    ]);
  });

  it('finds no handler under an inherited property name', () => {
    // Act
    const found = ['toString', 'constructor', '__proto__', 'hasOwnProperty'].map(handlerOf);
    // Assess
    expect(found).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('runErpStep', () => {
  it('rejects an unknown operation as a refusal the workflow Catch sees as ErpRefusedError, touching nothing', async () => {
    // Prepare
    const { erp, deps, step, published } = erpStepHarness();
    const unknown = step('shipOrder' as ErpStep['operation'], { sourceOrderId: '5820741173332' });
    // Act
    const failure = await runErpStep(unknown, deps).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(UnknownErpOperationError);
    expect(failure).toBeInstanceOf(ErpRefusedError);
    expect(failure).toMatchObject({
      name: 'ErpRefusedError',
      code: 'unknown_operation',
      operation: 'shipOrder',
      message: 'The ERP adapter has no operation "shipOrder"',
    });
    expect(erp.calls).toEqual([]);
    expect(published).toEqual([]);
  });

  it('runs the operation the step names through its handler', async () => {
    // Prepare
    const { erp, deps, step } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1', email: 'ada@example.com' });
    // Act
    const result = await runErpStep(step('findCustomer', { email: 'ada@example.com' }), deps);
    // Assess
    expect(result).toMatchObject({ found: true, customerNumber: 'C-1' });
  });

  it('counts an outcome that stays unknown, whichever handler it came from', async () => {
    // Prepare
    const { erp, deps, step, metricNames } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1' });
    await erp.createSalesOrder(
      {
        externalRef: '5820741173332',
        customerNumber: 'C-1',
        currency: 'EUR',
        lines: [{ sku: 'A', quantity: 1 }],
      },
      'earlier',
    );
    erp.failNext(
      'cancelSalesOrder',
      new ErpOutcomeUnknownError('ERP POST /sales-orders/SO-000001/cancel: 504'),
    );
    erp.lookupWhenUncommitted = { state: 'in-flight' };
    // Act
    const failure = await runErpStep(
      step('cancelSalesOrder', { sourceOrderId: '5820741173332' }),
      deps,
    ).catch((error: unknown) => error);
    // Assess
    expect(failure).toMatchObject({ name: 'ErpOutcomeUnknownError' });
    expect(metricNames()).toEqual(['UnknownOutcomes']);
  });
});
