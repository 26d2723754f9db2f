/** Local time with a speed factor: with factor 60, a one-minute Wait or retry back-off takes one real second. */

const maxTimerMs = 2_147_483_647;

/** The clock every local service uses for timestamps, timers and delays. */
export class LocalClock {
  private readonly originRealMs = Date.now();
  private readonly originLocalMs: number;

  /** `resumeAtMs`: the local time a previous run reached, so that local time never runs backwards across restarts. */
  constructor(
    readonly factor = 1,
    resumeAtMs = 0,
  ) {
    if (!(factor > 0)) throw new RangeError(`Clock factor must be positive, got ${factor}`);
    this.originLocalMs = Math.max(this.originRealMs, resumeAtMs);
  }

  /** Current local time in ms since the epoch (advances `factor` times faster than real time). */
  now(): number {
    return this.originLocalMs + (Date.now() - this.originRealMs) * this.factor;
  }

  /** Current local time. */
  date(): Date {
    return new Date(this.now());
  }

  /** Real milliseconds that a local duration takes. */
  realMs(localMs: number): number {
    return Math.max(0, localMs / this.factor);
  }

  /** Resolves after a local duration. */
  sleep(localMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = this.setTimeout(resolve, localMs);
      signal?.addEventListener('abort', () => {
        timer.clear();
        reject(signal.reason);
      });
    });
  }

  /**
   * A timer firing after a local duration. Node timers overflow past about 24.8 days (and then fire at once),
   * so long waits (a Standard workflow's one-year limit) are chained.
   */
  setTimeout(fn: () => void, localMs: number): ClockTimer {
    return new ClockTimer(fn, this.realMs(localMs));
  }
}

/** A timer that may span several Node timers; clear() stops it, unref() lets the process exit while it waits. */
export class ClockTimer {
  private current: NodeJS.Timeout;
  private unrefed = false;

  constructor(fn: () => void, realMs: number) {
    this.current = this.arm(fn, realMs);
  }

  private arm(fn: () => void, remainingMs: number): NodeJS.Timeout {
    const step = Math.min(remainingMs, maxTimerMs);
    const timer = setTimeout(() => {
      if (remainingMs > maxTimerMs) this.current = this.arm(fn, remainingMs - maxTimerMs);
      else fn();
    }, step);
    if (this.unrefed) timer.unref();
    return timer;
  }

  clear(): void {
    clearTimeout(this.current);
  }

  unref(): this {
    this.unrefed = true;
    this.current.unref();
    return this;
  }
}
