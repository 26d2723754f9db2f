// A Lambda execution environment in a worker thread: loads the bundled handler once (INIT), then runs invocations.
// Plain JavaScript on purpose: it must load in a worker without any TypeScript loader.
const { parentPort, workerData } = require('node:worker_threads');

let handler;
let initError;
try {
  const loaded = require(workerData.modulePath);
  handler = loaded[workerData.exportName];
  if (typeof handler !== 'function') {
    initError = {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: `${workerData.handlerName} is undefined or not exported`,
    };
  }
} catch (error) {
  initError = {
    errorType: 'Runtime.ImportModuleError',
    errorMessage: `Error: ${error?.message}`,
    trace: String(error?.stack).split('\n'),
  };
}

function invoke(event, context) {
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const result = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
      if (result && typeof result.then === 'function') result.then(resolve, reject);
    });
  }
  return Promise.resolve(handler(event, context));
}

parentPort.on('message', async (message) => {
  const { id, event, context } = message;
  if (initError) {
    parentPort.postMessage({ id, ok: false, error: initError });
    return;
  }
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, context.deadlineMs - Date.now()),
    done: () => {},
    succeed: () => {},
    fail: () => {},
  };
  try {
    const result = await invoke(JSON.parse(event), lambdaContext);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? 'null' : JSON.stringify(result) });
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({
      id,
      ok: false,
      error: {
        errorType: err.name || 'Error',
        errorMessage: err.message,
        trace: String(err.stack || '').split('\n'),
      },
    });
  }
});
