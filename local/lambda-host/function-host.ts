/** Runs one function's bundled code in worker threads: its own environment, warm reuse, a concurrency limit, timeouts that kill. */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** A deployed function as the host runs it. */
export interface FunctionDefinition {
  name: string;
  arn: string;
  /** Absolute path of the bundled module (e.g. cdk.out/asset.…/index.js). */
  modulePath: string;
  /** Exported handler name (from Handler "index.handler"). */
  exportName: string;
  environment: Record<string, string>;
  timeoutSec: number;
  memoryMiB: number;
  reservedConcurrency?: number;
  /** The credentials of the function's execution role session: IAM at the edge authorizes its calls as that role. */
  roleCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** Async invocation settings (EventInvokeConfig). */
  async?: {
    maximumRetryAttempts?: number;
    maximumEventAgeSec?: number;
    onFailureArn?: string;
    onSuccessArn?: string;
  };
}

/** What an invocation returned. */
export interface InvocationResult {
  requestId: string;
  /** The JSON text of the result, or of the error object when functionError is set. */
  payload: string;
  functionError?: 'Unhandled';
  durationMs: number;
}

/** Thrown when every allowed execution environment is busy. */
export class ThrottledError extends Error {
  override readonly name = 'ThrottledError';
}

interface Environment {
  worker: Worker;
  busy: boolean;
  pending?: {
    resolve: (value: InvocationResult) => void;
    timer: NodeJS.Timeout;
    requestId: string;
    startedAt: number;
  };
}

const workerScript = path.join(__dirname, 'worker.js');

/**
 * The runtime's Node flags without module loaders (tsx, when the runtime runs from TypeScript): a bundle is plain
 * JavaScript as on Lambda, and an inherited loader's hooks made every environment's INIT slower. Other flags, such
 * as --cpu-prof, still apply to the environments.
 */
function withoutModuleLoaders(flags: readonly string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < flags.length; index += 1) {
    const flag = flags[index] as string;
    if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(flag)) index += 1;
    else if (!/^(--import|--require|--loader|--experimental-loader)=/.test(flag)) kept.push(flag);
  }
  return kept;
}

const workerExecArgv = withoutModuleLoaders(process.execArgv);

/**
 * Execution environments per function when no reserved concurrency is set. The machine's cores are the real
 * limit locally: measured on 2 cores, 4 environments accept the most webhooks/s (8 and 32 accept fewer).
 */
const localEnvironmentLimit = Math.max(2, availableParallelism() * 2);

