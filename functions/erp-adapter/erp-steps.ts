/**
 * The ERP adapter's use case: one workflow step against the ERP port, and the authoritative erp.* event it makes
 * true. The step's operation is looked up in operation-table.ts; each handler (operations/) is lent the step's
 * idempotency key, a commit that resolves lost answers by reading the ERP under that key, and an announcer whose event
 * has the same id on every path.
 */
import { ErpOutcomeUnknownError } from '../shared/erp/erp-errors';
import { metricPoint } from '../shared/observability/business-metrics';
import { announceEvent } from './announce-event';
import { type ErpStep, type ErpStepDependencies, type StepContext, stepIdempotencyKey } from './erp-step';
import { handlerOf } from './operation-table';
import { changeResolvingLostAnswers, type LostAnswerObserver } from './resolve-outcome';
import { UnknownErpOperationError } from './step-errors';

export { type ErpOperation, erpOperations, isErpOperation, mutatingOperations } from './erp-operations';
export { type ErpStep, type ErpStepDependencies, stepIdempotencyKey } from './erp-step';
export { InvoiceNotYetPostedError, OrderNotYetKnownError, UnknownErpOperationError } from './step-errors';

/**
 * Runs one step; returns what the workflow continues with. Errors keep their class names for Retry/Catch; an
 * operation without a handler is refused (UnknownErpOperationError, an ErpRefusedError) before the ERP is touched.
 */
export async function runErpStep(step: ErpStep, deps: ErpStepDependencies): Promise<Record<string, unknown>> {
  const handler = handlerOf(step.operation);
  if (!handler) throw new UnknownErpOperationError(step.operation);
  try {
    return await handler(stepContext(step, deps));
  } catch (error) {
    if (error instanceof ErpOutcomeUnknownError)
      deps.metrics?.record(metricPoint('UnknownOutcomes', { flow: step.flow }));
    throw error;
  }
}

/** What a handler is lent for `step`: its key (computed first, so a step without one changes nothing), commit, announcer. */
export function stepContext(step: ErpStep, deps: ErpStepDependencies): StepContext {
  const idempotencyKey = stepIdempotencyKey(step);
  const lostAnswerResolved: LostAnswerObserver = (outcome) =>
    deps.metrics?.record(metricPoint('LostAnswersResolved', { flow: step.flow, outcome }));
  return {
    step,
    input: step.input,
    deps,
    idempotencyKey,
    commit: (change, port = deps.erp) =>
      changeResolvingLostAnswers(port, idempotencyKey, change, deps.resolution, lostAnswerResolved),
    announce: async (type, subject, data) => {
      await announceEvent(deps, step, type, subject, data);
    },
    lostAnswerResolved,
  };
}
