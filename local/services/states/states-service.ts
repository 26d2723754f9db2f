/**
 * Step Functions: state machines, Standard executions (checkpointed after every state, resumed after a restart),
 * Express executions (async at-least-once, sync at-most-once, 5-minute limit), history, task tokens.
 */
import { randomUUID } from 'node:crypto';
import {
  type Checkpoint,
  type HistoryRecorder,
  Interpreter,
  type StateMachineDefinition,
  type TaskIntegrations,
} from '../../asl/interpreter';
import { StatesError } from '../../asl/states-error';
import {
  type DefinitionDiagnostic,
  diagnoseDefinition,
  validateDefinition,
} from '../../asl/validate-definition';
import type { ClockTimer, LocalClock } from '../../clock';
import { AwsError, validationError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';
import { type ExecutionLogging, loggedBytes, loggingOff, parseExecutionLogging } from './execution-logs';
import { hasResourceSupport } from './task-integrations';

/** The operations the local Step Functions answers (the docs' operations list is generated from it). */
export const statesOperations = [
  'CreateStateMachine',
  'UpdateStateMachine',
  'DescribeStateMachine',
  'ListStateMachines',
  'DeleteStateMachine',
  'ValidateStateMachineDefinition',
  'StartExecution',
  'StartSyncExecution',
  'DescribeExecution',
  'ListExecutions',
  'GetExecutionHistory',
  'StopExecution',
  'SendTaskSuccess',
  'SendTaskFailure',
  'SendTaskHeartbeat',
] as const;

/** ValidateStateMachineDefinition's limit on diagnostics per answer: its default, and its maximum. */
const maxDiagnostics = 100;

interface StateMachineRecord {
  name: string;
  arn: string;
  type: 'STANDARD' | 'EXPRESS';
  definition: string;
  roleArn: string;
  /** Absent on machines created before logging was recorded: they log nothing. */
  loggingConfiguration?: ExecutionLogging;
  createdAt: number;
  updatedAt: number;
}

type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface ExecutionRow {
  arn: string;
  machine_arn: string;
  name: string;
  type: string;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
  start_ms: number;
  stop_ms: number | null;
  checkpoint: string | null;
  transitions: number;
}

interface HistoryEvent {
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

interface TokenWaiter {
  executionArn: string;
  resolve: (value: unknown) => void;
  reject: (error: StatesError) => void;
  heartbeat?: () => void;
}

/** Billable use of one execution, for cost accounting. */
export interface ExecutionUsage {
  type: 'STANDARD' | 'EXPRESS';
  transitions: number;
  durationMs: number;
  /** What the execution sent to CloudWatch Logs under its machine's logging configuration. */
  logBytes: number;
}

/** How an execution ended: its usage, and what CloudWatch counts it as (AWS/States metrics). */
export interface ExecutionEnd extends ExecutionUsage {
  stateMachineArn: string;
  status: Exclude<ExecutionStatus, 'RUNNING'>;
}

/** The history event that closes an execution which did not succeed, and the key of its details. */
const endEvents: Record<Exclude<ExecutionStatus, 'RUNNING' | 'SUCCEEDED'>, [string, string]> = {
  FAILED: ['ExecutionFailed', 'executionFailedEventDetails'],
  ABORTED: ['ExecutionAborted', 'executionAbortedEventDetails'],
  TIMED_OUT: ['ExecutionTimedOut', 'executionTimedOutEventDetails'],
};

const expressLimitMs = 5 * 60 * 1000;

/** Parsed definitions by their text: an execution reads its machine's definition, it never changes it. */
const parsedDefinitions = new Map<string, StateMachineDefinition>();

/** The parsed definition, parsed once per definition text rather than once per execution. */
function parsedDefinition(text: string): StateMachineDefinition {
  let definition = parsedDefinitions.get(text);
  if (!definition) {
    definition = JSON.parse(text) as StateMachineDefinition;
    // Updated definitions replace old ones; the bound keeps a long-running runtime's cache small.
    if (parsedDefinitions.size >= 100) parsedDefinitions.clear();
    parsedDefinitions.set(text, definition);
  }
  return definition;
}
const recentExpressLimit = 5000;

/**
 * Keeps the events an execution records until they are flushed to the store. Ids are those of the whole history
 * (a resumed execution continues after the stored events), so that a state's entered event id is known when it is
 * recorded: AWS names it in the cause of the errors the interpreter raises.
 */
class MemoryRecorder implements HistoryRecorder {
  /** The events not flushed yet. */
  readonly events: HistoryEvent[] = [];
  private lastId: number;

  constructor(
    private readonly clock: LocalClock,
    storedEvents = 0,
  ) {
    this.lastId = storedEvents;
  }

  record(type: string, details: Record<string, unknown> = {}): number {
    this.lastId += 1;
    const id = this.lastId;
    this.events.push({ timestamp: this.clock.now(), type, id, previousEventId: id - 1, ...details });
    return id;
  }
}

/** The Step Functions service of the local runtime. */
export class StatesService implements JsonService {
  readonly targetPrefix = 'AWSStepFunctions';
  private readonly running = new Map<string, AbortController>();
  private readonly recorders = new Map<string, MemoryRecorder>();
  private readonly tokens = new Map<string, TokenWaiter>();
  private readonly recentExpress = new Map<string, ExecutionRow & { history: HistoryEvent[] }>();
  integrations: TaskIntegrations | undefined;
  /** Called when a new execution starts (not when one resumes after a restart): AWS/States ExecutionsStarted. */
  onExecutionStart: (stateMachineArn: string) => void = () => {};
  /** Called when an execution ends (cost metering, AWS/States metrics, tests). */
  onExecutionEnd: (end: ExecutionEnd) => void = () => {};
  private closed = false;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
  ) {
    store.db.exec(`CREATE TABLE IF NOT EXISTS sfn_executions (
        arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
        input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT, start_ms INTEGER NOT NULL, stop_ms INTEGER, checkpoint TEXT,
        transitions INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS sfn_executions_machine ON sfn_executions (machine_arn, start_ms);
      CREATE TABLE IF NOT EXISTS sfn_history (arn TEXT NOT NULL, id INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (arn, id));`);
  }

  /** Resumes executions that were running when the runtime stopped. */
  start(): void {
    const rows = this.store.db
      .prepare("SELECT * FROM sfn_executions WHERE status = 'RUNNING'")
      .all() as ExecutionRow[];
    for (const row of rows) {
      const machine = this.machine(row.machine_arn);
      const checkpoint = row.checkpoint ? (JSON.parse(row.checkpoint) as Checkpoint) : undefined;
      // Standard resumes from its last checkpoint; Express (at-least-once) starts over.
      void this.execute(machine, row, row.type === 'STANDARD' ? checkpoint : undefined);
    }
  }

  close(): void {
    this.closed = true;
    for (const controller of this.running.values()) controller.abort(new Error('runtime stopping'));
  }

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'CreateStateMachine':
        return this.createStateMachine(input);
      case 'UpdateStateMachine':
        return this.updateStateMachine(input);
      case 'DescribeStateMachine': {
        const machine = this.machine(String(input.stateMachineArn ?? ''));
        return {
          stateMachineArn: machine.arn,
          name: machine.name,
          status: 'ACTIVE',
          definition: machine.definition,
          roleArn: machine.roleArn,
          type: machine.type,
          loggingConfiguration: machine.loggingConfiguration ?? loggingOff,
          creationDate: machine.createdAt / 1000,
        };
      }
      case 'ListStateMachines':
        return {
          stateMachines: this.store.listResources<StateMachineRecord>('sfn-machine').map(({ value }) => ({
            stateMachineArn: value.arn,
            name: value.name,
            type: value.type,
            creationDate: value.createdAt / 1000,
          })),
        };
      case 'ValidateStateMachineDefinition':
        return this.validateStateMachineDefinition(input);
      case 'DeleteStateMachine':
        this.store.deleteResource('sfn-machine', this.machine(String(input.stateMachineArn ?? '')).name);
        return {};
      case 'StartExecution':
        return this.startExecution(input);
      case 'StartSyncExecution':
        return this.startSyncExecution(input);
      case 'DescribeExecution':
        return this.describeExecution(String(input.executionArn ?? ''));
      case 'ListExecutions':
        return this.listExecutions(input);
      case 'GetExecutionHistory':
        return this.executionHistory(String(input.executionArn ?? ''), input.reverseOrder === true);
      case 'StopExecution':
        return this.stopExecution(
          String(input.executionArn ?? ''),
          input.error as string | undefined,
          input.cause as string | undefined,
        );
      case 'SendTaskSuccess':
        return this.completeToken(String(input.taskToken ?? ''), (waiter) =>
          waiter.resolve(this.parseOutput(input.output)),
        );
      case 'SendTaskFailure':
        return this.completeToken(String(input.taskToken ?? ''), (waiter) =>
          waiter.reject(new StatesError(String(input.error ?? ''), String(input.cause ?? ''))),
        );
      case 'SendTaskHeartbeat':
        return this.completeToken(String(input.taskToken ?? ''), (waiter) => waiter.heartbeat?.(), false);
      default:
        throw new AwsError(
          'UnknownOperationException',
          `Step Functions operation ${operation} is not supported by the local runtime (it serves ${statesOperations.join(', ')})`,
        );
    }
  }

  private machineArn(name: string): string {
    return `arn:aws:states:${this.env.region}:${this.env.accountId}:stateMachine:${name}`;
  }

  /** A state machine by ARN. */
  machine(arn: string): StateMachineRecord {
    const name = arn.split(':')[6] ?? '';
    const machine = this.store.getResource<StateMachineRecord>('sfn-machine', name);
    if (!machine || machine.arn !== arn)
      throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private createStateMachine(input: Record<string, unknown>) {
    const name = String(input.name ?? '');
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const definition = String(input.definition ?? '');
    const type = (input.type as StateMachineRecord['type'] | undefined) ?? 'STANDARD';
    if (type !== 'STANDARD' && type !== 'EXPRESS') throw validationError(`Invalid type ${String(type)}`);
    validateDefinition(definition, type);
    const existing = this.store.getResource<StateMachineRecord>('sfn-machine', name);
    if (existing) {
      if (existing.definition === definition && existing.type === type)
        return { stateMachineArn: existing.arn, creationDate: existing.createdAt / 1000 };
      throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${existing.arn}'`);
    }
    const now = this.clock.now();
    const record: StateMachineRecord = {
      name,
      arn: this.machineArn(name),
      type,
      definition,
      roleArn: String(input.roleArn ?? ''),
      loggingConfiguration: parseExecutionLogging(input.loggingConfiguration) ?? loggingOff,
      createdAt: now,
      updatedAt: now,
    };
    this.store.putResource('sfn-machine', name, record);
    return { stateMachineArn: record.arn, creationDate: now / 1000 };
  }

  private updateStateMachine(input: Record<string, unknown>) {
    const machine = this.machine(String(input.stateMachineArn ?? ''));
    const definition = input.definition === undefined ? machine.definition : String(input.definition);
    validateDefinition(definition, machine.type);
    const now = this.clock.now();
    this.store.putResource('sfn-machine', machine.name, {
      ...machine,
      definition,
      roleArn: (input.roleArn as string | undefined) ?? machine.roleArn,
      loggingConfiguration: parseExecutionLogging(input.loggingConfiguration) ?? machine.loggingConfiguration,
      updatedAt: now,
    });
    return { updateDate: now / 1000 };
  }

  /**
   * ValidateStateMachineDefinition: AWS's checks as CreateStateMachine makes them here, plus what the embedded
   * runtime cannot run (see docs/local-runtime.md). `result` is FAIL when any ERROR exists, whatever the filter.
   */
  private validateStateMachineDefinition(input: Record<string, unknown>) {
    const definition = input.definition;
    if (typeof definition !== 'string' || definition.length < 1 || definition.length > 1_048_576)
      throw validationError(
        "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length between 1 and 1048576",
      );
    const type = input.type ?? 'STANDARD';
    if (type !== 'STANDARD' && type !== 'EXPRESS')
      throw validationError(
        `1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`,
      );
    const severity = input.severity ?? 'ERROR';
    if (severity !== 'ERROR' && severity !== 'WARNING')
      throw validationError(
        `1 validation error detected: Value '${String(severity)}' at 'severity' failed to satisfy constraint: Member must satisfy enum value set: [ERROR, WARNING]`,
      );
    const requested = input.maxResults ?? 0;
    if (!Number.isInteger(requested) || (requested as number) < 0 || (requested as number) > maxDiagnostics)
      throw validationError(
        `1 validation error detected: Value '${String(requested)}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and ${maxDiagnostics}`,
      );
    // 0 is the default, as AWS documents it.
    const limit = (requested as number) === 0 ? maxDiagnostics : (requested as number);
    const integrations = this.integrations;
    const all = diagnoseDefinition(definition, {
      type,
      unsupportedResource: hasResourceSupport(integrations)
        ? (resource) => integrations.unsupportedReason(resource)
        : undefined,
    });
    // WARNING is the lower level: asking for it answers warnings and errors.
    const wanted = all.filter((diagnostic) => severity === 'WARNING' || diagnostic.severity === 'ERROR');
    const diagnostics: DefinitionDiagnostic[] = wanted.slice(0, limit);
    const failed = all.some((diagnostic) => diagnostic.severity === 'ERROR');
    return { result: failed ? 'FAIL' : 'OK', diagnostics, truncated: wanted.length > limit };
  }

  private parseInput(input: unknown): string {
    const text = input === undefined ? '{}' : String(input);
    try {
      JSON.parse(text);
    } catch {
      throw new AwsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${text}'`);
    }
    return text;
  }

  private parseOutput(output: unknown): unknown {
    try {
      return JSON.parse(String(output ?? 'null'));
    } catch {
      throw new AwsError('InvalidOutput', 'Invalid Output: the task output is not valid JSON');
    }
  }

  private newExecution(machine: StateMachineRecord, nameInput: unknown, input: string): ExecutionRow {
    const name = nameInput === undefined ? randomUUID() : String(nameInput);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const kind = machine.type === 'EXPRESS' ? 'express' : 'execution';
    return {
      arn: `arn:aws:states:${this.env.region}:${this.env.accountId}:${kind}:${machine.name}:${name}`,
      machine_arn: machine.arn,
      name,
      type: machine.type,
      status: 'RUNNING',
      input,
      output: null,
      error: null,
      cause: null,
      start_ms: this.clock.now(),
      stop_ms: null,
      checkpoint: null,
      transitions: 0,
    };
  }

  /** Starts an execution (also the EventBridge target and the startExecution integration). */
  startExecution(input: Record<string, unknown>) {
    const machine = this.machine(String(input.stateMachineArn ?? ''));
    const text = this.parseInput(input.input);
    const row = this.newExecution(machine, input.name, text);
    const existing = this.store.db.prepare('SELECT * FROM sfn_executions WHERE arn = ?').get(row.arn) as
      | ExecutionRow
      | undefined;
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === text)
        return { executionArn: existing.arn, startDate: existing.start_ms / 1000 };
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${row.arn}'`);
    }
    // Acknowledged only once durable: a restart resumes (Standard) or re-runs (Express, at-least-once) it.
    this.store.db
      .prepare(
        'INSERT INTO sfn_executions (arn, machine_arn, name, type, status, input, start_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(row.arn, row.machine_arn, row.name, row.type, row.status, row.input, row.start_ms);
    this.onExecutionStart(machine.arn);
    void this.execute(machine, row);
    return { executionArn: row.arn, startDate: row.start_ms / 1000 };
  }

  private async startSyncExecution(input: Record<string, unknown>) {
    const machine = this.machine(String(input.stateMachineArn ?? ''));
    if (machine.type !== 'EXPRESS')
      throw new AwsError(
        'StateMachineTypeNotSupported',
        'This operation is not supported by this type of state machine',
      );
    const row = this.newExecution(machine, input.name, this.parseInput(input.input));
    // Synchronous Express executions are at-most-once: nothing is persisted before the answer.
    this.onExecutionStart(machine.arn);
    const done = await this.execute(machine, row, undefined, false);
    return {
      executionArn: done.arn,
      stateMachineArn: done.machine_arn,
      name: done.name,
      startDate: done.start_ms / 1000,
      stopDate: (done.stop_ms ?? done.start_ms) / 1000,
      status: done.status,
      input: done.input,
      inputDetails: { included: true },
      ...(done.output !== null ? { output: done.output, outputDetails: { included: true } } : {}),
      ...(done.error !== null ? { error: done.error } : {}),
      ...(done.cause !== null ? { cause: done.cause } : {}),
      billingDetails: {
        billedMemoryUsedInMB: 64,
        billedDurationInMilliseconds: Math.max(
          100,
          Math.ceil(((done.stop_ms ?? done.start_ms) - done.start_ms) / 100) * 100,
        ),
      },
    };
  }

  private async execute(
    machine: StateMachineRecord,
    row: ExecutionRow,
    resume?: Checkpoint,
    persisted = true,
  ): Promise<ExecutionRow> {
    const controller = new AbortController();
    this.running.set(row.arn, controller);
    const standard = machine.type === 'STANDARD';
    // A resumed Standard execution continues its stored history; anything else starts one.
    const storedEvents = resume
      ? (
          this.store.db
            .prepare('SELECT COALESCE(MAX(id), 0) AS n FROM sfn_history WHERE arn = ?')
            .get(row.arn) as { n: number }
        ).n
      : 0;
    const recorder = new MemoryRecorder(this.clock, storedEvents);
    this.recorders.set(row.arn, recorder);
    const definition = parsedDefinition(machine.definition);
    const meter = { transitions: row.transitions };
    if (!resume)
      recorder.record('ExecutionStarted', {
        executionStartedEventDetails: { input: row.input, roleArn: machine.roleArn },
      });
    const flushHistory = () => {
      if (!standard) return;
      const insert = this.store.db.prepare(
        'INSERT OR REPLACE INTO sfn_history (arn, id, event) VALUES (?, ?, ?)',
      );
      for (const event of recorder.events.splice(0)) insert.run(row.arn, event.id, JSON.stringify(event));
    };
    const interpreter = new Interpreter(definition, {
      clock: this.clock,
      integrations: this.requireIntegrations(row.arn),
      recorder,
      context: {
        Execution: {
          Id: row.arn,
          Input: JSON.parse(row.input),
          Name: row.name,
          RoleArn: machine.roleArn,
          StartTime: new Date(row.start_ms).toISOString(),
          RedriveCount: 0,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
      signal: controller.signal,
      resume,
      meter,
      checkpoint: standard
        ? (checkpoint) =>
            this.store.transaction(() => {
              this.store.db
                .prepare('UPDATE sfn_executions SET checkpoint = ?, transitions = ? WHERE arn = ?')
                .run(JSON.stringify(checkpoint), meter.transitions, row.arn);
              flushHistory();
            })
        : undefined,
    });
    const limitMs = standard ? (definition.TimeoutSeconds ?? 31_536_000) * 1000 : expressLimitMs;
    const executionTimedOut = new StatesError(
      'States.Timeout',
      `The execution exceeded its time limit of ${limitMs / 1000} seconds`,
    );
    const timeout = this.clock
      .sleep(Math.max(0, row.start_ms + limitMs - this.clock.now()), controller.signal)
      .then(
        () => {
          throw executionTimedOut;
        },
        () => new Promise<never>(() => {}),
      );
    let final: ExecutionRow;
    try {
      const output = await Promise.race([interpreter.run(JSON.parse(row.input)), timeout]);
      const text = JSON.stringify(output ?? null);
      recorder.record('ExecutionSucceeded', { executionSucceededEventDetails: { output: text } });
      final = {
        ...row,
        status: 'SUCCEEDED',
        output: text,
        stop_ms: this.clock.now(),
        transitions: meter.transitions,
      };
    } catch (error) {
      if (this.closed && controller.signal.aborted) return row; // shutting down: the execution resumes on restart
      const failure =
        error instanceof StatesError
          ? error
          : new StatesError('States.Runtime', String((error as Error)?.message ?? error));
      const aborted = controller.signal.aborted && !(error instanceof StatesError);
      const status: ExecutionStatus = aborted
        ? 'ABORTED'
        : error === executionTimedOut
          ? 'TIMED_OUT'
          : 'FAILED';
      const stopped = this.store.db
        .prepare('SELECT status, error, cause FROM sfn_executions WHERE arn = ?')
        .get(row.arn) as { status: string; error: string | null; cause: string | null } | undefined;
      // An empty error name or cause is none (a Fail state without Error or Cause): AWS then omits them.
      const stopError = aborted ? (stopped?.error ?? null) : failure.error || null;
      const stopCause = aborted ? (stopped?.cause ?? null) : failure.cause || null;
      const [eventType, detailsKey] = endEvents[status];
      recorder.record(eventType, {
        [detailsKey]: {
          ...(stopError !== null ? { error: stopError } : {}),
          ...(stopCause !== null ? { cause: stopCause } : {}),
        },
      });
      final = {
        ...row,
        status,
        error: stopError,
        cause: stopCause,
        stop_ms: this.clock.now(),
        transitions: meter.transitions,
      };
    } finally {
      controller.abort(new Error('execution finished'));
      this.running.delete(row.arn);
      for (const [token, waiter] of this.tokens)
        if (waiter.executionArn === row.arn) this.tokens.delete(token);
    }
    if (persisted) {
      this.store.transaction(() => {
        this.store.db
          .prepare(
            'UPDATE sfn_executions SET status = ?, output = ?, error = ?, cause = ?, stop_ms = ?, checkpoint = NULL, transitions = ? WHERE arn = ?',
          )
          .run(
            final.status,
            final.output,
            final.error,
            final.cause,
            final.stop_ms,
            final.transitions,
            row.arn,
          );
        flushHistory();
      });
    }
    if (!standard) {
      this.recentExpress.set(row.arn, { ...final, history: recorder.events });
      if (this.recentExpress.size > recentExpressLimit)
        this.recentExpress.delete(this.recentExpress.keys().next().value as string);
    }
    this.recorders.delete(row.arn);
    // Standard executions' events were flushed to the store as they happened; Express ones are all here.
    const historyBytes = standard
      ? 0
      : loggedBytes(recorder.events, machine.loggingConfiguration ?? loggingOff);
    this.onExecutionEnd({
      stateMachineArn: machine.arn,
      status: final.status as ExecutionEnd['status'],
      type: machine.type,
      transitions: final.transitions,
      durationMs: (final.stop_ms ?? final.start_ms) - final.start_ms,
      logBytes: historyBytes,
    });
    return final;
  }

  private requireIntegrations(executionArn: string): TaskIntegrations {
    const integrations = this.integrations;
    if (!integrations) throw new Error('Step Functions integrations are not wired');
    return {
      run: (resource, input, options) => integrations.run(resource, input, options),
      awaitTaskToken: (token, options) =>
        this.awaitToken(executionArn, token, options.heartbeatSec, options.signal),
    };
  }

  private awaitToken(
    executionArn: string,
    token: string,
    heartbeatSec: number | undefined,
    signal: AbortSignal,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let heartbeatTimer: ClockTimer | undefined;
      const armHeartbeat = () => {
        heartbeatTimer?.clear();
        if (heartbeatSec) {
          heartbeatTimer = this.clock.setTimeout(() => {
            this.tokens.delete(token);
            reject(
              new StatesError(
                'States.HeartbeatTimeout',
                `No heartbeat for task token within ${heartbeatSec} seconds`,
              ),
            );
          }, heartbeatSec * 1000);
        }
      };
      armHeartbeat();
      signal.addEventListener('abort', () => {
        heartbeatTimer?.clear();
        this.tokens.delete(token);
        reject(signal.reason);
      });
      this.tokens.set(token, {
        executionArn,
        resolve: (value) => {
          heartbeatTimer?.clear();
          resolve(value);
        },
        reject: (error) => {
          heartbeatTimer?.clear();
          reject(error);
        },
        heartbeat: armHeartbeat,
      });
    });
  }

  private completeToken(token: string, act: (waiter: TokenWaiter) => void, remove = true) {
    const waiter = this.tokens.get(token);
    if (!waiter)
      throw new AwsError(
        'TaskDoesNotExist',
        'Task Does Not Exist: the task token is invalid, or its task has already completed',
      );
    if (remove) this.tokens.delete(token);
    act(waiter);
    return {};
  }

  private row(arn: string): (ExecutionRow & { history?: HistoryEvent[] }) | undefined {
    return (
      this.recentExpress.get(arn) ??
      (this.store.db.prepare('SELECT * FROM sfn_executions WHERE arn = ?').get(arn) as
        | ExecutionRow
        | undefined)
    );
  }

  private summary(row: ExecutionRow) {
    return {
      executionArn: row.arn,
      stateMachineArn: row.machine_arn,
      name: row.name,
      status: row.status,
      startDate: row.start_ms / 1000,
      ...(row.stop_ms !== null ? { stopDate: row.stop_ms / 1000 } : {}),
    };
  }

  private describeExecution(arn: string) {
    const row = this.row(arn);
    if (!row) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return {
      ...this.summary(row),
      input: row.input,
      inputDetails: { included: true },
      ...(row.output !== null ? { output: row.output, outputDetails: { included: true } } : {}),
      ...(row.error !== null ? { error: row.error } : {}),
      ...(row.cause !== null ? { cause: row.cause } : {}),
    };
  }

  private listExecutions(input: Record<string, unknown>) {
    const machine = this.machine(String(input.stateMachineArn ?? ''));
    const status = input.statusFilter as string | undefined;
    const limit = Math.min(1000, Number(input.maxResults ?? 100) || 100);
    const rows = this.store.db
      .prepare(
        `SELECT * FROM sfn_executions WHERE machine_arn = ? ${status ? 'AND status = ?' : ''} ORDER BY start_ms DESC LIMIT ?`,
      )
      .all(...(status ? [machine.arn, status, limit] : [machine.arn, limit])) as ExecutionRow[];
    const express = [...this.recentExpress.values()].filter(
      (row) =>
        row.machine_arn === machine.arn &&
        (!status || row.status === status) &&
        !rows.some((r) => r.arn === row.arn),
    );
    return {
      executions: [...rows, ...express].slice(0, limit).map((row) => this.summary(row)),
    };
  }

  private executionHistory(arn: string, reverse: boolean) {
    const row = this.row(arn);
    if (!row) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    const persisted = (
      this.store.db.prepare('SELECT event FROM sfn_history WHERE arn = ? ORDER BY id').all(arn) as {
        event: string;
      }[]
    ).map((r) => JSON.parse(r.event) as HistoryEvent);
    // Events not flushed yet already carry their ids in the whole history.
    const live = this.recorders.get(arn)?.events ?? row.history ?? [];
    const events = [...persisted, ...live].map((event) => ({
      ...event,
      timestamp: event.timestamp / 1000,
    }));
    return { events: reverse ? events.reverse() : events };
  }

  private stopExecution(arn: string, error?: string, cause?: string) {
    const row = this.row(arn);
    if (!row) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    const now = this.clock.now();
    if (row.status === 'RUNNING') {
      this.store.db
        .prepare('UPDATE sfn_executions SET error = ?, cause = ? WHERE arn = ?')
        .run(error ?? null, cause ?? null, arn);
      this.running.get(arn)?.abort(new Error('stopped'));
    }
    return { stopDate: now / 1000 };
  }

  /** Waits for an execution to end (used by startExecution.sync integrations and tests). */
  async waitForExecution(
    arn: string,
    signal?: AbortSignal,
  ): Promise<ReturnType<StatesService['describeExecution']>> {
    for (;;) {
      const description = this.describeExecution(arn);
      if (description.status !== 'RUNNING') return description;
      await this.clock.sleep(this.clock.factor * 50, signal);
    }
  }
}