/** The execution environments of one function. */
export class FunctionHost {
  private readonly environments: Environment[] = [];
  private readonly waiting: ((environment: Environment) => void)[] = [];
  private closing = false;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly log: (line: string) => void,
    /** The edge URL and fake credentials every function gets, as on AWS it gets its endpoint and role. */
    private readonly baseEnvironment: Record<string, string>,
  ) {}

  private spawn(): Environment {
    const { definition } = this;
    const worker = new Worker(workerScript, {
      execArgv: workerExecArgv,
      workerData: {
        modulePath: definition.modulePath,
        exportName: definition.exportName,
        handlerName: `${path.basename(definition.modulePath, '.js')}.${definition.exportName}`,
      },
      env: {
        ...this.baseEnvironment,
        AWS_LAMBDA_FUNCTION_NAME: definition.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMiB),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${definition.name}`,
        ...definition.environment,
        ...(definition.roleCredentials
          ? {
              AWS_ACCESS_KEY_ID: definition.roleCredentials.accessKeyId,
              AWS_SECRET_ACCESS_KEY: definition.roleCredentials.secretAccessKey,
              AWS_SESSION_TOKEN: definition.roleCredentials.sessionToken,
            }
          : {}),
      },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, definition.memoryMiB) },
    });
    const environment: Environment = { worker, busy: false };
    const forward = (stream: NodeJS.ReadableStream) => {
      let buffer = '';
      stream.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          this.log(buffer.slice(0, newline));
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
        }
      });
    };
    forward(worker.stdout);
    forward(worker.stderr);
    worker.on('message', (message: { id: string; ok: boolean; result?: string; error?: unknown }) => {
      const pending = environment.pending;
      if (!pending || pending.requestId !== message.id) return;
      clearTimeout(pending.timer);
      environment.pending = undefined;
      environment.busy = false;
      this.release(environment);
      pending.resolve({
        requestId: pending.requestId,
        payload: message.ok ? (message.result ?? 'null') : JSON.stringify(message.error),
        functionError: message.ok ? undefined : 'Unhandled',
        durationMs: Date.now() - pending.startedAt,
      });
    });
    worker.on('error', (error) =>
      this.fail(environment, { errorType: error.name, errorMessage: error.message }),
    );
    worker.on('exit', () => {
      this.fail(environment, {
        errorType: 'Runtime.ExitError',
        errorMessage: 'RequestId: the execution environment exited',
      });
      this.environments.splice(this.environments.indexOf(environment), 1);
      // An invocation waiting for an environment gets a fresh one in place of the one that ended.
      const next = this.closing ? undefined : this.waiting.shift();
      if (next) {
        const fresh = this.spawn();
        fresh.busy = true;
        next(fresh);
      }
    });
    this.environments.push(environment);
    return environment;
  }

  private fail(environment: Environment, error: { errorType: string; errorMessage: string }): void {
    const pending = environment.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    environment.pending = undefined;
    environment.busy = false;
    pending.resolve({
      requestId: pending.requestId,
      payload: JSON.stringify(error),
      functionError: 'Unhandled',
      durationMs: Date.now() - pending.startedAt,
    });
  }

  /** Invokes the function with a JSON payload; throws ThrottledError when at its concurrency limit. */
  async invoke(payload: string): Promise<InvocationResult> {
    const reserved = this.definition.reservedConcurrency;
    if (reserved === 0)
      throw new ThrottledError(`Function ${this.definition.name} has reserved concurrency 0`);
    let environment = this.environments.find((candidate) => !candidate.busy);
    if (!environment && this.environments.length < (reserved ?? localEnvironmentLimit))
      environment = this.spawn();
    if (!environment) {
      // Reserved concurrency is a hard limit, as on AWS. Otherwise AWS would scale out; locally the
      // invocation waits for a free environment, since this machine's cores are the real limit.
      if (reserved !== undefined) throw new ThrottledError('Rate Exceeded.');
      environment = await new Promise<Environment>((resolve) => this.waiting.push(resolve));
    }
    return this.run(environment, payload);
  }

  private release(environment: Environment): void {
    const next = this.waiting.shift();
    if (next) {
      environment.busy = true;
      next(environment);
    }
  }

  private run(chosen: Environment, payload: string): Promise<InvocationResult> {
    chosen.busy = true;
    const requestId = randomUUID();
    const timeoutMs = this.definition.timeoutSec * 1000;
    const startedAt = Date.now();
    this.log(`START RequestId: ${requestId} Version: $LATEST`);
    return new Promise<InvocationResult>((resolve) => {
      const timer = setTimeout(() => {
        // A timed-out environment is destroyed, as Lambda does; the next invocation starts a fresh one.
        const message = `${new Date().toISOString()} ${requestId} Task timed out after ${this.definition.timeoutSec.toFixed(2)} seconds`;
        this.fail(chosen, { errorType: 'Sandbox.Timedout', errorMessage: message });
        void chosen.worker.terminate();
      }, timeoutMs);
      chosen.pending = { resolve, timer, requestId, startedAt };
      chosen.worker.postMessage({
        id: requestId,
        event: payload,
        context: {
          awsRequestId: requestId,
          functionName: this.definition.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: this.definition.arn,
          memoryLimitInMB: String(this.definition.memoryMiB),
          logGroupName: `/aws/lambda/${this.definition.name}`,
          logStreamName: `local/${this.definition.name}`,
          deadlineMs: startedAt + timeoutMs,
        },
      });
    }).then((result) => {
      this.log(`END RequestId: ${requestId}`);
      this.log(
        `REPORT RequestId: ${requestId}\tDuration: ${result.durationMs} ms\tMemory Size: ${this.definition.memoryMiB} MB`,
      );
      return result;
    });
  }

  /** Stops every execution environment. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.environments.map((environment) => environment.worker.terminate()));
  }
}
