/** Jest: TypeScript through SWC (type checking is `npm run typecheck`'s job), one project per test folder. */
const fs = require('node:fs');
const path = require('node:path');

/**
 * What every project shares. Jest reads `transform` and `setupFiles` per project only (with `projects`, the
 * root keeps global options), so each project carries them.
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/support/jest-env.js'],
};

/**
 * A project over one folder of test/; its name is what `--selectProjects` takes (`npm run test:<name>`).
 * @param {string} name the project's name
 * @param {string} folder the folder under test/ it runs
 */
const project = (name, folder) => ({ ...shared, displayName: name, roots: [`<rootDir>/test/${folder}`] });

const projects = [
  // Pure code against fakes and in-process emulators: seconds.
  project('unit', 'unit'),
  // CDK synthesis and template assertions.
  project('infra', 'infra'),
  // The embedded AWS-compatible runtime under local/, service by service.
  project('runtime', 'local'),
  // Adapters and documents held to their OpenAPI and port contracts.
  project('contract', 'contract'),
  // Links, CLI reference and state-machine diagrams kept true to the code.
  project('docs', 'docs'),
  // The operator console, pages and browser.
  project('console', 'console'),
  // The whole pipeline under `concord dev`: minutes.
  project('e2e', 'e2e'),
];

/**
 * Whether a folder holds a test file at any depth.
 * @param {string} folder an absolute path
 * @returns {boolean}
 */
const holdsTests = (folder) =>
  fs.readdirSync(folder, { recursive: true }).some((name) => String(name).endsWith('.test.ts'));

// `npm test` must run every test: a test file directly in test/ or a new folder of tests outside all
// projects would be skipped silently, so name it here instead.
const testRoot = path.join(__dirname, 'test');
const covered = new Set(projects.map((each) => each.roots[0].replace('<rootDir>/test/', '')));
const uncovered = fs
  .readdirSync(testRoot, { withFileTypes: true })
  .filter((entry) =>
    entry.isDirectory()
      ? !covered.has(entry.name) && holdsTests(path.join(testRoot, entry.name))
      : entry.name.endsWith('.test.ts'),
  )
  .map((entry) => `test/${entry.name}`);
if (uncovered.length > 0) {
  throw new Error(`jest.config.js: no Jest project runs ${uncovered.join(', ')}; add one to \`projects\``);
}

module.exports = {
  // Jest 30's runner takes the timeout from the global config only (a project's `testTimeout` is ignored),
  // so it stays at the root, where it applies to every project.
  testTimeout: 60000,
  projects,
};
