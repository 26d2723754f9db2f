/**
 * The Step Functions executions of one transaction: the stage's state machines, their executions in the transaction's
 * time window whose input names one of its ids, each execution's history read as the states it went through; on AWS,
 * where the workflows are Express and Step Functions keeps no execution, the same read from X-Ray (xray-path.ts).
 */
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  paginateListExecutions,
  paginateListStateMachines,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { XRayClient } from '@aws-sdk/client-xray';
import type { XRayOperation } from '../../../cli/xray-trace';
import {
  type AslDefinition,
  type AslState,
  type ExecutionPath,
  edgeKey,
  InvalidDefinitionError,
  stateEdges,
} from './state-machine-graph';
import { xrayExecutions } from './xray-path';

/** One state the execution entered: when, with what, and what it gave or the error it raised. */
export interface ExecutionStep {
  state: string;
  type: string;
  enteredAt: string;
  exitedAt?: string;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  /** The traced Lambda operations the state ran (read from X-Ray only: the execution history does not name them). */
  operations?: XRayOperation[];
}

/** An execution of the transaction, with its machine's definition and the path it took. */
export interface WorkflowExecution {
  stateMachineName: string;
  stateMachineArn: string;
  executionArn: string;
  name: string;
  status: string;
  startDate: string;
  stopDate?: string;
  definition: AslDefinition;
  steps: ExecutionStep[];
  path: ExecutionPath;
  /** Where it was read: the executions API (with each step's input and output) or an X-Ray trace (without). */
  source?: 'executions' | 'xray';
  /** The X-Ray trace it was read from. */
  traceId?: string;
}

/** A state machine of the stage, its definition parsed; `type` is STANDARD or EXPRESS. */
export interface StageStateMachine {
  arn: string;
  name: string;
  type?: string;
  definition: AslDefinition;
}

/** What a transaction is known by: its correlation ids and entities (`order/123`). */
export interface TransactionIds {
  correlationIds: readonly string[];
  entities: readonly string[];
}

/** The most executions a state machine's listing reads, newest first, before giving up on older ones. */
const listLimit = 1000;

/** Every transition in a definition, its Parallel branches' and Map processors' included. */
export function allEdges(definition: AslDefinition, into = new Set<string>()): Set<string> {
  for (const edge of stateEdges(definition)) into.add(edgeKey(edge.from, edge.to));
  for (const state of Object.values(definition.States) as AslState[])
    for (const branch of [...(state.Branches ?? []), state.ItemProcessor ?? state.Iterator])
      if (branch) allEdges(branch, into);
  return into;
}

function iso(date: Date | undefined): string {
  return (date ?? new Date(0)).toISOString();
}

/**
 * An execution's history read as steps and a path: each StateEntered starts a step, its StateExited ends it, an
 * error event in between is its error (until a retry succeeds). A transition is taken when a state is entered after
 * one the definition lets lead to it (the latest such: inside a Parallel the branches interleave). A step whose error
 * ended the execution failed; one left with its error standing, the execution going on, was caught.
 */
