// Test environment: the SDK's Node 20 end-of-support notice is known and tracked (README, "Node versions"); keep test output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// Code under test must not decide Jest's exit code. On Node 20, `process.exitCode` is an accessor, and the copy of
// `process` Jest gives each test file shares it with the real process: with one worker (2 cores, as in CI) tests run
// in Jest's own process, so a CLI entry point or a library that sets it would fail a green run without a word. Each
// test file keeps its own exit code instead, and whoever sets one is named.
let testFileExitCode;
Object.defineProperty(process, 'exitCode', {
  configurable: true,
  enumerable: true,
  get: () => testFileExitCode,
  set(value) {
    testFileExitCode = value;
    if (value !== undefined && value !== 0)
      console.warn(
        `process.exitCode set to ${value} by code under test (kept out of Jest's exit code)\n${new Error().stack}`,
      );
  },
});
