/**
 * Replays started from the console, run in the console's process by the same use case as `concord replay`
 * (runReplay), with their progress kept in memory so that the page can poll it while the replay runs.
 */
import type { ReplayDependencies } from '../../functions/replay/ports';
import { type ReplayRequest, type ReplayResult, runReplay } from '../../functions/replay/replay';
import { newId } from '../../functions/shared/ids';

/** One replay run and where it stands. */
export interface ReplayRun {
  /** The console's id of the run (its URL); the audit's replay id is `result.replayId` once it ends. */
  id: string;
  queue: string;
  operator: string;
  reason: string;
  /** How many messages the operator confirmed: the run replays at most these. */
  max: number;
  ratePerSec?: number;
  startedAt: string;
  endedAt?: string;
  status: 'running' | 'done' | 'failed';
  published: number;
  result?: ReplayResult;
  /** Why the run stopped with an error (the messages it had not deleted stay in their queue). */
  error?: string;
}

/** The console's replay runs. */
export class ReplayRuns {
  private readonly runs = new Map<string, ReplayRun>();
  private readonly pending = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  /** Starts a replay in the background and returns its run at once. */
  start(
    deps: ReplayDependencies,
    request: Omit<ReplayRequest, 'signal' | 'onProgress' | 'max'> & { max: number; queue: string },
  ): ReplayRun {
    const { queue, ...replay } = request;
    const run: ReplayRun = {
      id: newId(),
      queue,
      operator: request.operator,
      reason: request.reason,
      max: request.max,
      ...(request.ratePerSec !== undefined ? { ratePerSec: request.ratePerSec } : {}),
      startedAt: new Date().toISOString(),
      status: 'running',
      published: 0,
    };
    this.runs.set(run.id, run);
    const done = runReplay(deps, {
      ...replay,
      signal: this.controller.signal,
      onProgress: ({ published }) => {
        run.published = published;
      },
    }).then(
      (result) => {
        Object.assign(run, { status: 'done', published: result.published, result });
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
  get(id: string): ReplayRun | undefined {
    return this.runs.get(id);
  }

  /** Every run of this process, the newest first. */
  list(): ReplayRun[] {
    return [...this.runs.values()].reverse();
  }

  /**
   * Stops the running replays after the event each has in hand (their audit says `interrupted`, and
   * `concord replay --resume` finishes them) and waits for them.
   */
  async close(): Promise<void> {
    this.controller.abort();
    await Promise.all([...this.pending]);
  }
}
