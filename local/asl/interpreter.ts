/**
 * The Amazon States Language interpreter: walks a definition's states in execution frames, each state run by its
 * module under states/ with its query language's strategy, under Retry/Catch, recording the history.
 */
import type { LocalClock } from '../clock';
import { checkSize, ExecutionFrame, type StepResult, VariableScope } from './execution-frame';
import { jsonPathLanguage } from './jsonpath-language';
import { queryLanguageOf } from './query-language';
import { withRetryAndCatch } from './retry-catch';
import { stateHandlerOf } from './states';
import { locatedInState, runtimeError } from './states-error';

/** A state as written in the definition (fields are validated before execution). */
export type StateDefinition = Record<string, unknown> & { Type: string };

/** A state machine or a branch/iteration of one. */
export interface StatesFragment {
  StartAt: string;
  States: Record<string, StateDefinition>;
  QueryLanguage?: 'JSONPath' | 'JSONata';
}

/** A whole definition. */
export interface StateMachineDefinition extends StatesFragment {
  Comment?: string;
  TimeoutSeconds?: number;
  Version?: string;
}

/** What a Task needs from the outside world. */
export interface TaskIntegrations {
  /** Runs a resource (ARN without `.waitForTaskToken`) with its input; throws StatesError on failure. */
  run(
    resource: string,
    input: unknown,
    options: {
      signal: AbortSignal;
      taskToken?: string;
      /** The execution's role session (the state machine's role): IAM authorizes the call as it. */
      session?: { roleArn: string; sessionName: string };
    },
  ): Promise<unknown>;
  /** Waits for SendTaskSuccess/Failure on a token; heartbeats extend the wait. */
  awaitTaskToken(token: string, options: { heartbeatSec?: number; signal: AbortSignal }): Promise<unknown>;
}

/** Records the execution history (AWS-shaped events); Express executions may record nothing. */
export interface HistoryRecorder {
  /**
   * Records one event and answers its id in the execution history, if the recorder numbers events: the causes of
   * the errors the interpreter raises name the id of the event that entered the failing state.
   */
  record(type: string, details?: Record<string, unknown>): number | undefined;
}

/** A top-level position to resume a Standard execution from after a restart. */
export interface Checkpoint {
  state: string;
  input: unknown;
  variables: Record<string, unknown>;
  /** Set while a `.waitForTaskToken` task waits: on resume, wait again instead of re-invoking. */
  waitingToken?: string;
}

/** How one execution runs. */
export interface RunOptions {
  clock: LocalClock;
  integrations: TaskIntegrations;
  recorder: HistoryRecorder;
  /** The context object's Execution and StateMachine parts. */
  context: { Execution: Record<string, unknown>; StateMachine: Record<string, unknown> };
  signal: AbortSignal;
  /** Called after every top-level state (Standard workflows persist it). */
  checkpoint?: (checkpoint: Checkpoint) => void;
  resume?: Checkpoint;
  /** Billable units: one per state entered. */
  meter: { transitions: number };
}

/** Executes a definition; resolves with the execution output or rejects with StatesError. */
export class Interpreter {
  constructor(
    private readonly definition: StateMachineDefinition,
    private readonly options: RunOptions,
  ) {}

  /** Runs the whole execution from the start (or from the resume checkpoint). */
  async run(input: unknown): Promise<unknown> {
    const frame = new ExecutionFrame(
      this.options,
      new VariableScope(undefined, this.options.resume?.variables ?? {}),
      queryLanguageOf(this.definition, jsonPathLanguage),
      true,
      (fragment, fragmentInput, branchFrame) => this.runFragment(fragment, fragmentInput, branchFrame),
    );
    return this.runFragment(this.definition, input, frame, this.options.resume);
  }

  /** Runs a fragment's states from StartAt (or the checkpoint) until one ends it. */
  private async runFragment(
    fragment: StatesFragment,
    input: unknown,
    frame: ExecutionFrame,
    resume?: Checkpoint,
  ): Promise<unknown> {
    let name = resume?.state ?? fragment.StartAt;
    let current = resume?.input ?? input;
    let waitingToken = resume?.waitingToken;
    for (;;) {
      if (frame.signal.aborted) throw frame.signal.reason;
      const state = fragment.States[name];
      if (!state) throw runtimeError(`State ${name} does not exist`);
      const result = await this.runState(
        name,
        state,
        current,
        frame,
        frame.topLevel ? waitingToken : undefined,
      );
      waitingToken = undefined;
      if (result.next === undefined) return result.output;
      name = result.next;
      current = result.output;
      frame.saveCheckpoint({ state: name, input: current, variables: frame.scope.ownValues() });
    }
  }

  /** Runs one state with its Retry and Catch, recording its Entered and Exited events. */
  private async runState(
    name: string,
    state: StateDefinition,
    rawInput: unknown,
    frame: ExecutionFrame,
    waitingToken: string | undefined,
  ): Promise<StepResult> {
    const language = queryLanguageOf(state, frame.language);
    const enteredTime = new Date(frame.clock.now()).toISOString();
    frame.countTransition();
    const enteredEventId = frame.recorder.record(`${state.Type}StateEntered`, {
      stateEnteredEventDetails: { name, input: JSON.stringify(rawInput) },
    });
    const handler = stateHandlerOf(state.Type);
    const attempt = async (retryCount: number) => {
      const context = frame.contextObject(name, enteredTime, retryCount);
      try {
        return await handler({
          frame,
          name,
          state,
          rawInput,
          language,
          context,
          variables: frame.scope.all(),
          waitingToken,
        });
      } catch (error) {
        throw locatedInState(error, name, enteredEventId);
      }
    };
    const result = await withRetryAndCatch({ frame, name, state, rawInput, language, enteredTime }, attempt);
    checkSize(result.output, `state/task '${name}' returned a result with a size that`);
    frame.recorder.record(`${state.Type}StateExited`, {
      stateExitedEventDetails: { name, output: JSON.stringify(result.output) },
    });
    return result;
  }
}
