/** The console page tests' shared set-up: the platform with its ERP and a named operator, the console, and Chromium. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { deadLetterQueueUrls, type OpsContext, opsContext } from '../../../cli/ops-context';
import { type RunningConsole, startConsole } from '../../../console/server/console-server';
import { listDeadLetterQueues } from '../../../functions/replay/replay';
import type { ErpPort } from '../../../functions/shared/erp/erp-port';
import { startPlatformWithErp } from '../../e2e/support/deployed-platform';
import { launchChromium, type RunningBrowser } from './chromium';

/** The platform with its ERP, as startPlatformWithErp starts it. */
export type PlatformWithErp = Awaited<ReturnType<typeof startPlatformWithErp>>;

/** Who the local credentials say the operator is: the name the console shows and the journal records. */
export const consoleOperator = 'ops-jane';

/** A started platform and the ops context over it. */
export interface OperatedPlatform {
  running: PlatformWithErp;
  context: OpsContext;
}

/**
 * Starts the platform with its ERP, names {@link consoleOperator} in the runtime's operators file (locally the
 * operator is who that file says the credentials are), and builds the ops context over the runtime.
 */
export async function startOperatedPlatform(
  options: { clockFactor?: number } = {},
): Promise<OperatedPlatform> {
  const running = await startPlatformWithErp(options);
  writeFileSync(
    path.join(running.platform.runtime.options.dataDir, 'operators.json'),
    JSON.stringify({ default: consoleOperator }),
  );
  return { running, context: opsContext({ endpoint: running.platform.runtime.endpoint }) };
}

/** A console serving the ops context, and Chromium with its first page. */
export interface ConsoleInChromium {
  console: RunningConsole;
  chromium: RunningBrowser;
  page: Page;
}

/** Starts the console on a free port (with the ERP when its pages read ERP documents) and Chromium beside it. */
export async function openConsoleInChromium(
  context: OpsContext,
  options: { erp?: Pick<ErpPort, 'listDocuments'>; viewport?: { width: number; height: number } } = {},
): Promise<ConsoleInChromium> {
  const console_ = await startConsole({ context, port: 0, ...(options.erp ? { erp: options.erp } : {}) });
  const chromium = await launchChromium(options.viewport);
  return { console: console_, chromium, page: chromium.page };
}

/** Stops whatever of a console test's set-up was started, browser first and platform last. */
export async function stopConsoleTest(
  started: Partial<OperatedPlatform> & { console?: RunningConsole; chromium?: RunningBrowser },
): Promise<void> {
  await started.chromium?.close();
  await started.console?.close();
  started.context?.close();
  await started.running?.stop();
}

/** How many messages wait in the local stage's exceptions dead-letter queue. */
export async function exceptionsQueueDepth(context: OpsContext): Promise<number> {
  const queues = await listDeadLetterQueues(
    context.deadLetters,
    await deadLetterQueueUrls(context.sqs, 'local'),
  );
  return queues.find((queue) => queue.name.includes('ExceptionsQueue'))?.depth ?? 0;
}

/** Set to write the pages' screenshots into docs/images/ (they are committed; a normal run leaves them alone). */
const screenshots = process.env.CONCORD_CONSOLE_SCREENSHOTS === '1';

/** Writes the page's full screenshot to docs/images/console-<name>.png when screenshots are asked for. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (screenshots)
    await page.screenshot({
      path: path.join(__dirname, '../../../docs/images', `console-${name}.png`),
      fullPage: true,
    });
}
