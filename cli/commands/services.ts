/** `concord services`: the embedded AWS-compatible services alone, on one edge endpoint. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalRuntime } from '../../local/runtime';
import { OperatorInputError } from '../error-output';

/** Help text of `concord services`. */
export const servicesHelp = `Start the embedded AWS-compatible services (EventBridge, SQS, Step Functions, Firehose, S3, DynamoDB, Lambda, Secrets Manager) on one endpoint.

usage: concord services [--edge-port N] [--data-dir DIR] [--clock-factor N]

  --edge-port N      port of the edge endpoint on 127.0.0.1 (env CONCORD_EDGE_PORT, default 4566)
  --data-dir DIR     where state is kept (env CONCORD_DATA_DIR, default .concord)
  --clock-factor N   run local time N times faster (Wait states, retries, timeouts) (env CONCORD_CLOCK_FACTOR, default 1)

Point any AWS SDK or the AWS CLI at it with AWS_ENDPOINT_URL=http://127.0.0.1:<port>.
GET /_concord/health answers 200 once the services are ready.`;

/** Runs until SIGINT/SIGTERM, then stops gracefully (buffers flushed, in-flight work resumed next time). */
export async function runServices(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'edge-port': { type: 'string' },
      'data-dir': { type: 'string' },
      'clock-factor': { type: 'string' },
    },
    strict: true,
  });
  const edgePort = Number(values['edge-port'] ?? process.env.CONCORD_EDGE_PORT ?? 4566);
  const clockFactor = Number(values['clock-factor'] ?? process.env.CONCORD_CLOCK_FACTOR ?? 1);
  if (!Number.isInteger(edgePort) || edgePort < 0 || edgePort > 65535)
    throw new OperatorInputError(`--edge-port must be a port number, got ${values['edge-port']}`);
  if (!(clockFactor > 0))
    throw new OperatorInputError(`--clock-factor must be positive, got ${values['clock-factor']}`);
  const dataDir = path.resolve(values['data-dir'] ?? process.env.CONCORD_DATA_DIR ?? '.concord');
  const runtime = await LocalRuntime.start({ dataDir, edgePort, clockFactor });
  console.log(`Concord services ready at ${runtime.endpoint} (data in ${dataDir})`);
  console.log(
    `  export AWS_ENDPOINT_URL=${runtime.endpoint} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('Stopping: flushing buffers…');
  await runtime.stop();
  return 0;
}
