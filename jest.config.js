/** Jest: TypeScript through SWC (type checking is `npm run typecheck`'s job). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/support/jest-env.js'],
  testTimeout: 60000,
};