export function executionPath(
  definition: AslDefinition,
  events: readonly HistoryEvent[],
): { steps: ExecutionStep[]; path: ExecutionPath } {
  const edges = allEdges(definition);
  const steps: ExecutionStep[] = [];
  const visited = new Set<string>();
  const taken = new Set<string>();
  const failed = new Set<string>();
  const caught = new Set<string>();
  const open = () => steps.findLast((step) => step.exitedAt === undefined);
  let executionFailed = false;
  for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered') && event.stateEnteredEventDetails?.name) {
      const name = event.stateEnteredEventDetails.name;
      const from = steps.findLast((step) => edges.has(edgeKey(step.state, name)));
      if (from) taken.add(edgeKey(from.state, name));
      // A step left with an error and no exit, while the execution goes on: a Catch took it elsewhere.
      for (const step of steps) if (step.error && step.exitedAt === undefined) caught.add(step.state);
      visited.add(name);
      steps.push({
        state: name,
        type: type.replace(/StateEntered$/, ''),
        enteredAt: iso(event.timestamp),
        input: event.stateEnteredEventDetails.input,
      });
    } else if (type.endsWith('StateExited') && event.stateExitedEventDetails?.name) {
      const name = event.stateExitedEventDetails.name;
      const step = steps.findLast(
        (candidate) => candidate.state === name && candidate.exitedAt === undefined,
      );
      if (step) {
        step.exitedAt = iso(event.timestamp);
        step.output = event.stateExitedEventDetails.output;
        // Left with its error standing: a Catch took it on (the embedded runtime records the exit, as AWS does).
        if (step.error) caught.add(name);
      }
    } else if (/^Execution(Failed|TimedOut|Aborted)$/.test(type)) {
      executionFailed = true;
      const details =
        event.executionFailedEventDetails ??
        event.executionTimedOutEventDetails ??
        event.executionAbortedEventDetails;
      const step =
        steps.findLast((candidate) => candidate.error && candidate.exitedAt === undefined) ?? open();
      if (step) {
        step.error ??= details?.error;
        step.cause ??= details?.cause;
      }
    } else if (/Succeeded$/.test(type) && !type.startsWith('Execution')) {
      // A retry that succeeded: the error raised on the way is not where the step ended.
      const step = open();
      if (step) {
        step.error = undefined;
        step.cause = undefined;
      }
    } else if (/(Failed|TimedOut)$/.test(type)) {
      const details = Object.entries(event).find(([key]) => key.endsWith('EventDetails'))?.[1] as
        | { error?: string; cause?: string }
        | undefined;
      const step = open();
      if (step && details?.error) {
        step.error = details.error;
        step.cause = details.cause;
      }
    }
  }
  if (executionFailed)
    for (const step of steps)
      if (step.exitedAt === undefined && !caught.has(step.state) && (step.error || step.type === 'Fail'))
        failed.add(step.state);
  return { steps, path: { visited, edges: taken, failed, caught } };
}

/** Whether an execution's input names one of the transaction's ids (as a whole JSON string, not a prefix of one). */
function namesTransaction(input: string, ids: TransactionIds): boolean {
  return [...ids.correlationIds, ...ids.entities].some((id) => input.includes(JSON.stringify(id)));
}

/**
 * The stage's state machines: every machine whose role or log group CloudFormation named after the stage's stacks
 * (`Concord-<stage>-…`; a state machine's own generated name does not carry the stack's).
 */
export async function stageStateMachines(sfn: SFNClient, stage: string): Promise<StageStateMachine[]> {
  const machines: StageStateMachine[] = [];
  for await (const page of paginateListStateMachines({ client: sfn }, {}))
    for (const machine of page.stateMachines ?? []) {
      if (!machine.stateMachineArn) continue;
      const described = await sfn.send(
        new DescribeStateMachineCommand({ stateMachineArn: machine.stateMachineArn }),
      );
      const owners = [
        described.roleArn ?? '',
        ...(described.loggingConfiguration?.destinations ?? []).map(
          (destination) => destination.cloudWatchLogsLogGroup?.logGroupArn ?? '',
        ),
      ];
      if (!owners.some((owner) => owner.includes(`Concord-${stage}-`))) continue;
      let definition: AslDefinition;
      try {
        definition = JSON.parse(described.definition ?? '') as AslDefinition;
      } catch (error) {
        throw new InvalidDefinitionError(`state machine ${machine.name} has a definition that is not JSON`, {
          cause: error,
        });
      }
      machines.push({
        arn: machine.stateMachineArn,
        name: machine.name ?? machine.stateMachineArn,
        type: described.type,
        definition,
      });
    }
  return machines;
}

/** A state machine's generated name (`OrderToCashStateMachine6E2D…-1a2b…`) → the name a person knows (`OrderToCash`). */
export function workflowName(stateMachineName: string): string {
  return stateMachineName.replace(/StateMachine[A-Z0-9]*(-.*)?$/, '') || stateMachineName;
}

