/**
 * Billable units, counted where the embedded runtime serves them, in the units AWS bills: requests, PutEvents
 * entries (64 KB chunks), Express requests and GB-seconds (64 MB, 100 ms steps), Lambda requests and GB-seconds,
 * DynamoDB WRU/RRU, SQS requests (64 KB chunks), S3 requests, Firehose bytes (5 KB per record), log bytes. `bench/order-to-cash` prices them.
 */

const kib = 1024;

/** Counts that accumulate until reset. */
export interface UsageCounts {
  apiGatewayRequests: number;
  lambdaRequests: number;
  lambdaGbSeconds: number;
  eventBridgeEvents: number;
  expressRequests: number;
  expressGbSeconds: number;
  /** Every state entered, Express and Standard; only Standard transitions are billed. */
  stateTransitions: number;
  standardTransitions: number;
  dynamoDbWru: number;
  dynamoDbRru: number;
  sqsRequests: number;
  s3PutRequests: number;
  s3GetRequests: number;
  /** Firehose Direct PUT ingestion, each record rounded up to 5 KB. */
  firehoseBilledBytes: number;
  secretsManagerCalls: number;
  /** Bytes sent to CloudWatch Logs: function log lines and workflow execution logs (level ALL with data). */
  logBytes: number;
}

function zero(): UsageCounts {
  return {
    apiGatewayRequests: 0,
    lambdaRequests: 0,
    lambdaGbSeconds: 0,
    eventBridgeEvents: 0,
    expressRequests: 0,
    expressGbSeconds: 0,
    stateTransitions: 0,
    standardTransitions: 0,
    dynamoDbWru: 0,
    dynamoDbRru: 0,
    sqsRequests: 0,
    s3PutRequests: 0,
    s3GetRequests: 0,
    firehoseBilledBytes: 0,
    secretsManagerCalls: 0,
    logBytes: 0,
  };
}

/** 64 KB payload chunks, the unit EventBridge and SQS bill a request in. */
export function chunks64k(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (64 * kib)));
}

/** The runtime's meter: one per runtime, shared by its services. */
export class UsageMeter {
  private counts = zero();
  readonly lambdaByFunction = new Map<string, { requests: number; gbSeconds: number; totalMs: number }>();

  apiRequest(): void {
    this.counts.apiGatewayRequests += 1;
  }

  /** One invocation; Lambda bills its duration rounded up to the millisecond at the configured memory. */
  lambdaInvocation(functionName: string, memoryMiB: number, durationMs: number): void {
    const gbSeconds = (memoryMiB / 1024) * (Math.ceil(durationMs) / 1000);
    this.counts.lambdaRequests += 1;
    this.counts.lambdaGbSeconds += gbSeconds;
    const own = this.lambdaByFunction.get(functionName) ?? { requests: 0, gbSeconds: 0, totalMs: 0 };
    own.requests += 1;
    own.gbSeconds += gbSeconds;
    own.totalMs += durationMs;
    this.lambdaByFunction.set(functionName, own);
  }

  eventBridgeEntry(bytes: number): void {
    this.counts.eventBridgeEvents += chunks64k(bytes);
  }

  /** A finished execution: Express bills the request and its duration at 64 MB in 100 ms steps. */
  execution(type: 'STANDARD' | 'EXPRESS', transitions: number, durationMs: number): void {
    this.counts.stateTransitions += transitions;
    if (type === 'STANDARD') {
      this.counts.standardTransitions += transitions;
      return;
    }
    this.counts.expressRequests += 1;
    this.counts.expressGbSeconds += (64 / 1024) * (Math.max(1, Math.ceil(durationMs / 100)) * 0.1);
  }

  dynamoDb(capacity: { wru?: number; rru?: number }): void {
    this.counts.dynamoDbWru += capacity.wru ?? 0;
    this.counts.dynamoDbRru += capacity.rru ?? 0;
  }

  sqsRequest(bytes = 0): void {
    this.counts.sqsRequests += chunks64k(bytes);
  }

  s3Request(method: string): void {
    if (method === 'GET' || method === 'HEAD') this.counts.s3GetRequests += 1;
    else this.counts.s3PutRequests += 1;
  }

  firehoseRecord(bytes: number): void {
    this.counts.firehoseBilledBytes += Math.ceil(bytes / (5 * kib)) * 5 * kib;
  }

  secretsManagerCall(): void {
    this.counts.secretsManagerCalls += 1;
  }

  logBytes(bytes: number): void {
    this.counts.logBytes += bytes;
  }

  snapshot(): UsageCounts {
    return { ...this.counts };
  }

  reset(): void {
    this.counts = zero();
    this.lambdaByFunction.clear();
  }
}
