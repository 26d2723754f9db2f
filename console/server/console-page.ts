/** The contract between the console's core and its pages: what a page declares and what it is given. */

import type { Hono } from 'hono';
import type { OpsContext } from '../../cli/ops-context';
import type { ErpPort } from '../../functions/shared/erp/erp-port';
import { ConcordError, type ConcordErrorOptions } from '../../functions/shared/errors';
import type { ReplayRuns } from './replay-runs';

/** What every page acts through: the stage as the CLI reaches it, and the console's own long-running work. */
export interface ConsoleServices {
  /** The stage's clients and names, exactly as the CLI builds them (cli/ops-context.ts). */
  context: OpsContext;
  /** The ERP, to show what it holds for an entity; absent when the console was not told where it is. */
  erp?: Pick<ErpPort, 'listDocuments'>;
  /** Replays started from the console, running in the console's process, with their progress. */
  runs: ReplayRuns;
}

/** What the core sets on every request before a page's handler runs. */
export interface ConsoleVariables {
  /** The session's CSRF token: every state-changing form carries it (see `csrfField`). */
  csrfToken: string;
  /** The pages of the navigation, in order. */
  nav: readonly Pick<ConsolePage, 'path' | 'title'>[];
  services: ConsoleServices;
}

/** The Hono environment of the console's app. */
export type ConsoleEnv = { Variables: ConsoleVariables };

/**
 * One page of the console: a path prefix in the navigation and the routes under it. A new page is one module under
 * console/server/pages/ exporting a `ConsolePage`, listed in console/server/pages/registry.ts.
 */
export interface ConsolePage {
  /** The page's path prefix and navigation target, e.g. `/exceptions`. */
  path: `/${string}`;
  /** The name in the navigation and the title bar. */
  title: string;
  /** Adds the page's routes (all under `path`) to the app. */
  routes(app: Hono<ConsoleEnv>): void;
}

/** Bad operator input: shown on the page that was submitted, with nothing changed. */
export class ConsoleInputError extends ConcordError {
  override readonly name = 'ConsoleInputError';
  constructor(message: string, options?: ConcordErrorOptions) {
    super(message, options);
  }
}

/** Something the URL names does not exist (a queue, a message, a replay run). */
export class ConsoleNotFoundError extends ConcordError {
  override readonly name = 'ConsoleNotFoundError';
  constructor(message: string, options?: ConcordErrorOptions) {
    super(message, options);
  }
}
