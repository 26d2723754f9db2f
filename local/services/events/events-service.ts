/** EventBridge: buses, rules with the full pattern language, durable at-least-once delivery with retries and DLQs, schedules, archive. */
import { randomUUID } from 'node:crypto';
import { type TargetInputSpec, targetInput } from '../../../functions/shared/bus/target-input';
import type { ClockTimer, LocalClock } from '../../clock';
import { AwsError, notFound, validationError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import {
  type CompiledPattern,
  compileEventPattern,
  flattenEvent,
  matchesEventPattern,
  matchesFlattened,
} from '../../patterns/event-pattern';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';
import { type OperationTable, operationHandler, operationsOf } from '../operation-table';
import { ArchiveReplays, archiveReplayOperations } from './archive-replays';
import { nextScheduleTime, parseScheduleExpression, type Schedule } from './schedule';

/** A rule target as PutTargets declares it. */
export interface TargetDefinition extends TargetInputSpec {
  Id: string;
  Arn: string;
  RoleArn?: string;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  SqsParameters?: { MessageGroupId?: string };
}

interface RuleDefinition {
  name: string;
  bus: string;
  arn: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: TargetDefinition[];
}

interface DeliveryRow {
  seq: number;
  rule_key: string;
  target_id: string;
  event: string;
  attempts: number;
  next_at: number;
  first_at: number;
}

/** A failed delivery to a target, as the target's service reported it. */
export class TargetDeliveryError extends Error {
  override readonly name = 'TargetDeliveryError';
  constructor(
    readonly code: string,
    message: string,
    /** False for failures a retry cannot fix (the target does not exist). */
    readonly retriable = true,
  ) {
    super(message);
  }
}

/** Delivers a payload to a target ARN (SQS, Lambda, Step Functions, Firehose, another bus). */
export type TargetDispatcher = (
  target: TargetDefinition,
  payload: string,
  event: Record<string, unknown>,
  /** The rule that matched: IAM authorizes the delivery on its behalf (aws:SourceArn). */
  ruleArn?: string,
) => Promise<void>;

/** Sends a dead letter (the original event plus AWS's error attributes) to an SQS queue by ARN. */
export type DeadLetterSender = (queueArn: string, body: string, attributes: Record<string, string>) => void;

const defaultRetry = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };

