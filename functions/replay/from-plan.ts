/**
 * Carries out a reconciliation's replay plan: re-publishes the SaaS events of transactions the ERP never booked,
 * and replays the bus archive's windows to the warehouse rule only, for documents the warehouse lacks or shows
 * in an older state. Audited like every replay.
 */
import { newId } from '../shared/ids';
import type { ReplayPlan } from '../shared/reconciliation/replay-plan';
import { requireAccountable } from './accountability';
import { busSourceOf } from './dead-letters';
import type { AuditRecord, BusArchive, ReplayDependencies } from './ports';
import { createRateLimiter } from './rate-limiter';

/** What carrying out a plan needs: the replay dependencies and the bus's archive. */
export interface PlanRunDependencies extends Pick<ReplayDependencies, 'bus' | 'journal'> {
  busArchive: BusArchive;
}

/** A plan to carry out, by whom and why. */
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

/** What carrying out a plan did. */
export interface PlanRunResult {
  replayId: string;
  republished: number;
  failed: { eventId: string; error: string }[];
  archiveReplays: { name: string; from: string; to: string; state: string }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Re-publishes the plan's events, then replays its archive windows to the warehouse and waits for them to end. */
export async function runReplayPlan(
  deps: PlanRunDependencies,
  request: PlanRunRequest,
): Promise<PlanRunResult> {
  const { operator, reason } = requireAccountable(request, { action: 'a replay' });
  const { plan } = request;
  const audit: AuditRecord = {
    id: newId(),
    action: 'replay',
    operator,
    reason,
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
          await deps.bus.publish(
            { source: busSourceOf(type), detailType: type, detail: event },
            {
              replayid: audit.id,
              replayof: `reconciliation:${plan.reconciliationId}`,
              replayby: operator,
              replayreason: reason,
            },
          );
          result.republished += 1;
        } catch (error) {
          result.failed.push({ eventId: String(event.id), error: (error as Error).message });
        }
      }
    if (plan.archiveReplays.length > 0) {
      const target = await deps.busArchive.warehouseReplayTarget();
      for (const [index, window] of plan.archiveReplays.entries()) {
        const name = `concord-${audit.id}-${index + 1}`;
        // The archive replays only what lies in the past.
        const to = new Date(Math.min(Date.parse(window.to), Date.now() - 1000));
        await deps.busArchive.startReplay(name, target, {
          from: new Date(window.from),
          to,
          description: `reconciliation ${plan.reconciliationId}: ${window.documents.slice(0, 5).join(', ')}`,
        });
        result.archiveReplays.push({ name, from: window.from, to: to.toISOString(), state: 'STARTING' });
      }
      const deadline = Date.now() + (request.waitMs ?? 15 * 60_000);
      for (const replay of result.archiveReplays) {
        while (!['COMPLETED', 'FAILED', 'CANCELLED'].includes(replay.state) && Date.now() < deadline) {
          const described = await deps.busArchive.replayState(replay.name);
          replay.state = described.state;
          if (replay.state === 'FAILED')
            result.failed.push({ eventId: replay.name, error: described.reason ?? 'failed' });
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
