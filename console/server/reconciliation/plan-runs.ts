/**
 * Replay plans carried out from the console, run in the console's process by the same use case as
 * `concord replay --plan` (runReplayPlan), kept in memory so that the page can follow a run that waits for the
 * archive's replays.
 */
import {
  type PlanRunDependencies,
  type PlanRunResult,
  runReplayPlan,
} from '../../../functions/replay/from-plan';
import { newId } from '../../../functions/shared/ids';
import type { ReplayPlan } from '../../../functions/shared/reconciliation/replay-plan';

/** One plan run and where it stands. */
export interface PlanRun {
  /** The console's id of the run (its URL); the audit's replay id is `result.replayId` once it ends. */
  id: string;
  reconciliationId: string;
  operator: string;
  reason: string;
  /** Events to re-publish plus archive windows to replay: what the operator confirmed. */
  total: number;
  startedAt: string;
  endedAt?: string;
  status: 'running' | 'done' | 'failed';
  /** The archive replays' states as the run reports them. */
  progress: string[];
  result?: PlanRunResult;
  /** Why the run stopped with an error (its audit record says `interrupted`). */
  error?: string;
}

/** What a plan would do, counted as the confirmation names it. */
export function planCounts(plan: ReplayPlan): { events: number; windows: number; total: number } {
  const events = plan.republish.reduce((sum, entry) => sum + entry.events.length, 0);
  return { events, windows: plan.archiveReplays.length, total: events + plan.archiveReplays.length };
}

/** The console's plan runs. */
export class PlanRuns {
  private readonly runs = new Map<string, PlanRun>();
  private readonly pending = new Set<Promise<void>>();

  /** Starts carrying out a plan in the background and returns its run at once. */
  start(
    deps: PlanRunDependencies,
    request: { plan: ReplayPlan; operator: string; reason: string; ratePerSec?: number },
  ): PlanRun {
    const run: PlanRun = {
      id: newId(),
      reconciliationId: request.plan.reconciliationId,
      operator: request.operator,
      reason: request.reason,
      total: planCounts(request.plan).total,
      startedAt: new Date().toISOString(),
      status: 'running',
      progress: [],
    };
    this.runs.set(run.id, run);
    const done = runReplayPlan(deps, { ...request, onProgress: (line) => run.progress.push(line) }).then(
      (result) => {
        Object.assign(run, { status: 'done', result });
      },
      (error: unknown) => {
        Object.assign(run, { status: 'failed', error: (error as Error).message ?? String(error) });
      },
    );
    const tracked = done.finally(() => {
      run.endedAt = new Date().toISOString();
      this.pending.delete(tracked);
    });
    this.pending.add(tracked);
    return run;
  }

  /** A run by its id. */
  get(id: string): PlanRun | undefined {
    return this.runs.get(id);
  }

  /** The runs of one reconciliation, the newest first. */
  of(reconciliationId: string): PlanRun[] {
    return [...this.runs.values()].filter((run) => run.reconciliationId === reconciliationId).reverse();
  }

  /** Waits for the running plans (a test's teardown, the console's shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
