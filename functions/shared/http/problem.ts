/** RFC 9457 problem details: the one shape of every HTTP error Concord answers. */
import { problemTypeBaseUri } from '../config';

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

/** Where the page of a problem type lives in the repository: `docs/problems/<slug>.md`. */
export function problemPagePath(slug: string): string {
  return `docs/problems/${slug}.md`;
}

/**
 * Base of every problem `type` URI unless the stage names another (StageConfig.problemTypeBaseUri, given to the
 * functions as PROBLEM_TYPE_BASE_URI): the docs host of the deployed stages, which serves the repository's docs/.
 */
export const problemTypeBase = 'https://docs.concord.internal/problems/';

// Read once, when the function starts: a malformed base fails the cold start, naming the variable.
const configuredProblemTypeBase = problemTypeBaseUri() ?? problemTypeBase;

/** The `type` URI of a problem: its page under the base (`<base><slug>.md`), so that dereferencing it documents it. */
export function problemTypeUri(slug: string, base: string = configuredProblemTypeBase): string {
  return new URL(`${slug}.md`, base).href;
}

/** A JSON response. */
export function jsonResult(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** A problem+json response for an error, through its mapping. */
export function problemResult(error: Error, mapping: ProblemMapping, instance?: string): HttpResult {
  const problem: ProblemDetails = {
    type: problemTypeUri(mapping.slug),
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
