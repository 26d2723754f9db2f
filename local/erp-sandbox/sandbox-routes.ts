// The shape of an ERP sandbox HTTP route, shared by the server and every module that contributes routes.

/** What a route runs: the path match, the JSON body, the query string and the calling actor; its result is the answer. */
export type SandboxRouteHandler = (
  match: RegExpExecArray,
  body: Record<string, unknown>,
  query: URLSearchParams,
  actor: string,
) => unknown;

/** A sandbox route as erp-sandbox-server.ts serves it. */
export interface SandboxRoute {
  method: string;
  pattern: RegExp;
  /** Mutations honour Idempotency-Key and answer 201. */
  mutation: boolean;
  handler: SandboxRouteHandler;
}

/** The route's path parameter at `index` (1 = the pattern's first group), percent-decoded. */
export function pathParameter(match: RegExpExecArray, index = 1): string {
  return decodeURIComponent(match[index] as string);
}
