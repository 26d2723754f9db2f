import type { UsageMeter } from '../usage/usage-meter';

/** What every local service knows of where it runs: the pretend account and region, and the edge URL. */

/** The runtime's identity, shared by the services to build ARNs and URLs, and the meter of what they serve. */
export interface LocalEnvironment {
  readonly accountId: string;
  readonly region: string;
  /** Billable units counted as they are served. */
  readonly usage: UsageMeter;
  /** The edge endpoint's URL, known once it listens. */
  edgeUrl(): string;
}

/** The service name and resource of an ARN (arn:aws:<service>:<region>:<account>:<resource>). */
export function parseArn(arn: string): {
  service: string;
  region: string;
  account: string;
  resource: string;
} {
  const [prefix, partition, service = '', region = '', account = '', ...rest] = arn.split(':');
  if (prefix !== 'arn' || !partition) throw new Error(`Not an ARN: ${arn}`);
  return { service, region, account, resource: rest.join(':') };
}
