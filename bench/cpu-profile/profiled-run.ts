/** Helpers for `--cpu-prof` bench runs: the functions' bundles kept beside the profiles, and the measured phases' windows. */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FunctionDefinition } from '../../local/lambda-host/function-host';
import type { LocalRuntime } from '../../local/runtime';

/** The `--cpu-prof-dir` this process profiles into, or undefined when it is not profiled. */
export function cpuProfileDir(): string | undefined {
  if (!process.execArgv.some((flag) => flag === '--cpu-prof' || flag.startsWith('--cpu-prof=')))
    return undefined;
  const dirFlag = process.execArgv.find((flag) => flag.startsWith('--cpu-prof-dir='));
  return dirFlag ? dirFlag.slice('--cpu-prof-dir='.length) : process.cwd();
}

/**
 * Copies every deployed function's bundle and source map to `<profile dir>/bundles/<asset dir>/` (the benches
 * delete their assembly before the profiles are written at exit); does nothing when the process is not profiled.
 */
export function keepBundlesForProfile(runtime: LocalRuntime): void {
  const dir = cpuProfileDir();
  if (!dir) return;
  for (const { value } of runtime.store.listResources<FunctionDefinition>('lambda-function')) {
    const assetDir = path.dirname(value.modulePath);
    const target = path.join(dir, 'bundles', path.basename(assetDir));
    mkdirSync(target, { recursive: true });
    for (const file of [path.basename(value.modulePath), `${path.basename(value.modulePath)}.map`]) {
      const source = path.join(assetDir, file);
      if (existsSync(source)) copyFileSync(source, path.join(target, file));
    }
  }
}

/** A measured phase of a profiled bench run, on the monotonic clock the CPU profiles use (µs). */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
  /** Units of work done in the phase (webhooks accepted, orders invoiced). */
  units: number;
  unit: string;
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Starts a measured phase; `end(units)` records it in `<profile dir>/windows.json`, so the summary counts only the
 * samples taken while the bench measured (not the synth, the deploy or the warm-up). Does nothing when not profiled.
 */
export function startProfileWindow(unit: string): { end: (units: number) => void } {
  const startUs = monotonicUs();
  return {
    end: (units) => {
      const dir = cpuProfileDir();
      if (!dir) return;
      const file = path.join(dir, 'windows.json');
      const windows = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProfileWindow[]) : [];
      windows.push({ startUs, endUs: monotonicUs(), units, unit });
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, `${JSON.stringify(windows, null, 2)}\n`);
    },
  };
}