function required(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    throw validationError(
      `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

/** AWS formats event times to the second. */
function eventTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The EventBridge service of the local runtime. */
export class EventsService implements JsonService {
  readonly targetPrefix = 'AWSEvents';
  private readonly patterns = new Map<string, CompiledPattern>();
  // Rules are read on every event: kept in memory, written through to the store.
  private readonly rules = new Map<string, RuleDefinition>();
  private readonly scheduleTimers = new Map<string, ClockTimer>();
  private deliveryTimer: NodeJS.Timeout | undefined;
  private delivering = false;
  private closed = false;
  private readonly archives: ArchiveReplays;
  dispatch: TargetDispatcher = async () => {
    throw new TargetDeliveryError('NotConfigured', 'No target dispatcher', false);
  };
  sendDeadLetter: DeadLetterSender = () => {
    throw new Error('No dead-letter sender');
  };

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
  ) {
    store.db.exec(`CREATE TABLE IF NOT EXISTS events_archive (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, bus TEXT NOT NULL, id TEXT NOT NULL, time TEXT NOT NULL, event TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, rule_key TEXT NOT NULL, target_id TEXT NOT NULL, event TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, first_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS events_deliveries_due ON events_deliveries (next_at);`);
    if (!store.getResource('events-bus', 'default')) this.putBus('default');
    this.archives = new ArchiveReplays(store, clock, env, {
      archivedPage: (bus, fromIso, toIso, afterSeq) => this.archivedEvents(bus, { fromIso, toIso, afterSeq }),
      routeReplayed: (bus, event, ruleArns) => this.route(bus, event, ruleArns),
      transaction: (work) => store.transaction(work),
      kick: () => this.kick(),
    });
    for (const { name, value } of store.listResources<RuleDefinition>('events-rule'))
      this.rules.set(name, value);
  }

  private saveRule(rule: RuleDefinition): void {
    const key = this.ruleKey(rule.bus, rule.name);
    this.store.putResource('events-rule', key, rule);
    this.rules.set(key, rule);
  }

  /** Resumes deliveries and schedules persisted before a restart. */
  start(): void {
    for (const rule of this.rules.values()) this.arm(rule);
    this.kick();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.deliveryTimer);
    for (const timer of this.scheduleTimers.values()) timer.clear();
  }

  /** What answers each EventBridge operation; any operation not a key is refused. */
  static readonly operations: OperationTable<EventsService> = {
    CreateEventBus: (service, input) => service.createEventBus(required(input, 'Name')),
    DescribeEventBus: (service, input) => service.describeEventBus(service.busName(input.Name)),
    ListEventBuses: (service) => {
      return {
        EventBuses: service.store
          .listResources<{ name: string; arn: string }>('events-bus')
          .map(({ value }) => ({ Name: value.name, Arn: value.arn })),
      };
    },
    DeleteEventBus: (service, input) => service.deleteEventBus(required(input, 'Name')),
    PutRule: (service, input) => service.putRule(input),
    DescribeRule: (service, input) =>
      service.describeRule(service.rule(required(input, 'Name'), input.EventBusName)),
    ListRules: (service, input) => service.listRules(input),
    DeleteRule: (service, input) =>
      service.deleteRule(service.rule(required(input, 'Name'), input.EventBusName), input.Force === true),
    EnableRule: (service, input, operation) =>
      service.setRuleState(
        service.rule(required(input, 'Name'), input.EventBusName),
        operation === 'EnableRule' ? 'ENABLED' : 'DISABLED',
      ),
    DisableRule: (service, input, operation) =>
      service.setRuleState(
        service.rule(required(input, 'Name'), input.EventBusName),
        operation === 'EnableRule' ? 'ENABLED' : 'DISABLED',
      ),
    PutTargets: (service, input) =>
      service.putTargets(
        service.rule(required(input, 'Rule'), input.EventBusName),
        (input.Targets as TargetDefinition[]) ?? [],
      ),
    RemoveTargets: (service, input) =>
      service.removeTargets(
        service.rule(required(input, 'Rule'), input.EventBusName),
        (input.Ids as string[]) ?? [],
      ),
    ListTargetsByRule: (service, input) => ({
      Targets: service.rule(required(input, 'Rule'), input.EventBusName).targets,
    }),
    PutEvents: (service, input) => service.putEvents((input.Entries as Record<string, unknown>[]) ?? []),
    TestEventPattern: (service, input) =>
      service.testEventPattern(required(input, 'EventPattern'), required(input, 'Event')),
  };

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const handler = operationHandler(EventsService.operations, operation);
    if (handler) return handler(this, input, operation);
    const answer = this.archives.handle(operation, input);
    if (answer !== undefined) return answer;
    throw new AwsError(
      'UnknownOperationException',
      `EventBridge operation ${operation} is not supported by the local runtime`,
    );
  }

  private busArn(name: string): string {
    return `arn:aws:events:${this.env.region}:${this.env.accountId}:event-bus/${name}`;
  }

  private busName(nameOrArn: unknown): string {
    const text = typeof nameOrArn === 'string' && nameOrArn !== '' ? nameOrArn : 'default';
    return text.startsWith('arn:') ? (text.split('/').at(-1) ?? '') : text;
  }

  private putBus(name: string) {
    this.store.putResource('events-bus', name, { name, arn: this.busArn(name), createdAt: this.clock.now() });
  }

  private createEventBus(name: string) {
    if (!/^[/.\-_A-Za-z0-9]{1,256}$/.test(name) || name === 'default')
      throw validationError(`Event bus name ${name} is not valid.`);
    if (this.store.getResource('events-bus', name))
      throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
    this.putBus(name);
    return { EventBusArn: this.busArn(name) };
  }

  private describeEventBus(name: string) {
    if (!this.store.getResource('events-bus', name)) throw notFound(`Event bus ${name} does not exist.`);
    return { Name: name, Arn: this.busArn(name) };
  }

  private deleteEventBus(name: string) {
    if (name === 'default') throw validationError('Cannot delete event bus default.');
    if ([...this.rules.values()].some((rule) => rule.bus === name)) {
      throw validationError(`Event bus ${name} still has rules.`);
    }
    this.store.deleteResource('events-bus', name);
    return {};
  }

  private ruleKey(bus: string, name: string): string {
    return `${bus}/${name}`;
  }

  private rule(name: string, busNameOrArn: unknown): RuleDefinition {
    const bus = this.busName(busNameOrArn);
    const rule = this.rules.get(this.ruleKey(bus, name));
    if (!rule) throw notFound(`Rule ${name} does not exist on EventBus ${bus}.`);
    return rule;
  }

  private compiled(rule: RuleDefinition): CompiledPattern | undefined {
    if (!rule.eventPattern) return undefined;
    const key = this.ruleKey(rule.bus, rule.name);
    let pattern = this.patterns.get(key);
    if (!pattern) {
      pattern = compileEventPattern(rule.eventPattern);
      this.patterns.set(key, pattern);
    }
    return pattern;
  }

  private putRule(input: Record<string, unknown>) {
    const name = required(input, 'Name');
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) throw validationError(`Rule name ${name} is not valid.`);
    const bus = this.busName(input.EventBusName);
    if (!this.store.getResource('events-bus', bus)) throw notFound(`Event bus ${bus} does not exist.`);
    const eventPattern = input.EventPattern as string | undefined;
    const scheduleExpression = input.ScheduleExpression as string | undefined;
    if (!eventPattern && !scheduleExpression)
      throw validationError('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    if (eventPattern) compileEventPattern(eventPattern);
    if (scheduleExpression) {
      if (bus !== 'default')
        throw validationError('ScheduleExpression is supported only on the default event bus.');
      parseScheduleExpression(scheduleExpression);
    }
    const key = this.ruleKey(bus, name);
    const existing = this.rules.get(key);
    const rule: RuleDefinition = {
      name,
      bus,
      arn: `arn:aws:events:${this.env.region}:${this.env.accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`,
      eventPattern,
      scheduleExpression,
      state: (input.State as RuleDefinition['state']) ?? 'ENABLED',
      description: input.Description as string | undefined,
      targets: existing?.targets ?? [],
    };
    this.saveRule(rule);
    this.patterns.delete(key);
    this.arm(rule);
    return { RuleArn: rule.arn };
  }

  private describeRule(rule: RuleDefinition) {
    return {
      Name: rule.name,
      Arn: rule.arn,
      EventPattern: rule.eventPattern,
      ScheduleExpression: rule.scheduleExpression,
      State: rule.state,
      Description: rule.description,
      EventBusName: rule.bus,
      CreatedBy: this.env.accountId,
    };
  }

  private listRules(input: Record<string, unknown>) {
    const bus = this.busName(input.EventBusName);
    const prefix = (input.NamePrefix as string | undefined) ?? '';
    const rules = [...this.rules.values()].filter((rule) => rule.bus === bus && rule.name.startsWith(prefix));
    return { Rules: rules.map((rule) => this.describeRule(rule)) };
  }

  private deleteRule(rule: RuleDefinition, force: boolean) {
    if (rule.targets.length > 0 && !force)
      throw validationError("Rule can't be deleted since it has targets.");
    const key = this.ruleKey(rule.bus, rule.name);
    this.store.deleteResource('events-rule', key);
    this.rules.delete(key);
    this.patterns.delete(key);
    this.scheduleTimers.get(key)?.clear();
    this.scheduleTimers.delete(key);
    return {};
  }

  private setRuleState(rule: RuleDefinition, state: RuleDefinition['state']) {
    const updated = { ...rule, state };
    this.saveRule(updated);
    this.arm(updated);
    return {};
  }

  private putTargets(rule: RuleDefinition, targets: TargetDefinition[]) {
    if (targets.length === 0) throw validationError('Targets must not be empty.');
    const FailedEntries: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
    const merged = new Map(rule.targets.map((target) => [target.Id, target]));
    for (const target of targets) {
      const inputs = [target.Input, target.InputPath, target.InputTransformer].filter(
        (value) => value !== undefined,
      );
      const retry = target.RetryPolicy;
      let problem: string | undefined;
      if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(target.Id ?? '')) problem = `Target Id ${target.Id} is not valid.`;
      else if (!target.Arn?.startsWith('arn:')) problem = `Target ${target.Id}: Arn is not valid.`;
      else if (inputs.length > 1)
        problem = `Target ${target.Id}: only one of Input, InputPath and InputTransformer may be set.`;
      else if (target.Input !== undefined && !isJson(target.Input))
        problem = `Target ${target.Id}: Input is not valid JSON.`;
      else if (
        retry?.MaximumRetryAttempts !== undefined &&
        (retry.MaximumRetryAttempts < 0 || retry.MaximumRetryAttempts > 185)
      ) {
        problem = 'MaximumRetryAttempts must be between 0 and 185.';
      } else if (
        retry?.MaximumEventAgeInSeconds !== undefined &&
        (retry.MaximumEventAgeInSeconds < 60 || retry.MaximumEventAgeInSeconds > 86_400)
      ) {
        problem = 'MaximumEventAgeInSeconds must be between 60 and 86400.';
      }
      if (problem) {
        FailedEntries.push({ TargetId: target.Id, ErrorCode: 'ValidationException', ErrorMessage: problem });
        continue;
      }
      merged.set(target.Id, target);
    }
    if (merged.size > 5)
      throw new AwsError(
        'LimitExceededException',
        'The requested resource exceeds the maximum number allowed (5 targets per rule).',
      );
    this.saveRule({
      ...rule,
      targets: [...merged.values()],
    });
    return { FailedEntryCount: FailedEntries.length, FailedEntries };
  }

  private removeTargets(rule: RuleDefinition, ids: string[]) {
    this.saveRule({
      ...rule,
      targets: rule.targets.filter((target) => !ids.includes(target.Id)),
    });
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  private testEventPattern(patternText: string, eventText: string) {
    const pattern = compileEventPattern(patternText);
    let event: unknown;
    try {
      event = JSON.parse(eventText);
    } catch {
      throw validationError('Parameter Event is not valid.');
    }
    const requiredFields = ['id', 'account', 'source', 'time', 'region', 'detail-type'];
    if (
      event === null ||
      typeof event !== 'object' ||
      requiredFields.some((field) => !(field in (event as object)))
    ) {
      throw validationError('Parameter Event is not valid.');
    }
    return { Result: matchesEventPattern(pattern, event) };
  }

  /** PutEvents: each accepted event is archived and its deliveries recorded in one transaction before the answer. */
  putEvents(entries: Record<string, unknown>[]) {
    if (entries.length === 0 || entries.length > 10) {
      throw validationError(
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10",
      );
    }
    const results = this.store.transaction(() => entries.map((entry) => this.acceptEntry(entry)));
    entries.forEach((entry, index) => {
      if (!('EventId' in (results[index] ?? {}))) return;
      // AWS sizes an entry as Time (14 bytes) plus Source, DetailType, Detail and Resources.
      const parts = [entry.Source, entry.DetailType, entry.Detail, ...((entry.Resources as string[]) ?? [])];
      const bytes = parts.reduce<number>((sum, part) => sum + Buffer.byteLength(String(part ?? '')), 14);
      this.env.usage.eventBridgeEntry(bytes);
    });
    this.kick();
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  }

  private acceptEntry(
    entry: Record<string, unknown>,
  ): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    const missing = ['Source', 'DetailType', 'Detail'].filter(
      (field) => typeof entry[field] !== 'string' || entry[field] === '',
    );
    if (missing.length > 0)
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter(s) ${missing.join(', ')} could not be validated.`,
      };
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail))
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const bus = this.busName(entry.EventBusName);
    if (!this.store.getResource('events-bus', bus))
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
    const sizeBytes =
      Buffer.byteLength(entry.Detail as string) +
      Buffer.byteLength(entry.DetailType as string) +
      Buffer.byteLength(entry.Source as string);
    if (sizeBytes > 1_048_576)
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Total size of the entry exceeds the 1 MB limit.',
      };
    const time =
      entry.Time === undefined ? this.clock.now() : new Date(entry.Time as string | number).getTime();
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType as string,
      source: entry.Source as string,
      account: this.env.accountId,
      time: eventTime(Number.isNaN(time) ? this.clock.now() : time),
      region: this.env.region,
      resources: (entry.Resources as string[] | undefined) ?? [],
      detail,
    };
    this.route(bus, event);
    return { EventId: event.id };
  }

  /**
   * Archives an event on a bus and records a delivery for every matching target (call inside a transaction).
   * A replayed event goes only to `replayToRules` (every rule when undefined) and is not archived again.
   */
  route(bus: string, event: Record<string, unknown>, replayToRules?: readonly string[]): void {
    const text = JSON.stringify(event);
    const replayed = event['replay-name'] !== undefined;
    if (!replayed)
      this.store.db
        .prepare('INSERT INTO events_archive (bus, id, time, event) VALUES (?, ?, ?, ?)')
        .run(bus, event.id, event.time, text);
    const flat = flattenEvent(event);
    const now = this.clock.now();
    const insert = this.store.db.prepare(
      'INSERT INTO events_deliveries (rule_key, target_id, event, next_at, first_at) VALUES (?, ?, ?, ?, ?)',
    );
    for (const rule of this.rules.values()) {
      const pattern = rule.bus === bus && rule.state === 'ENABLED' ? this.compiled(rule) : undefined;
      if (!pattern || !matchesFlattened(pattern, flat)) continue;
      if (replayed && replayToRules && !replayToRules.includes(rule.arn)) continue;
      for (const target of rule.targets)
        insert.run(this.ruleKey(rule.bus, rule.name), target.Id, text, now, now);
    }
  }

  /** A page of the events archived on a bus with `fromIso <= time < toIso` after `afterSeq`, oldest first. */
  archivedEvents(
    bus: string,
    options: { fromIso?: string; toIso?: string; afterSeq?: number; limit?: number } = {},
  ): { seq: number; event: Record<string, unknown> }[] {
    const rows = this.store.db
      .prepare(
        'SELECT seq, event FROM events_archive WHERE bus = ? AND time >= ? AND time < ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .all(
        bus,
        options.fromIso ?? '',
        options.toIso ?? '~',
        options.afterSeq ?? 0,
        options.limit ?? 1000,
      ) as {
      seq: number;
      event: string;
    }[];
    return rows.map((row) => ({ seq: row.seq, event: JSON.parse(row.event) as Record<string, unknown> }));
  }

  /** Deliveries still pending (for health and tests). */
  pendingDeliveries(): number {
    return (this.store.db.prepare('SELECT COUNT(*) AS n FROM events_deliveries').get() as { n: number }).n;
  }

  private kick(delayRealMs = 0): void {
    if (this.closed) return;
    clearTimeout(this.deliveryTimer);
    this.deliveryTimer = setTimeout(() => void this.deliverDue(), delayRealMs);
  }

  private async deliverDue(): Promise<void> {
    if (this.delivering || this.closed) return;
    this.delivering = true;
    try {
      for (;;) {
        const due = this.store.db
          .prepare('SELECT * FROM events_deliveries WHERE next_at <= ? ORDER BY seq LIMIT 100')
          .all(this.clock.now()) as DeliveryRow[];
        if (due.length === 0) break;
        // Targets that write synchronously (SQS, Firehose, Step Functions) do so before their first await:
        // one transaction around starting the batch turns a commit per message into one per batch.
        this.store.db.exec('BEGIN');
        let pending: Promise<number | undefined>[];
        try {
          pending = due.map((row) => this.deliver(row));
        } finally {
          this.store.db.exec('COMMIT');
        }
        const delivered = (await Promise.all(pending)).filter((seq): seq is number => seq !== undefined);
        const remove = this.store.db.prepare('DELETE FROM events_deliveries WHERE seq = ?');
        this.store.transaction(() => {
          for (const seq of delivered) remove.run(seq);
        });
        if (this.closed) return;
      }
    } finally {
      this.delivering = false;
    }
    const next = this.store.db.prepare('SELECT MIN(next_at) AS next FROM events_deliveries').get() as {
      next: number | null;
    };
    if (next.next !== null) this.kick(Math.max(10, this.clock.realMs(next.next - this.clock.now())));
  }

  /** Delivers one row; resolves with its seq when it is done with (delivered, dropped or dead-lettered). */
  private async deliver(row: DeliveryRow): Promise<number | undefined> {
    const [bus = 'default', ...nameParts] = row.rule_key.split('/');
    const rule = this.rules.get(row.rule_key);
    const target = rule?.targets.find((candidate) => candidate.Id === row.target_id);
    if (!rule || !target) {
      // The rule or target was removed after the event matched: AWS drops such deliveries too.
      return row.seq;
    }
    const event = JSON.parse(row.event) as Record<string, unknown>;
    try {
      await this.dispatch(target, targetInput(target, event, nameParts.join('/') || bus), event, rule.arn);
      return row.seq;
    } catch (error) {
      const failure =
        error instanceof TargetDeliveryError
          ? error
          : new TargetDeliveryError('InternalFailure', String((error as Error)?.message ?? error));
      const retry = { ...defaultRetry, ...target.RetryPolicy };
      const attempts = row.attempts + 1;
      const ageSec = (this.clock.now() - row.first_at) / 1000;
      // Exponential back-off with full jitter, as EventBridge does, capped at five minutes.
      const backoffMs = Math.random() * Math.min(300_000, 1000 * 2 ** Math.min(attempts, 20));
      const exhausted =
        !failure.retriable ||
        attempts > retry.MaximumRetryAttempts ||
        ageSec + backoffMs / 1000 > retry.MaximumEventAgeInSeconds;
      if (!exhausted) {
        this.store.db
          .prepare('UPDATE events_deliveries SET attempts = ?, next_at = ? WHERE seq = ?')
          .run(attempts, this.clock.now() + backoffMs, row.seq);
        return undefined;
      }
      this.store.transaction(() => {
        if (target.DeadLetterConfig?.Arn) {
          this.sendDeadLetter(target.DeadLetterConfig.Arn, row.event, {
            RULE_ARN: rule.arn,
            TARGET_ARN: target.Arn,
            ERROR_CODE: failure.code,
            ERROR_MESSAGE: failure.message,
            EXHAUSTED_RETRY_CONDITION: failure.retriable
              ? attempts > retry.MaximumRetryAttempts
                ? 'MaximumRetryAttempts'
                : 'MaximumEventAgeInSeconds'
              : 'NonRetriableError',
            RETRY_ATTEMPTS: String(row.attempts),
          });
        } else {
          console.warn(
            `[events] dropped event ${String(event.id)} for ${rule.arn} → ${target.Arn} after ${attempts} attempts: ${failure.code} ${failure.message}`,
          );
        }
        // The dead letter and the end of the delivery commit together.
        this.store.db.prepare('DELETE FROM events_deliveries WHERE seq = ?').run(row.seq);
      });
      return undefined;
    }
  }

  private arm(rule: RuleDefinition): void {
    const key = this.ruleKey(rule.bus, rule.name);
    this.scheduleTimers.get(key)?.clear();
    this.scheduleTimers.delete(key);
    if (!rule.scheduleExpression || rule.state !== 'ENABLED' || this.closed) return;
    const schedule: Schedule = parseScheduleExpression(rule.scheduleExpression);
    const fireAt = nextScheduleTime(schedule, this.clock.now());
    const timer = this.clock.setTimeout(() => this.fireSchedule(key, fireAt), fireAt - this.clock.now());
    timer.unref();
    this.scheduleTimers.set(key, timer);
  }

  private fireSchedule(key: string, fireAtMs: number): void {
    const rule = this.rules.get(key);
    if (rule?.state !== 'ENABLED') return;
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.env.accountId,
      time: eventTime(fireAtMs),
      region: this.env.region,
      resources: [rule.arn],
      detail: {},
    };
    const text = JSON.stringify(event);
    const now = this.clock.now();
    this.store.transaction(() => {
      const insert = this.store.db.prepare(
        'INSERT INTO events_deliveries (rule_key, target_id, event, next_at, first_at) VALUES (?, ?, ?, ?, ?)',
      );
      for (const target of rule.targets) insert.run(key, target.Id, text, now, now);
    });
    this.kick();
    this.arm(rule);
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The EventBridge operations the local runtime answers: the keys of its table and of the archive and replay table. */
export const eventsOperations: readonly string[] = Object.freeze(
  [...operationsOf(EventsService.operations), ...archiveReplayOperations].sort(),
);