/**
 * Where a machine's executions are read: from X-Ray for an Express machine on AWS (Step Functions refuses to list,
 * describe or give the history of an Express execution there, and its log is at level ERROR), from the executions
 * API otherwise — the embedded runtime keeps every execution, Express ones included, and a Standard machine's are
 * kept on AWS.
 */
export function executionsSource(
  machine: Pick<StageStateMachine, 'type'>,
  onAws: boolean,
): 'executions' | 'xray' {
  return onAws && machine.type === 'EXPRESS' ? 'xray' : 'executions';
}

/** Step Functions' refusal of ListExecutions, DescribeExecution or GetExecutionHistory for an Express machine. */
function refusesExpress(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'StateMachineTypeNotSupported';
}

/**
 * The transaction's executions, oldest first: per stage state machine, the executions started in `window` (the
 * listing is newest first, so it stops at the first one older), each described to read its input, those naming one
 * of the ids read whole. With `xray` (a client and whether the stage is on AWS), an Express machine on AWS — or one
 * whose executions Step Functions refuses as Express — is read from the transaction's X-Ray traces instead
 * ({@link executionsSource}). A machine whose executions cannot be read either way is a warning, not a failure of
 * the page.
 */
export async function transactionExecutions(
  sfn: SFNClient,
  stage: string,
  ids: TransactionIds,
  window: { from: Date; to: Date },
  xray?: { client: XRayClient; onAws: boolean },
): Promise<{ executions: WorkflowExecution[]; warnings: string[] }> {
  const executions: WorkflowExecution[] = [];
  const warnings: string[] = [];
  const fromXRay: StageStateMachine[] = [];
  for (const machine of await stageStateMachines(sfn, stage)) {
    if (xray && executionsSource(machine, xray.onAws) === 'xray') {
      fromXRay.push(machine);
      continue;
    }
    try {
      let read = 0;
      listing: for await (const page of paginateListExecutions(
        { client: sfn },
        { stateMachineArn: machine.arn, maxResults: 100 },
      ))
        for (const summary of page.executions ?? []) {
          read += 1;
          const started = summary.startDate ?? new Date(0);
          if (started < window.from || read > listLimit) break listing;
          if (started > window.to || !summary.executionArn) continue;
          const described = await sfn.send(
            new DescribeExecutionCommand({ executionArn: summary.executionArn }),
          );
          if (!namesTransaction(described.input ?? '', ids)) continue;
          const events: HistoryEvent[] = [];
          let nextToken: string | undefined;
          do {
            const history = await sfn.send(
              new GetExecutionHistoryCommand({
                executionArn: summary.executionArn,
                maxResults: 1000,
                nextToken,
              }),
            );
            events.push(...(history.events ?? []));
            nextToken = history.nextToken;
          } while (nextToken);
          executions.push({
            stateMachineName: machine.name,
            stateMachineArn: machine.arn,
            executionArn: summary.executionArn,
            name: summary.name ?? '',
            status: summary.status ?? 'UNKNOWN',
            startDate: iso(summary.startDate),
            stopDate: summary.stopDate ? iso(summary.stopDate) : undefined,
            definition: machine.definition,
            source: 'executions',
            ...executionPath(machine.definition, events),
          });
        }
    } catch (error) {
      if (xray && refusesExpress(error)) {
        fromXRay.push(machine);
        continue;
      }
      warnings.push(
        `${workflowName(machine.name)}: its executions could not be read (${(error as Error).name}: ${(error as Error).message})`,
      );
    }
  }
  if (xray && fromXRay.length > 0)
    try {
      const read = await xrayExecutions(xray.client, fromXRay, ids, window);
      executions.push(...read.executions);
      warnings.push(...read.warnings);
    } catch (error) {
      warnings.push(
        `${fromXRay.map((machine) => workflowName(machine.name)).join(', ')}: their X-Ray traces could not be read (${(error as Error).name}: ${(error as Error).message})`,
      );
    }
  return { executions: executions.sort((a, b) => a.startDate.localeCompare(b.startDate)), warnings };
}
