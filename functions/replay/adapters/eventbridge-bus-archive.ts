/** The stage bus's archive on EventBridge, replayed to the warehouse rule alone: the {@link BusArchive} port. */
import {
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  DescribeReplayCommand,
  type EventBridgeClient,
  ListArchivesCommand,
  ListRulesCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import type { ArchiveReplayState, BusArchive, WarehouseReplayTarget } from '../ports';

/** The bus has no archive, or no rule into the warehouse, to replay to: nothing was replayed. */
export class ArchiveReplayUnavailableError extends Error {
  override readonly name = 'ArchiveReplayUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Finds the bus's archive and warehouse rule, starts archive replays and reads their state, with one client. */
export class EventBridgeBusArchive implements BusArchive {
  constructor(
    private readonly events: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async warehouseReplayTarget(): Promise<WarehouseReplayTarget> {
    const { Arn: busArn } = await this.events.send(new DescribeEventBusCommand({ Name: this.busName }));
    const { Archives = [] } = await this.events.send(new ListArchivesCommand({ EventSourceArn: busArn }));
    const archive = Archives[0]?.ArchiveName;
    if (!busArn || !archive)
      throw new ArchiveReplayUnavailableError(`the bus ${this.busName} has no archive to replay from`);
    const rules = [];
    let NextToken: string | undefined;
    do {
      const page = await this.events.send(new ListRulesCommand({ EventBusName: this.busName, NextToken }));
      rules.push(...(page.Rules ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    // The stateless stack's rule into the warehouse stream (logical id WarehouseRule).
    const rule = rules.find((candidate) => candidate.Name?.includes('WarehouseRule'));
    if (!rule?.Arn) throw new ArchiveReplayUnavailableError(`no warehouse rule on the bus ${this.busName}`);
    const { ArchiveArn } = await this.events.send(new DescribeArchiveCommand({ ArchiveName: archive }));
    if (!ArchiveArn) throw new ArchiveReplayUnavailableError(`the archive ${archive} has no ARN`);
    return { busArn, archiveArn: ArchiveArn, ruleArn: rule.Arn };
  }

  async startReplay(
    name: string,
    target: WarehouseReplayTarget,
    window: { from: Date; to: Date; description: string },
  ): Promise<void> {
    await this.events.send(
      new StartReplayCommand({
        ReplayName: name,
        Description: window.description,
        EventSourceArn: target.archiveArn,
        EventStartTime: window.from,
        EventEndTime: window.to,
        Destination: { Arn: target.busArn, FilterArns: [target.ruleArn] },
      }),
    );
  }

  async replayState(name: string): Promise<ArchiveReplayState> {
    const described = await this.events.send(new DescribeReplayCommand({ ReplayName: name }));
    return {
      state: described.State ?? 'UNKNOWN',
      ...(described.StateReason ? { reason: described.StateReason } : {}),
    };
  }
}
