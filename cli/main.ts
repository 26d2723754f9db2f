/** `concord`: the operations command line. One file per command under cli/commands/. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { auditHelp, runAudit } from './commands/audit';
import { consoleHelp, runConsole } from './commands/console';
import { devHelp, runDev } from './commands/dev';
import { dlqHelp, runDlq } from './commands/dlq';
import { reconcileHelp, runReconcile } from './commands/reconcile';
import { replayHelp, runReplayCommand } from './commands/replay';
import { runSchemas, schemasHelp } from './commands/schemas';
import { runSend, sendHelp } from './commands/send';
import { runServices, servicesHelp } from './commands/services';
import { runSources, sourcesHelp } from './commands/sources';
import { runStatus, statusHelp } from './commands/status';
import { runTrace, traceHelp } from './commands/trace';
import { runWarehouse, warehouseHelp } from './commands/warehouse';
import { exitCodeOf, reportError } from './error-output';

/** The version in package.json: what `npm install` put here, so the answer is the code that runs. */
function version(): string {
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? 'unknown';
}

const commands: Record<string, { run: (args: string[]) => Promise<number>; help: string }> = {
  audit: { run: runAudit, help: auditHelp },
  console: { run: runConsole, help: consoleHelp },
  dev: { run: runDev, help: devHelp },
  dlq: { run: runDlq, help: dlqHelp },
  reconcile: { run: runReconcile, help: reconcileHelp },
  replay: { run: runReplayCommand, help: replayHelp },
  schemas: { run: runSchemas, help: schemasHelp },
  trace: { run: runTrace, help: traceHelp },
  warehouse: { run: runWarehouse, help: warehouseHelp },
  send: { run: runSend, help: sendHelp },
  services: { run: runServices, help: servicesHelp },
  sources: { run: runSources, help: sourcesHelp },
  status: { run: runStatus, help: statusHelp },
};

function usage(): string {
  return [
    'usage: concord <command> [options]',
    '       concord --version',
    '',
    'commands:',
    ...Object.entries(commands).map(
      ([name, command]) => `  ${name.padEnd(10)} ${command.help.split('\n')[0]}`,
    ),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    console.log(version());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`concord: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    reportError(error, process.argv.includes('--json'));
    // Exit once the report is written: a half-started runtime must not keep the process alive.
    process.stdout.write('', () => process.exit(exitCodeOf(error)));
  },
);
