/** The execution frame: what every state of one (branch of an) execution shares, and what one state attempt sees. */
import type { Checkpoint, RunOptions, StateDefinition, StatesFragment } from './interpreter';
import type { QueryLanguage } from './query-language';
import { StatesError } from './states-error';

const maxPayloadBytes = 256 * 1024;

/** Variables visible in a branch: its own assignments over its parents'. */
export class VariableScope {
  private readonly own: Record<string, unknown>;

  constructor(
    private readonly parent?: VariableScope,
    initial: Record<string, unknown> = {},
  ) {
    this.own = { ...initial };
  }

  /** Every variable visible here, the branch's own assignments shadowing its parents'. */
  all(): Record<string, unknown> {
    return { ...(this.parent?.all() ?? {}), ...this.own };
  }

  /** The variables assigned in this scope only (what a top-level checkpoint persists). */
  ownValues(): Record<string, unknown> {
    return { ...this.own };
  }

  /** Assigns variables in this scope: a branch's assignments never reach its parent. */
  assign(values: Record<string, unknown>): void {
    Object.assign(this.own, values);
  }
}

/** Fails with States.DataLimitExceeded when a value is larger than Step Functions' 256 KiB payload limit. */
export function checkSize(value: unknown, what: string): void {
  if (value !== undefined && Buffer.byteLength(JSON.stringify(value) ?? '') > maxPayloadBytes) {
    throw new StatesError(
      'States.DataLimitExceeded',
      `The ${what} has exceeded the maximum number of characters service limit.`,
    );
  }
}

/** What a state answers: its output, and the state to go to (none when the fragment ends). */
export interface StepResult {
  output: unknown;
  next?: string;
}

/** Runs a fragment (a Parallel branch, a Map iteration) in a frame; the interpreter provides it. */
export type FragmentRunner = (
  fragment: StatesFragment,
  input: unknown,
  frame: ExecutionFrame,
) => Promise<unknown>;

/**
 * One running fragment of an execution: the run-wide collaborators (clock, service caller, history recorder,
 * context object, abort signal, checkpointing, meter), the variables scope of the fragment, the query language
 * its states default to, and whether it is the top level (only the top level checkpoints and resumes).
 */
export class ExecutionFrame {
  constructor(
    private readonly options: RunOptions,
    /** Variables of this fragment. */
    readonly scope: VariableScope,
    /** The fragment's query language, which its states use unless they name their own. */
    readonly language: QueryLanguage,
    /** Whether this is the state machine itself rather than a branch or an iteration. */
    readonly topLevel: boolean,
    /** Runs a nested fragment (Parallel branches, Map iterations). */
    readonly runFragment: FragmentRunner,
  ) {}

  /** The clock timeouts, retries and Wait states sleep on. */
  get clock(): RunOptions['clock'] {
    return this.options.clock;
  }

  /** The service caller Task states run their resources through (IAM-authorized by the integrations). */
  get integrations(): RunOptions['integrations'] {
    return this.options.integrations;
  }

  /** The execution history. */
  get recorder(): RunOptions['recorder'] {
    return this.options.recorder;
  }

  /** Aborts the whole execution (stop, execution timeout). */
  get signal(): AbortSignal {
    return this.options.signal;
  }

  /** The context object's Execution part (its RoleArn is the identity Task calls are authorized as). */
  get execution(): Record<string, unknown> {
    return this.options.context.Execution;
  }

  /** Counts one state transition (billable unit). */
  countTransition(): void {
    this.options.meter.transitions += 1;
  }

  /** The context object (`$$`, `$states.context`) of a state attempt. */
  contextObject(stateName: string, enteredTime: string, retryCount: number): Record<string, unknown> {
    return {
      ...this.options.context,
      State: { Name: stateName, EnteredTime: enteredTime, RetryCount: retryCount },
    };
  }

  /** Persists a resume position; only the top level of a Standard execution is resumable. */
  saveCheckpoint(checkpoint: Checkpoint): void {
    if (this.topLevel) this.options.checkpoint?.(checkpoint);
  }

  /** The frame of a Parallel branch or Map iteration: its own variables over this frame's, never top level. */
  branch(language: QueryLanguage): ExecutionFrame {
    return new ExecutionFrame(this.options, new VariableScope(this.scope), language, false, this.runFragment);
  }
}

/** One attempt at running one state: what its fields are evaluated against. */
export interface StateAttempt {
  readonly frame: ExecutionFrame;
  readonly name: string;
  readonly state: StateDefinition;
  /** The state's input as it arrived (`$states.input`). */
  readonly rawInput: unknown;
  /** The state's query language, chosen per state. */
  readonly language: QueryLanguage;
  /** The context object; a `.waitForTaskToken` Task adds its token (`$$.Task.Token`) before reading its input. */
  readonly context: Record<string, unknown>;
  /** The variables as they were when the attempt began: assignments show from the next state on. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** The token a resumed top-level Task waits on again instead of re-invoking its resource. */
  readonly waitingToken: string | undefined;
}

/** Runs one attempt at a state of one type (a module under states/). */
export type StateHandler = (attempt: StateAttempt) => Promise<StepResult>;

/** The transition after a state: to Next, or the end of the fragment (End, or a Succeed state). */
export function transition(state: StateDefinition, output: unknown): StepResult {
  return state.End === true || state.Type === 'Succeed' ? { output } : { output, next: state.Next as string };
}
