/**
 * EventBridge archives and replays. Every event on a local bus is kept in the events archive table already; an
 * archive resource names a bus and a pattern over it, and a replay re-sends an archive's events of a time window
 * to the bus's rules (or only to the rules in FilterArns), each with `replay-name`, as AWS does.
 */
import type { LocalClock } from '../../clock';
import { AwsError, notFound, validationError } from '../../edge/aws-error';
import { compileEventPattern, matchesEventPattern } from '../../patterns/event-pattern';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';
import { type OperationTable, operationHandler, operationsOf } from '../operation-table';

interface ArchiveDefinition {
  name: string;
  arn: string;
  bus: string;
  eventSourceArn: string;
  eventPattern?: string;
  retentionDays: number;
  description?: string;
  createdAt: number;
}

type ReplayState = 'STARTING' | 'RUNNING' | 'COMPLETED' | 'FAILED';

interface ReplayDefinition {
  name: string;
  arn: string;
  archive: string;
  description?: string;
  destination: { Arn: string; FilterArns?: string[] };
  startMs: number;
  endMs: number;
  state: ReplayState;
  stateReason?: string;
  replayStartMs: number;
  replayEndMs?: number;
  lastReplayedMs?: number;
  events: number;
}

/** What the events service gives the replays: its archive and its routing. */
export interface ReplayRouting {
  /** Archived events of a bus with `fromIso <= time < toIso`, oldest first, a page after `afterSeq`. */
  archivedPage(
    bus: string,
    fromIso: string,
    toIso: string,
    afterSeq: number,
  ): { seq: number; event: Record<string, unknown> }[];
  /** Records deliveries of an event to the matching enabled rules of a bus (only `ruleArns`, when given). */
  routeReplayed(bus: string, event: Record<string, unknown>, ruleArns: readonly string[] | undefined): void;
  transaction<T>(work: () => T): T;
  kick(): void;
}

/** AWS formats event times to the second. */
function secondIso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** SDK v3 sends timestamps as epoch seconds; ISO text is accepted too. */
function timestampMs(value: unknown, name: string): number {
  const ms =
    typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw validationError(`Parameter ${name} is not valid.`);
  return ms;
}

function requiredText(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    throw validationError(`Parameter ${name} must be specified.`);
  return value;
}

