/**
 * What a state machine's logging configuration sends to CloudWatch Logs, for the usage meter: level ALL logs every
 * history event, ERROR the events that report an error, FATAL only how a failed execution ended, OFF nothing;
 * without execution data the events carry no input, output or parameters.
 */

/** A state machine's logging configuration, as CreateStateMachine takes it. */
export interface ExecutionLogging {
  level: 'ALL' | 'ERROR' | 'FATAL' | 'OFF';
  includeExecutionData: boolean;
}

/** Without a logging configuration a state machine logs nothing (the API's default). */
export const loggingOff: ExecutionLogging = { level: 'OFF', includeExecutionData: false };

const fatalEvents = new Set(['ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);
const errorEvent = /(Failed|TimedOut|Aborted)$/;
const executionData = new Set(['input', 'output', 'parameters', 'payload', 'cause']);

function withoutExecutionData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutExecutionData);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !executionData.has(key))
      .map(([key, inner]) => [key, withoutExecutionData(inner)]),
  );
}

/** The configuration from an API request, or undefined when it names none. */
export function parseExecutionLogging(value: unknown): ExecutionLogging | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { level, includeExecutionData } = value as { level?: unknown; includeExecutionData?: unknown };
  const levels = ['ALL', 'ERROR', 'FATAL', 'OFF'];
  return {
    level: (levels.includes(String(level)) ? level : 'OFF') as ExecutionLogging['level'],
    includeExecutionData: includeExecutionData === true,
  };
}

/** Bytes the execution's history events make in its log group. */
export function loggedBytes(events: readonly { type: string }[], logging: ExecutionLogging): number {
  let bytes = 0;
  for (const event of events) {
    const logged =
      logging.level === 'ALL' ||
      (logging.level === 'ERROR' && errorEvent.test(event.type)) ||
      (logging.level === 'FATAL' && fatalEvents.has(event.type));
    if (!logged) continue;
    bytes += Buffer.byteLength(
      JSON.stringify(logging.includeExecutionData ? event : withoutExecutionData(event)),
    );
  }
  return bytes;
}
