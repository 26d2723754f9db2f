/** `concord console`: the ops console in a browser, on 127.0.0.1, acting through the same use cases as the CLI. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConsolePort, startConsole } from '../../console/server/console-server';
import { ConcordError } from '../../functions/shared/errors';
import { OperatorInputError } from '../error-output';
import { localErpConnector } from '../local-erp';
import { opsContext, opsOptions } from '../ops-context';

/** The console's port is taken by another process (another console?): nothing was started. */
export class PortTakenError extends ConcordError {
  override readonly name = 'PortTakenError';
}

export const consoleHelp = `Serve the ops console (exceptions and dead letters, replay, park, edit) on 127.0.0.1; it opens nothing by itself.

usage: concord console [--port N] [--stage S] [--endpoint URL] [--profile P] [--region R] [--erp-url URL] [--data-dir DIR]

  --port N        the port on 127.0.0.1 (env CONCORD_CONSOLE_PORT, default ${defaultConsolePort}; 0 for any free one)
  --erp-url URL   the ERP sandbox, to show what it holds for an order (env CONCORD_ERP_URL; default
                  http://127.0.0.1:4100 for the local stage)
  --data-dir DIR  where npm start keeps its data, for the sandbox's API key (env CONCORD_DATA_DIR, default .concord)
  --endpoint URL  an AWS-compatible endpoint (env AWS_ENDPOINT_URL; default: the embedded runtime on
                  127.0.0.1:$CONCORD_EDGE_PORT or 4566, when the stage is local)
  --stage NAME    local (default), dev, staging, prod: a real account through the AWS credential chain
  --profile NAME  the AWS shared-config profile to take credentials from (env AWS_PROFILE)
  --region NAME   the AWS region (env AWS_REGION)

Every action goes through the use cases of concord replay and concord dlq; the operator every audit entry
records is who the credentials say (STS GetCallerIdentity). Ctrl-C stops it (a replay in hand stops after its
current event and can be resumed with concord replay --resume).`;

export async function runConsole(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...opsOptions,
      port: { type: 'string' },
      'erp-url': { type: 'string' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  const portText = values.port ?? process.env.CONCORD_CONSOLE_PORT ?? String(defaultConsolePort);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535)
    throw new OperatorInputError(`--port must be a port number, not "${portText}"`);
  const context = opsContext(values);
  const local = context.stage === 'local';
  const erpUrl =
    values['erp-url'] ?? process.env.CONCORD_ERP_URL ?? (local ? 'http://127.0.0.1:4100' : undefined);
  const dataDir = values['data-dir'] ?? process.env.CONCORD_DATA_DIR ?? (local ? '.concord' : undefined);
  let erp: ReturnType<typeof localErpConnector> | undefined;
  try {
    erp = erpUrl && dataDir ? localErpConnector({ erpUrl, dataDir: path.resolve(dataDir) }) : undefined;
  } catch (error) {
    // The console is useful without the ERP: say why its documents will not show.
    console.error(`concord console: the ERP's documents will not show: ${(error as Error).message}`);
  }
  const running = await startConsole({ context, port, erp }).catch((error: NodeJS.ErrnoException) => {
    context.close();
    if (error.code === 'EADDRINUSE')
      throw new PortTakenError(
        `port ${port} is taken (another console?): pass --port N or CONCORD_CONSOLE_PORT`,
        { cause: error },
      );
    throw error;
  });
  console.log(`Concord console for stage ${context.stage}: ${running.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.error('concord console: stopping (a replay in hand stops after its current event)');
  await running.close();
  context.close();
  return 0;
}
