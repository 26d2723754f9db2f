/** Lambda: Invoke (RequestResponse, Event with durable async retries and destinations, DryRun) against the deployed function registry. */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { LocalClock } from '../../clock';
import type { RawService } from '../../edge/edge-server';
import {
  type FunctionDefinition,
  FunctionHost,
  type InvocationResult,
  ThrottledError,
} from '../../lambda-host/function-host';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';

/** How the local Lambda answers one operation: the REST method and path it arrives on, and its handler. */
export interface LambdaRoute {
  readonly method: string;
  /** The path; its first group, when it has one, is the function name. */
  readonly path: RegExp;
  readonly answer: (
    service: LambdaService,
    functionName: string,
    request: IncomingMessage,
    body: Buffer,
    response: ServerResponse,
  ) => Promise<void>;
}

/** What became of one invocation, for the AWS/Lambda metrics: its duration and whether it failed, or a throttle. */
export type InvocationOutcome = { durationMs: number; error: boolean } | 'throttled';

/** Sends an async invocation record to a destination ARN (SQS, Lambda, EventBridge). */
export type DestinationSender = (destinationArn: string, record: Record<string, unknown>) => Promise<void>;

interface AsyncRow {
  seq: number;
  function: string;
  payload: string;
  attempts: number;
  next_at: number;
  first_at: number;
  request_id: string;
}

// Lambda retries a failed async invocation twice, after about one and then two minutes.
const asyncRetryDelaysMs = [60_000, 120_000];

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
    ...headers,
  });
  response.end(text);
}

