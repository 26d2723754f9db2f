/**
 * A transaction's workflow executions rebuilt from X-Ray (cli/xray-trace.ts) in the shape the Transaction page draws
 * from the executions API: each run matched to its stage state machine, its states as steps with their errors and the
 * Lambda operations they ran, and the path taken through the machine's definition.
 */
import type { XRayClient } from '@aws-sdk/client-xray';
import { type XRayWorkflowRun, xrayTransaction } from '../../../cli/xray-trace';
import { type AslDefinition, type AslState, type ExecutionPath, edgeKey } from './state-machine-graph';
import {
  allEdges,
  type ExecutionStep,
  type StageStateMachine,
  type TransactionIds,
  type WorkflowExecution,
} from './workflow-executions';

/** A state's type, looked up through Parallel branches and Map processors (X-Ray names states, not their types). */
function stateType(definition: AslDefinition, name: string): string | undefined {
  const state = definition.States[name] as AslState | undefined;
  if (state) return state.Type;
  for (const inner of Object.values(definition.States) as AslState[])
    for (const branch of [...(inner.Branches ?? []), inner.ItemProcessor ?? inner.Iterator]) {
      const found = branch && stateType(branch, name);
      if (found) return found;
    }
  return undefined;
}

/**
 * A run's steps and path, read as the executions API's history is: a transition is taken when a state is entered
 * after one the definition lets lead to it (the latest such); a state that errored and after which another was
 * entered was caught; in a failed run, the errored states not caught and any Fail state failed it.
 */
export function xrayExecutionPath(
  definition: AslDefinition,
  run: XRayWorkflowRun,
): { steps: ExecutionStep[]; path: ExecutionPath } {
  const edges = allEdges(definition);
  const visited = new Set<string>();
  const taken = new Set<string>();
  const failed = new Set<string>();
  const caught = new Set<string>();
  const steps: ExecutionStep[] = [];
  for (const [index, visit] of run.visits.entries()) {
    const from = steps.findLast((step) => edges.has(edgeKey(step.state, visit.state)));
    if (from) taken.add(edgeKey(from.state, visit.state));
    visited.add(visit.state);
    // Entered again straight after its error: a Retry, not a Catch; anything else after an error is where a Catch went.
    const next = run.visits[index + 1];
    if (visit.error && next && next.state !== visit.state) caught.add(visit.state);
    steps.push({
      state: visit.state,
      type: stateType(definition, visit.state) ?? 'Unknown',
      enteredAt: visit.enteredAt,
      exitedAt: visit.exitedAt,
      error: visit.error,
      cause: visit.cause,
      operations: visit.operations,
    });
  }
  if (run.status === 'FAILED')
    for (const step of steps)
      if (!caught.has(step.state) && (step.error || step.type === 'Fail')) failed.add(step.state);
  return { steps, path: { visited, edges: taken, failed, caught } };
}

/**
 * The transaction's executions of `machines` as X-Ray traced them, oldest first. A run of a machine that is not one
 * of the stage's (another stage's trace with the same order id) is left out; the warnings say what was not sampled.
 */
export async function xrayExecutions(
  xray: XRayClient,
  machines: readonly StageStateMachine[],
  ids: TransactionIds,
  window: { from: Date; to: Date },
  now = new Date(),
): Promise<{ executions: WorkflowExecution[]; warnings: string[] }> {
  const { runs, warnings } = await xrayTransaction(xray, ids, window, now);
  const executions: WorkflowExecution[] = [];
  for (const run of runs) {
    const execution = run.executionArn;
    const machine = machines.find(
      (candidate) =>
        candidate.name === run.stateMachineName ||
        ['execution', 'express'].some((kind) =>
          execution?.startsWith(`${candidate.arn.replace(':stateMachine:', `:${kind}:`)}:`),
        ),
    );
    if (!machine) continue;
    executions.push({
      stateMachineName: machine.name,
      stateMachineArn: machine.arn,
      executionArn: run.executionArn ?? `${run.traceId}/${run.stateMachineName}/${run.startDate}`,
      // An Express execution's ARN ends with its name and then an id of the run.
      name: execution?.split(':').at(execution.includes(':express:') ? -2 : -1) ?? run.traceId,
      status: run.status,
      startDate: run.startDate,
      stopDate: run.stopDate,
      definition: machine.definition,
      source: 'xray',
      traceId: run.traceId,
      ...xrayExecutionPath(machine.definition, run),
    });
  }
  return { executions, warnings };
}
