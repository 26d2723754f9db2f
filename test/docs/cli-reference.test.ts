/** docs/cli.md and the README's command table: current with what `concord --help` prints. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CliHelpUnreadableError,
  cliReferenceDoc,
  parseCommandList,
  readCliHelp,
  renderCliReference,
} from '../../scripts/docs/generate-cli-reference';

describe('generate-cli-reference', () => {
  let help: Awaited<ReturnType<typeof readCliHelp>>;

  beforeAll(async () => {
    help = await readCliHelp();
  }, 60_000);

  it('is what every command prints for --help', () => {
    // Prepare
    const committed = readFileSync(cliReferenceDoc, 'utf8');

    // Act
    const rendered = renderCliReference(help.usage, help.commands);

    // Assess
    expect(committed).toBe(rendered);
  });

  it('reads a usage line from each command, not the top-level usage again', () => {
    // Prepare
    const dlq = help.commands.find((command) => command.name === 'dlq');

    // Act
    const usageLine = dlq?.help.split('\n').find((line) => line.startsWith('usage:'));

    // Assess
    expect(usageLine).toBe('usage: concord dlq list [options]');
  });

  it("opens every command's help with one complete sentence, the summary concord --help lists", () => {
    // Act: the first paragraph of each help, which must be its first line alone
    const openings = help.commands.map((command) => ({
      name: command.name,
      opening: command.help.split('\n\n')[0],
    }));

    // Assess
    for (const { name, opening } of openings)
      expect({ name, opening }).toEqual({ name, opening: expect.stringMatching(/^[A-Z][^\n]*[.!?]$/) });
    expect(openings).toEqual(
      help.commands.map((command) => ({ name: command.name, opening: command.summary })),
    );
  });

  it('lists every command in the README table, linked to its reference', () => {
    // Prepare
    const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

    // Act
    const missing = help.commands.filter(
      (command) => !readme.includes(`(docs/cli.md#concord-${command.name})`),
    );

    // Assess
    expect(missing.map((command) => command.name)).toEqual([]);
  });

  it('rejects a usage without a command list', () => {
    // Prepare
    const usage = 'usage: concord <command> [options]\n';

    // Act
    const parse = () => parseCommandList(usage);

    // Assess
    expect(parse).toThrow(CliHelpUnreadableError);
  });
});
