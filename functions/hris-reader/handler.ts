/** Lambda entry of the HRIS reader: one employee-sync step reading HiBob's People API. */
import { Logger } from '@aws-lambda-powertools/logger';
import { HibobPeopleClient } from '../shared/hris/hibob-people-client';
import { createTracer, tracedHandler } from '../shared/observability/tracing';
import {
  parseHibobServiceUser,
  secretsManagerPlatformCredentials,
} from '../shared/secrets/platform-credentials';
import { loadHrisReaderConfig } from './config';
import { type HrisReadRequest, readEmployee } from './read-employee';

const config = loadHrisReaderConfig();
const logger = new Logger({ serviceName: 'hris-reader' });
const tracer = createTracer('hris-reader');
const hris = new HibobPeopleClient({
  baseUrl: config.hibobApiUrl,
  serviceUser: secretsManagerPlatformCredentials(
    config.hibobServiceUserSecretId,
    'HiBob service user',
    parseHibobServiceUser,
  ),
  costCentreFieldId: config.hibobCostCentreFieldId,
  timeoutMs: config.hrisTimeoutMs,
});

/** Step Functions task handler; errors keep their class names (HrisUnavailableError, …) for the workflow's Retry/Catch. */
export const handler = tracedHandler(tracer, read, {
  fromEvent: (request) => ({
    operation: request?.operation,
    businessKey: `employee/${request?.hrisEmployeeId}`,
  }),
});

async function read(request: HrisReadRequest): Promise<Record<string, unknown>> {
  try {
    const result = await readEmployee(request, hris);
    // Field names only: the values are personal data.
    logger.info('hris read', { operation: request.operation, fields: Object.keys(result.fields as object) });
    return result;
  } catch (error) {
    logger.warn('hris read failed', {
      operation: request?.operation,
      error: (error as Error).name,
      reason: (error as Error).message,
    });
    throw error;
  }
}
