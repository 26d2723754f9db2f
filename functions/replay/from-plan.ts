/**
 * Carries out a reconciliation's replay plan: re-publishes the SaaS events of transactions the ERP never booked,
 * and replays the bus archive's windows to the warehouse rule only, for documents the warehouse lacks or shows
 * in an older state. Audited like every replay.
 */
import {
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  DescribeReplayCommand,
  type EventBridgeClient,
  ListArchivesCommand,
  ListRulesCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { newId } from '../shared/ids';
import type { ReplayPlan } from '../shared/reconciliation/replay-plan';
import { busSourceOf } from './dead-letters';
import type { AuditRecord } from './ops-journal';
import { createRateLimiter } from './rate-limiter';
import type { ReplayDependencies } from './replay';
import { publishReplayed } from './replay-io';

export interface PlanRunRequest {
  plan: ReplayPlan;
  operator: string;
  reason: string;
  ratePerSec?: number;
  /** How long to wait for the archive replays to finish (default 15 minutes). */
  waitMs?: number;
  pollMs?: number;
  onProgress?(line: string): void;
}

export interface PlanRunResult {
  replayId: string;
  republished: number;
  failed: { eventId: string; error: string }[];
  archiveReplays: { name: string; from: string; to: string; state: string }[];
}

/** The stage bus's archive and the rule that loads the warehouse: where an archive replay reads and writes. */
async function warehouseReplayTarget(events: EventBridgeClient, busName: string) {
  const { Arn: busArn } = await events.send(new DescribeEventBusCommand({ Name: busName }));
  const { Archives = [] } = await events.send(new ListArchivesCommand({ EventSourceArn: busArn }));
  const archive = Archives[0]?.ArchiveName;
  if (!busArn || !archive) throw new Error(`the bus ${busName} has no archive to replay from`);
  const rules = [];
  let NextToken: string | undefined;
  do {
    const page = await events.send(new ListRulesCommand({ EventBusName: busName, NextToken }));
    rules.push(...(page.Rules ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  // The stateless stack's rule into the warehouse stream (logical id WarehouseRule).
  const rule = rules.find((candidate) => candidate.Name?.includes('WarehouseRule'));
  if (!rule?.Arn) throw new Error(`no warehouse rule on the bus ${busName}`);
  const { ArchiveArn } = await events.send(new DescribeArchiveCommand({ ArchiveName: archive }));
  if (!ArchiveArn) throw new Error(`the archive ${archive} has no ARN`);
  return { busArn, archiveArn: ArchiveArn, ruleArn: rule.Arn };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runReplayPlan(
  deps: ReplayDependencies,
  request: PlanRunRequest,
): Promise<PlanRunResult> {
  const { plan } = request;
  const audit: AuditRecord = {
    id: newId(),
    action: 'replay',
    operator: request.operator,
    reason: request.reason,
    queue: `reconciliation:${plan.reconciliationId}`,
    at: new Date().toISOString(),
    status: 'running',
    detail: {},
  };
  const result: PlanRunResult = { replayId: audit.id, republished: 0, failed: [], archiveReplays: [] };
  const entities = plan.republish.map((entry) => `${entry.entity}/${entry.key}`);
  await deps.journal.record({ ...audit, detail: { plan: plan.reconciliationId, entities } });
  let crashed = true;
  try {
    const limiter = createRateLimiter(request.ratePerSec);
    for (const entry of plan.republish)
      for (const event of entry.events) {
        await limiter.take();
        const type = String(event.type);
        try {
          await publishReplayed(
            deps,
            { source: busSourceOf(type), detailType: type, detail: event },
            {
              replayid: audit.id,
              replayof: `reconciliation:${plan.reconciliationId}`,
              replayby: request.operator,
              replayreason: request.reason,
            },
          );
          result.republished += 1;
        } catch (error) {
          result.failed.push({ eventId: String(event.id), error: (error as Error).message });
        }
      }
    if (plan.archiveReplays.length > 0) {
      const target = await warehouseReplayTarget(deps.events, deps.busName);
      for (const [index, window] of plan.archiveReplays.entries()) {
        const name = `concord-${audit.id}-${index + 1}`;
        // The archive replays only what lies in the past.
        const to = new Date(Math.min(Date.parse(window.to), Date.now() - 1000));
        await deps.events.send(
          new StartReplayCommand({
            ReplayName: name,
            Description: `reconciliation ${plan.reconciliationId}: ${window.documents.slice(0, 5).join(', ')}`,
            EventSourceArn: target.archiveArn,
            EventStartTime: new Date(window.from),
            EventEndTime: to,
            Destination: { Arn: target.busArn, FilterArns: [target.ruleArn] },
          }),
        );
        result.archiveReplays.push({ name, from: window.from, to: to.toISOString(), state: 'STARTING' });
      }
      const deadline = Date.now() + (request.waitMs ?? 15 * 60_000);
      for (const replay of result.archiveReplays) {
        while (!['COMPLETED', 'FAILED', 'CANCELLED'].includes(replay.state) && Date.now() < deadline) {
          const described = await deps.events.send(new DescribeReplayCommand({ ReplayName: replay.name }));
          replay.state = described.State ?? 'UNKNOWN';
          if (replay.state === 'FAILED')
            result.failed.push({ eventId: replay.name, error: described.StateReason ?? 'failed' });
          else if (replay.state !== 'COMPLETED') await sleep(request.pollMs ?? 2000);
        }
        request.onProgress?.(`archive replay ${replay.name}: ${replay.state}`);
      }
    }
    crashed = false;
  } finally {
    await deps.journal.update({
      ...audit,
      status: crashed ? 'interrupted' : 'done',
      detail: { plan: plan.reconciliationId, entities, ...result },
    });
  }
  return result;
}
