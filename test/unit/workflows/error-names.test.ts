import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as idempotency from '@aws-lambda-powertools/idempotency';

/**
 * A Retry or Catch on a misspelt error name never matches: the workflow silently stops retrying. Every name the
 * workflows match must be one our functions throw, one Powertools throws, or one the service itself raises.
 */
const root = path.join(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function errorNamesMatched(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(errorNamesMatched);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === 'ErrorEquals' ? (child as string[]) : errorNamesMatched(child),
  );
}

const thrownByOurFunctions = new Set(
  sourceFiles(path.join(root, 'functions')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/override readonly name = '(\w+)'/g)].map((match) => match[1]),
  ),
);
const thrownByPowertools = new Set(
  Object.entries(idempotency)
    .filter(([exported]) => exported.endsWith('Error'))
    .map(([exported]) => exported),
);
const raisedByTheService =
  /^(States\.\w+|Lambda\.(TooManyRequestsException|ServiceException|SdkClientException|AWSLambdaException|Unknown)|Sandbox\.Timedout|Runtime\.ExitError)$/;

describe.each(readdirSync(path.join(root, 'statemachines')).filter((file) => file.endsWith('.asl.json')))(
  '%s',
  (file) => {
    it('matches only error names that something actually throws', () => {
      const definition = JSON.parse(readFileSync(path.join(root, 'statemachines', file), 'utf8'));
      const unknown = [...new Set(errorNamesMatched(definition))].filter(
        (name) =>
          !thrownByOurFunctions.has(name) && !thrownByPowertools.has(name) && !raisedByTheService.test(name),
      );
      expect(unknown).toEqual([]);
    });
  },
);

it('finds the error classes it checks against', () => {
  expect([...thrownByOurFunctions]).toEqual(
    expect.arrayContaining(['ErpThrottledError', 'DownstreamUnavailableError']),
  );
});
