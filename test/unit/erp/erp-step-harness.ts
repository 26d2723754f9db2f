/** A step harness for the ERP adapter's operation handlers: a FakeErpPort, a recording bus and metrics, a fixed clock. */
import type { ErpStep, ErpStepDependencies, OperationHandler } from '../../../functions/erp-adapter/erp-step';
import { stepContext } from '../../../functions/erp-adapter/erp-steps';
import type { CanonicalEvent } from '../../../functions/shared/events/envelope';
import { newId } from '../../../functions/shared/ids';
import type { MetricPoint } from '../../../functions/shared/observability/business-metrics';
import { FakeErpPort } from './fake-erp-port';

/** When the causing event was ingested, and when the step runs. */
export const ingestedAt = Date.parse('2026-11-20T15:00:00.000Z');
export const stepTime = new Date(ingestedAt + 4_250);

/** A fresh ERP, bus and metrics for one test. */
export function erpStepHarness() {
  const erp = new FakeErpPort();
  const published: CanonicalEvent[] = [];
  const metrics: MetricPoint[] = [];
  const deps: ErpStepDependencies = {
    erp,
    publish: async (events) => {
      published.push(...events);
    },
    erpSourceUri: 'erp://sandbox',
    now: () => stepTime,
    resolution: { lookups: 2, pauseMs: 0 },
    metrics: { record: (...points) => metrics.push(...points) },
  };
  /** A step of order-to-cash (unless `overrides` say otherwise) for order 5820741173332. */
  const step = (
    operation: ErpStep['operation'],
    input: Record<string, unknown>,
    overrides: Partial<ErpStep> = {},
  ): ErpStep => ({
    operation,
    flow: 'order-to-cash',
    businessKey: 'order/5820741173332',
    entityVersion: 1,
    correlationId: '01KAHZ8V00000000000000CORR',
    causationId: newId(ingestedAt),
    origin: 'shopify://acme.myshopify.com',
    input,
    ...overrides,
  });
  /** Runs one handler on `erpStep` with the context the use case lends it; a failure is returned, not thrown. */
  const run = async (
    handler: OperationHandler,
    erpStep: ErpStep,
  ): Promise<Record<string, unknown> | Error> => {
    try {
      // The context is built inside: a step without its idempotency key fails there, as in runErpStep.
      return await handler(stepContext(erpStep, deps));
    } catch (error) {
      return error as Error;
    }
  };
  /** The names of the metrics recorded so far. */
  const metricNames = () => metrics.map((point) => point.name);
  return { erp, published, metrics, deps, step, run, metricNames };
}