/** The Lambda service of the local runtime. */
export class LambdaService implements RawService {
  private readonly hosts = new Map<string, FunctionHost>();
  private readonly logStreams = new Map<string, WriteStream>();
  private asyncTimer: NodeJS.Timeout | undefined;
  private processing = false;
  private closed = false;
  readonly logDir: string;
  sendToDestination: DestinationSender = async () => {
    throw new Error('No destination sender');
  };
  /** Where function log lines also go (the console, in `concord dev`). */
  onLog: (functionName: string, line: string) => void = () => {};
  /** Every log line of every function, for the runtime's own consumers (CloudWatch's EMF extraction). */
  onLogLine: (functionName: string, line: string) => void = () => {};
  /** Called after every invocation (or throttle), so that CloudWatch keeps the AWS/Lambda metrics AWS would. */
  onInvocation: (functionName: string, outcome: InvocationOutcome) => void = () => {};

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
  ) {
    this.logDir = path.join(store.dataDir, 'logs');
    store.db.exec(`CREATE TABLE IF NOT EXISTS lambda_async (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, function TEXT NOT NULL, payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL, first_at INTEGER NOT NULL, request_id TEXT NOT NULL)`);
  }

  /** Resumes async invocations accepted before a restart. */
  start(): void {
    this.kick();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.asyncTimer);
    await Promise.all([...this.hosts.values()].map((host) => host.close()));
    this.hosts.clear();
    await Promise.all(
      [...this.logStreams.values()].map((stream) => new Promise((resolve) => stream.end(resolve))),
    );
    this.logStreams.clear();
  }

  private logStream(functionName: string): WriteStream {
    let stream = this.logStreams.get(functionName);
    if (!stream) {
      stream = createWriteStream(path.join(this.logDir, `${functionName}.log`), { flags: 'a' });
      this.logStreams.set(functionName, stream);
    }
    return stream;
  }

  /** Registers (or replaces) a function; its warm environments are recycled so new code and settings apply. */
  async registerFunction(definition: FunctionDefinition): Promise<void> {
    this.store.putResource('lambda-function', definition.name, definition);
    const old = this.hosts.get(definition.name);
    this.hosts.delete(definition.name);
    await old?.close();
  }

  async removeFunction(name: string): Promise<void> {
    this.store.deleteResource('lambda-function', name);
    await this.hosts.get(name)?.close();
    this.hosts.delete(name);
  }

  /** A registered function by name or ARN. */
  functionDefinition(nameOrArn: string): FunctionDefinition | undefined {
    const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? '') : nameOrArn;
    return this.store.getResource<FunctionDefinition>('lambda-function', name);
  }

  private host(definition: FunctionDefinition): FunctionHost {
    let host = this.hosts.get(definition.name);
    if (!host) {
      mkdirSync(this.logDir, { recursive: true });
      // One append stream per function: a synchronous append per log line would stall the event loop.
      const logFile = this.logStream(definition.name);
      host = new FunctionHost(
        definition,
        (line) => {
          logFile.write(`${line}\n`);
          this.env.usage.logBytes(Buffer.byteLength(line) + 1);
          this.onLog(definition.name, line);
          this.onLogLine(definition.name, line);
        },
        {
          AWS_ENDPOINT_URL: this.env.edgeUrl(),
          AWS_REGION: this.env.region,
          AWS_DEFAULT_REGION: this.env.region,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_SESSION_TOKEN: 'local',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          TZ: 'UTC',
        },
      );
      this.hosts.set(definition.name, host);
    }
    return host;
  }

  private metered(definition: FunctionDefinition, result: InvocationResult): InvocationResult {
    this.env.usage.lambdaInvocation(definition.name, definition.memoryMiB, result.durationMs);
    this.onInvocation(definition.name, {
      durationMs: result.durationMs,
      error: result.functionError !== undefined,
    });
    return result;
  }

  /** Runs an invocation on the function's host, reporting a throttle before it is thrown. */
  private async run(definition: FunctionDefinition, payload: string): Promise<InvocationResult> {
    try {
      return this.metered(definition, await this.host(definition).invoke(payload));
    } catch (error) {
      if (error instanceof ThrottledError) this.onInvocation(definition.name, 'throttled');
      throw error;
    }
  }

  /** Invokes a function synchronously; throws ThrottledError at its concurrency limit, or when it does not exist. */
  async invoke(nameOrArn: string, payload: string): Promise<InvocationResult> {
    const definition = this.functionDefinition(nameOrArn);
    if (!definition) throw new FunctionNotFoundError(nameOrArn, this.functionArn(nameOrArn));
    return this.run(definition, payload);
  }

  /** Accepts an async (Event) invocation durably; it runs with Lambda's retries and destinations. */
  invokeAsync(nameOrArn: string, payload: string): string {
    const definition = this.functionDefinition(nameOrArn);
    if (!definition) throw new FunctionNotFoundError(nameOrArn, this.functionArn(nameOrArn));
    const requestId = crypto.randomUUID();
    const now = this.clock.now();
    this.store.db
      .prepare(
        'INSERT INTO lambda_async (function, payload, next_at, first_at, request_id) VALUES (?, ?, ?, ?, ?)',
      )
      .run(definition.name, payload, now, now, requestId);
    this.kick();
    return requestId;
  }

  private functionArn(nameOrArn: string): string {
    return nameOrArn.startsWith('arn:')
      ? nameOrArn
      : `arn:aws:lambda:${this.env.region}:${this.env.accountId}:function:${nameOrArn}`;
  }

  private kick(delayRealMs = 0): void {
    if (this.closed) return;
    clearTimeout(this.asyncTimer);
    this.asyncTimer = setTimeout(() => void this.processAsync(), delayRealMs);
  }

  private async processAsync(): Promise<void> {
    if (this.processing || this.closed) return;
    this.processing = true;
    try {
      for (;;) {
        const due = this.store.db
          .prepare('SELECT * FROM lambda_async WHERE next_at <= ? ORDER BY seq LIMIT 50')
          .all(this.clock.now()) as AsyncRow[];
        if (due.length === 0 || this.closed) break;
        await Promise.all(due.map((row) => this.runAsync(row)));
      }
    } finally {
      this.processing = false;
    }
    const next = this.store.db.prepare('SELECT MIN(next_at) AS next FROM lambda_async').get() as {
      next: number | null;
    };
    if (next.next !== null) this.kick(Math.max(10, this.clock.realMs(next.next - this.clock.now())));
  }

  private async runAsync(row: AsyncRow): Promise<void> {
    const definition = this.functionDefinition(row.function);
    const remove = () => this.store.db.prepare('DELETE FROM lambda_async WHERE seq = ?').run(row.seq);
    if (!definition) {
      console.warn(
        `[lambda] dropped async invocation ${row.request_id}: function ${row.function} no longer exists`,
      );
      remove();
      return;
    }
    let result: InvocationResult;
    try {
      result = await this.run(definition, row.payload);
    } catch (error) {
      if (!(error instanceof ThrottledError)) throw error;
      // Throttles are retried for up to six hours without counting as attempts.
      this.store.db
        .prepare('UPDATE lambda_async SET next_at = ? WHERE seq = ?')
        .run(this.clock.now() + 1000 + Math.random() * 4000, row.seq);
      return;
    }
    const config = definition.async ?? {};
    const maxRetries = config.maximumRetryAttempts ?? 2;
    const maxAgeMs = (config.maximumEventAgeSec ?? 21_600) * 1000;
    const attempts = row.attempts + 1;
    if (result.functionError && attempts <= maxRetries && this.clock.now() - row.first_at < maxAgeMs) {
      const delay = asyncRetryDelaysMs[Math.min(attempts - 1, asyncRetryDelaysMs.length - 1)] as number;
      this.store.db
        .prepare('UPDATE lambda_async SET attempts = ?, next_at = ? WHERE seq = ?')
        .run(attempts, this.clock.now() + delay, row.seq);
      return;
    }
    const destination = result.functionError ? config.onFailureArn : config.onSuccessArn;
    if (destination) {
      await this.sendToDestination(destination, {
        version: '1.0',
        timestamp: new Date(this.clock.now()).toISOString(),
        requestContext: {
          requestId: row.request_id,
          functionArn: `${definition.arn}:$LATEST`,
          condition: result.functionError ? 'RetriesExhausted' : 'Success',
          approximateInvokeCount: attempts,
        },
        requestPayload: JSON.parse(row.payload),
        responseContext: {
          statusCode: 200,
          executedVersion: '$LATEST',
          ...(result.functionError ? { functionError: 'Unhandled' } : {}),
        },
        responsePayload: JSON.parse(result.payload),
      });
    } else if (result.functionError) {
      console.warn(
        `[lambda] async invocation ${row.request_id} of ${definition.name} failed after ${attempts} attempts: ${result.payload}`,
      );
    }
    remove();
  }

  /**
   * What answers each Lambda operation: the method and path the SDK sends it to, and its handler. Any request no
   * route matches is refused with `ResourceNotFoundException` (404), as Lambda does for an unknown path.
   */
  static readonly operations: Readonly<Record<string, LambdaRoute>> = {
    Invoke: {
      method: 'POST',
      path: /^\/2015-03-31\/functions\/([^/]+)\/invocations$/,
      answer: async (service, name, request, body, response) => {
        const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
        const payload = body.length > 0 ? body.toString('utf8') : '{}';
        try {
          JSON.parse(payload);
        } catch {
          return sendJson(
            response,
            400,
            { Type: 'User', message: 'Could not parse request body into json' },
            { 'x-amzn-errortype': 'InvalidRequestContentException' },
          );
        }
        if (type === 'DryRun') {
          if (!service.functionDefinition(name))
            throw new FunctionNotFoundError(name, service.functionArn(name));
          response.writeHead(204);
          response.end();
          return;
        }
        if (type === 'Event') {
          service.invokeAsync(name, payload);
          response.writeHead(202, { 'content-length': 0 });
          response.end();
          return;
        }
        const result = await service.invoke(name, payload);
        return sendJson(response, 200, result.payload, {
          'x-amz-executed-version': '$LATEST',
          ...(result.functionError ? { 'x-amz-function-error': result.functionError } : {}),
        });
      },
    },
    GetFunction: {
      method: 'GET',
      path: /^\/2015-03-31\/functions\/([^/]+)\/?$/,
      answer: async (service, name, _request, _body, response) => {
        const definition = service.functionDefinition(name);
        if (!definition) throw new FunctionNotFoundError(name, service.functionArn(name));
        return sendJson(response, 200, {
          Configuration: {
            FunctionName: definition.name,
            FunctionArn: definition.arn,
            Runtime: 'nodejs22.x',
            Timeout: definition.timeoutSec,
            MemorySize: definition.memoryMiB,
            State: 'Active',
          },
        });
      },
    },
    ListFunctions: {
      // GET only: a POST to this path is CreateFunction, which the local Lambda does not answer.
      method: 'GET',
      path: /^\/2015-03-31\/functions\/?$/,
      answer: async (service, _name, _request, _body, response) =>
        sendJson(response, 200, {
          Functions: service.store
            .listResources<FunctionDefinition>('lambda-function')
            .map(({ value }) => ({ FunctionName: value.name, FunctionArn: value.arn })),
        }),
    },
  };

  async handleRaw(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local');
    try {
      for (const route of Object.values(LambdaService.operations)) {
        const match = request.method === route.method ? route.path.exec(url.pathname) : null;
        if (match)
          return await route.answer(this, decodeURIComponent(match[1] ?? ''), request, body, response);
      }
      sendJson(
        response,
        404,
        { Type: 'User', message: `Unsupported Lambda operation ${request.method} ${url.pathname}` },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
    } catch (error) {
      if (error instanceof FunctionNotFoundError) {
        return sendJson(
          response,
          404,
          { Type: 'User', message: error.message },
          { 'x-amzn-errortype': 'ResourceNotFoundException' },
        );
      }
      if (error instanceof ThrottledError) {
        return sendJson(
          response,
          429,
          {
            Type: 'User',
            message: error.message,
            Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
          },
          { 'x-amzn-errortype': 'TooManyRequestsException' },
        );
      }
      throw error;
    }
  }
}

/** The function named does not exist. */
export class FunctionNotFoundError extends Error {
  override readonly name = 'FunctionNotFoundError';
  constructor(
    readonly functionName: string,
    arn: string,
  ) {
    super(`Function not found: ${arn}`);
  }
}

/** The Lambda operations the local runtime answers: the keys of the route table it dispatches by. */
export const lambdaOperations: readonly string[] = Object.freeze(
  Object.keys(LambdaService.operations).sort(),
);
