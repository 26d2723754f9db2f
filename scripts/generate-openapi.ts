/**
 * Writes docs/openapi/concord.openapi.json from contracts/concord-openapi.ts (source registry, problem tables).
 * `--check` fails when the committed document differs, so a stale contract fails CI; without it the file is rewritten.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildConcordOpenApi } from '../contracts/concord-openapi';

const rootDir = path.resolve(__dirname, '..');
/** The committed document. */
export const openApiFile = path.join(rootDir, 'docs', 'openapi', 'concord.openapi.json');

/** The document as committed: JSON in the repository's Biome format, so `npm run lint` and the check agree. */
export function renderConcordOpenApi(): string {
  const json = `${JSON.stringify(buildConcordOpenApi(), null, 2)}\n`;
  return execFileSync(
    path.join(rootDir, 'node_modules', '.bin', 'biome'),
    ['format', `--stdin-file-path=${path.relative(rootDir, openApiFile)}`],
    { cwd: rootDir, input: json, encoding: 'utf8' },
  );
}

if (require.main === module) {
  const rendered = renderConcordOpenApi();
  let committed = '';
  try {
    committed = readFileSync(openApiFile, 'utf8');
  } catch {
    // A missing document is as stale as a different one.
  }
  if (process.argv.includes('--check')) {
    if (rendered !== committed) {
      console.error(`${path.relative(rootDir, openApiFile)} is stale: run npm run generate:openapi`);
      process.exit(1);
    }
    console.log(`${path.relative(rootDir, openApiFile)} is up to date`);
  } else if (rendered !== committed) {
    writeFileSync(openApiFile, rendered);
    console.log(`Updated ${path.relative(rootDir, openApiFile)}`);
  }
}
