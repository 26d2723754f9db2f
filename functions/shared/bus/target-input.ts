/**
 * EventBridge target input: Input, InputPath and InputTransformer, applied to the event as AWS does. The embedded
 * runtime's EventBridge delivers with it, and the replayer shapes a dead letter for the target that failed with it.
 */
import { JSONPath } from 'jsonpath-plus';

/** How a target shapes what it receives. */
export interface TargetInputSpec {
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

/** Reads a JSONPath from the event; undefined when it matches nothing. */
export function readEventPath(event: unknown, path: string): unknown {
  const results = JSONPath({ path, json: event as object, wrap: true }) as unknown[];
  if (results.length === 0) return undefined;
  return path.includes('[*]') || path.includes('..') ? results : results[0];
}

function fillTemplate(template: string, values: Record<string, unknown>): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i += 1) {
    const char = template.charAt(i);
    if (char === '"' && template.charAt(i - 1) !== '\\') inString = !inString;
    if (char === '<') {
      const end = template.indexOf('>', i);
      const name = end > i ? template.slice(i + 1, end) : '';
      if (end > i && Object.hasOwn(values, name)) {
        const value = values[name];
        if (inString) {
          // Inside a JSON string: the value's text, escaped as string content.
          const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
          out += JSON.stringify(text).slice(1, -1);
        } else {
          out += value === undefined ? 'null' : JSON.stringify(value);
        }
        i = end;
        continue;
      }
    }
    out += char;
  }
  return out;
}

/** The payload a target receives for an event. */
export function targetInput(spec: TargetInputSpec, event: Record<string, unknown>, ruleName: string): string {
  if (spec.Input !== undefined) return spec.Input;
  if (spec.InputPath !== undefined) return JSON.stringify(readEventPath(event, spec.InputPath) ?? null);
  if (spec.InputTransformer) {
    const values: Record<string, unknown> = {
      'aws.events.rule-name': ruleName,
      'aws.events.event': event,
      'aws.events.event.json': event,
      'aws.events.event.ingestion-time': event.time,
    };
    for (const [name, path] of Object.entries(spec.InputTransformer.InputPathsMap ?? {}))
      values[name] = readEventPath(event, path);
    return fillTemplate(spec.InputTransformer.InputTemplate, values);
  }
  return JSON.stringify(event);
}