export class ArchiveReplays {
  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
    private readonly routing: ReplayRouting,
  ) {}

  /** The operations this class answers, or undefined for any other. */
  /** What answers each EventBridge archive and replay operation; any operation not a key is refused. */
  static readonly operations: OperationTable<ArchiveReplays> = {
    CreateArchive: (service, input) => service.createArchive(input),
    DescribeArchive: (service, input) =>
      service.describeArchive(service.archive(requiredText(input, 'ArchiveName'))),
    ListArchives: (service, input) => ({
      Archives: service.store
        .listResources<ArchiveDefinition>('events-archive')
        .map(({ value }) => value)
        .filter((archive) => !input.EventSourceArn || archive.eventSourceArn === input.EventSourceArn)
        .map((archive) => ({
          ArchiveName: archive.name,
          EventSourceArn: archive.eventSourceArn,
          State: 'ENABLED',
          RetentionDays: archive.retentionDays,
          CreationTime: archive.createdAt / 1000,
        })),
    }),
    DeleteArchive: (service, input) => {
      service.archive(requiredText(input, 'ArchiveName'));
      service.store.deleteResource('events-archive', requiredText(input, 'ArchiveName'));
      return {};
    },
    StartReplay: (service, input) => service.startReplay(input),
    DescribeReplay: (service, input) =>
      service.describeReplay(service.replay(requiredText(input, 'ReplayName'))),
    ListReplays: (service) => ({
      Replays: service.store
        .listResources<ReplayDefinition>('events-replay')
        .map(({ value }) => service.describeReplay(value)),
    }),
  };

  handle(operation: string, input: Record<string, unknown>): unknown {
    const answer = operationHandler(ArchiveReplays.operations, operation);
    if (answer) return answer(this, input, operation);
    return undefined;
  }

  private archive(name: string): ArchiveDefinition {
    const archive = this.store.getResource<ArchiveDefinition>('events-archive', name);
    if (!archive) throw notFound(`Archive ${name} does not exist.`);
    return archive;
  }

  private replay(name: string): ReplayDefinition {
    const replay = this.store.getResource<ReplayDefinition>('events-replay', name);
    if (!replay) throw notFound(`Replay ${name} does not exist.`);
    return replay;
  }

  private createArchive(input: Record<string, unknown>) {
    const name = requiredText(input, 'ArchiveName');
    if (!/^[.\-_A-Za-z0-9]{1,48}$/.test(name)) throw validationError(`Archive name ${name} is not valid.`);
    if (this.store.getResource('events-archive', name))
      throw new AwsError('ResourceAlreadyExistsException', `Archive ${name} already exists.`);
    const eventSourceArn = requiredText(input, 'EventSourceArn');
    const eventPattern = input.EventPattern as string | undefined;
    if (eventPattern) compileEventPattern(eventPattern);
    const archive: ArchiveDefinition = {
      name,
      arn: `arn:aws:events:${this.env.region}:${this.env.accountId}:archive/${name}`,
      bus: eventSourceArn.split('/').at(-1) ?? 'default',
      eventSourceArn,
      eventPattern,
      retentionDays: Number(input.RetentionDays ?? 0),
      description: input.Description as string | undefined,
      createdAt: this.clock.now(),
    };
    this.store.putResource('events-archive', name, archive);
    return { ArchiveArn: archive.arn, State: 'ENABLED', CreationTime: archive.createdAt / 1000 };
  }

  private describeArchive(archive: ArchiveDefinition) {
    return {
      ArchiveArn: archive.arn,
      ArchiveName: archive.name,
      EventSourceArn: archive.eventSourceArn,
      Description: archive.description,
      EventPattern: archive.eventPattern,
      State: 'ENABLED',
      RetentionDays: archive.retentionDays,
      CreationTime: archive.createdAt / 1000,
    };
  }

  private startReplay(input: Record<string, unknown>) {
    const name = requiredText(input, 'ReplayName');
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) throw validationError(`Replay name ${name} is not valid.`);
    if (this.store.getResource('events-replay', name))
      throw new AwsError('ResourceAlreadyExistsException', `Replay ${name} already exists.`);
    const archiveName = requiredText(input, 'EventSourceArn').split('/').at(-1) ?? '';
    const archive = this.archive(archiveName);
    const destination = input.Destination as ReplayDefinition['destination'] | undefined;
    if (!destination?.Arn) throw validationError('Parameter Destination.Arn must be specified.');
    if (destination.Arn !== archive.eventSourceArn)
      throw validationError('Destination must be the event bus the archive is on.');
    const startMs = timestampMs(input.EventStartTime, 'EventStartTime');
    const endMs = timestampMs(input.EventEndTime, 'EventEndTime');
    if (startMs >= endMs) throw validationError('EventStartTime must be before EventEndTime.');
    if (endMs > this.clock.now()) throw validationError('EventEndTime must be in the past.');
    const replay: ReplayDefinition = {
      name,
      arn: `arn:aws:events:${this.env.region}:${this.env.accountId}:replay/${name}`,
      archive: archive.name,
      description: input.Description as string | undefined,
      destination,
      startMs,
      endMs,
      state: 'STARTING',
      replayStartMs: this.clock.now(),
      events: 0,
    };
    this.store.putResource('events-replay', name, replay);
    setImmediate(() => this.run(name));
    return { ReplayArn: replay.arn, State: replay.state, ReplayStartTime: replay.replayStartMs / 1000 };
  }

  /** Re-sends the window a page at a time, so that a large replay does not hold the runtime up. */
  private run(name: string, afterSeq = 0): void {
    const replay = this.replay(name);
    try {
      const archive = this.archive(replay.archive);
      const pattern = archive.eventPattern ? compileEventPattern(archive.eventPattern) : undefined;
      const page = this.routing.archivedPage(
        archive.bus,
        secondIso(Math.max(replay.startMs, archive.createdAt)),
        secondIso(replay.endMs),
        afterSeq,
      );
      let sent = 0;
      let last = replay.lastReplayedMs;
      this.routing.transaction(() => {
        for (const { event } of page) {
          if (event['replay-name'] !== undefined) continue;
          if (pattern && !matchesEventPattern(pattern, event)) continue;
          this.routing.routeReplayed(
            archive.bus,
            { ...event, 'replay-name': name },
            replay.destination.FilterArns,
          );
          sent++;
          last = Date.parse(String(event.time));
        }
      });
      this.routing.kick();
      const done = page.length === 0;
      this.store.putResource('events-replay', name, {
        ...replay,
        events: replay.events + sent,
        lastReplayedMs: last,
        state: done ? 'COMPLETED' : 'RUNNING',
        ...(done ? { replayEndMs: this.clock.now() } : {}),
      });
      if (!done) setImmediate(() => this.run(name, page.at(-1)?.seq ?? afterSeq));
    } catch (error) {
      this.store.putResource('events-replay', name, {
        ...replay,
        state: 'FAILED',
        stateReason: (error as Error).message,
        replayEndMs: this.clock.now(),
      });
    }
  }

  private describeReplay(replay: ReplayDefinition) {
    return {
      ReplayName: replay.name,
      ReplayArn: replay.arn,
      Description: replay.description,
      State: replay.state,
      StateReason: replay.stateReason,
      EventSourceArn: `arn:aws:events:${this.env.region}:${this.env.accountId}:archive/${replay.archive}`,
      Destination: replay.destination,
      EventStartTime: replay.startMs / 1000,
      EventEndTime: replay.endMs / 1000,
      EventLastReplayedTime: replay.lastReplayedMs === undefined ? undefined : replay.lastReplayedMs / 1000,
      ReplayStartTime: replay.replayStartMs / 1000,
      ReplayEndTime: replay.replayEndMs === undefined ? undefined : replay.replayEndMs / 1000,
    };
  }
}

/** The EventBridge archive and replay operations the local runtime answers: the keys of the table it dispatches by. */
export const archiveReplayOperations = operationsOf(ArchiveReplays.operations);
