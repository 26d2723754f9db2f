/** RFC 9457 problem details: the one shape of every HTTP error Concord answers. */

/** A problem+json body. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** How an error class maps to an HTTP answer. */
export interface ProblemMapping {
  status: number;
  slug: string;
  title: string;
  /** Seconds the client should wait before retrying (Retry-After). */
  retryAfterSec?: number;
  /** Extra members taken from the error (e.g. violations). */
  extensions?: (error: Error) => Record<string, unknown>;
}

/** An API Gateway proxy result (payload format 2.0). */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Base of every problem `type` URI. */
export const problemTypeBase = 'https://concord.dev/problems/';

/** A JSON response. */
export function jsonResult(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** A problem+json response for an error, through its mapping. */
export function problemResult(error: Error, mapping: ProblemMapping, instance?: string): HttpResult {
  const problem: ProblemDetails = {
    type: `${problemTypeBase}${mapping.slug}`,
    title: mapping.title,
    status: mapping.status,
    detail: error.message,
    ...(instance ? { instance } : {}),
    ...(mapping.extensions?.(error) ?? {}),
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (mapping.retryAfterSec !== undefined) headers['retry-after'] = String(mapping.retryAfterSec);
  return { statusCode: mapping.status, headers, body: JSON.stringify(problem) };
}
