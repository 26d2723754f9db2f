/** Starts the embedded runtime for a test suite, with AWS SDK clients pointed at its edge, and cleans up after. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { FunctionDefinition } from '../../../local/lambda-host/function-host';
import { LocalRuntime } from '../../../local/runtime';

/** SDK clients configured for the local edge, exactly as application code would be through AWS_ENDPOINT_URL. */
export function sdkClients(endpoint: string) {
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  return {
    events: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    // StartSyncExecution prefixes the host with "sync-": no such host exists locally.
    sfn: new SFNClient({ ...config, disableHostPrefix: true }),
    firehose: new FirehoseClient(config),
    s3: new S3Client(config),
    dynamodb: new DynamoDBClient(config),
    lambda: new LambdaClient(config),
  };
}

/** A runtime on a free port with a fresh data directory. */
export async function startTestRuntime(options: { clockFactor?: number } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'concord-runtime-'));
  const runtime = await LocalRuntime.start({ dataDir, edgePort: 0, clockFactor: options.clockFactor ?? 1 });
  const clients = sdkClients(runtime.endpoint);
  return {
    runtime,
    clients,
    dataDir,
    /** Writes a handler module and registers it as a function. */
    async deployFunction(
      name: string,
      source: string,
      settings: Partial<FunctionDefinition> = {},
    ): Promise<string> {
      const file = path.join(dataDir, `fn-${name}.js`);
      writeFileSync(file, source);
      const arn = `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
      await runtime.lambda.registerFunction({
        name,
        arn,
        modulePath: file,
        exportName: 'handler',
        environment: {},
        timeoutSec: 10,
        memoryMiB: 128,
        ...settings,
      });
      return arn;
    },
    async stop(): Promise<void> {
      for (const client of Object.values(clients)) client.destroy();
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
