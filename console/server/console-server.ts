/** Starts the console: builds its assets, builds its app from the page registry and serves it on 127.0.0.1 only. */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { OpsContext } from '../../cli/ops-context';
import type { ErpPort } from '../../functions/shared/erp/erp-port';
import { createConsoleApp } from './app';
import { buildConsoleAssets } from './assets';
import type { ConsolePage } from './console-page';
import { consolePages } from './pages/registry';
import { ReplayRuns } from './replay-runs';

/** The default port of `concord console` (clear of the runtime's 4566, the API's 3000 and the ERP's 4100). */
export const defaultConsolePort = 4580;

/** A running console. */
export interface RunningConsole {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stops the replays in hand (after their current event), then the server. */
  close(): Promise<void>;
}

/** Serves the console for a stage's ops context; `port` 0 takes a free port. */
export async function startConsole(options: {
  context: OpsContext;
  port?: number;
  erp?: Pick<ErpPort, 'listDocuments'>;
  pages?: readonly ConsolePage[];
}): Promise<RunningConsole> {
  const assets = await buildConsoleAssets();
  const runs = new ReplayRuns();
  let port = options.port ?? defaultConsolePort;
  const app = createConsoleApp({
    pages: options.pages ?? consolePages,
    services: { context: options.context, runs, ...(options.erp ? { erp: options.erp } : {}) },
    assets,
    allowedHosts: () => [`127.0.0.1:${port}`, `localhost:${port}`],
  });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: the console acts with the operator's credentials.
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await runs.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
