/** `concord audit`: every replay (later: edit, park), who, when, why and what. */
import { parseArgs } from 'node:util';
import { OperatorInputError } from '../error-output';
import { opsContext, opsOptions, opsOptionsHelp } from '../ops-context';
import { printJson, printTable } from '../table-output';

export const auditHelp = `Show the ops audit: who replayed, parked, edited or revealed what, when and why, with the filter and counts.

usage: concord audit [--limit N] [options]

  --limit N       the N most recent records (default 50)
${opsOptionsHelp}`;

export async function runAudit(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...opsOptions, limit: { type: 'string' } }, strict: true });
  const limit = Number(values.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1)
    throw new OperatorInputError(`--limit must be a positive integer, not "${values.limit}"`);
  const context = opsContext(values);
  try {
    const { records } = await (await context.deps()).journal.search({ limit });
    if (values.json) printJson(records);
    else
      printTable(
        ['AT', 'ACTION', 'ID', 'OPERATOR', 'QUEUE', 'STATUS', 'PUBLISHED', 'REASON'],
        records.map((record) => [
          record.at,
          record.action,
          record.id,
          record.operator,
          record.queue,
          record.status,
          record.detail.published as number | undefined,
          record.reason,
        ]),
      );
    return 0;
  } finally {
    context.close();
  }
}
