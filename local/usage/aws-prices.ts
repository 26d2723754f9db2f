/**
 * AWS list prices (us-east-1, late 2026) of the units the usage meter counts, from
 * /work/shared/reference/aws-facts.md; CloudWatch Logs ingestion from the CloudWatch pricing page. Free tiers are
 * left out: the cost model is for a platform past them.
 */
import type { UsageCounts } from './usage-meter';

/** USD per unit of each counted item. */
export const awsListPrices: Record<keyof UsageCounts, { usdPerUnit: number; unit: string }> = {
  apiGatewayRequests: { usdPerUnit: 1.0 / 1e6, unit: 'HTTP API request' },
  lambdaRequests: { usdPerUnit: 0.2 / 1e6, unit: 'Lambda request' },
  lambdaGbSeconds: { usdPerUnit: 0.0000133334, unit: 'Lambda GB-s (arm64)' },
  eventBridgeEvents: { usdPerUnit: 1.0 / 1e6, unit: 'custom event (64 KB chunk)' },
  expressRequests: { usdPerUnit: 1.0 / 1e6, unit: 'Express request' },
  expressGbSeconds: { usdPerUnit: 0.00001667, unit: 'Express GB-s (64 MB, 100 ms steps)' },
  stateTransitions: { usdPerUnit: 0, unit: 'state transition (Express: not billed)' },
  standardTransitions: { usdPerUnit: 0.025 / 1000, unit: 'Standard state transition' },
  dynamoDbWru: { usdPerUnit: 0.625 / 1e6, unit: 'WRU (on-demand)' },
  dynamoDbRru: { usdPerUnit: 0.125 / 1e6, unit: 'RRU (on-demand)' },
  sqsRequests: { usdPerUnit: 0.4 / 1e6, unit: 'SQS request (64 KB chunk)' },
  s3PutRequests: { usdPerUnit: 0.005 / 1000, unit: 'S3 PUT' },
  s3GetRequests: { usdPerUnit: 0.0004 / 1000, unit: 'S3 GET' },
  firehoseBilledBytes: { usdPerUnit: 0.029 / 1024 ** 3, unit: 'Firehose byte ingested (5 KB per record)' },
  secretsManagerCalls: { usdPerUnit: 0.05 / 10_000, unit: 'Secrets Manager API call' },
  logBytes: { usdPerUnit: 0.5 / 1024 ** 3, unit: 'CloudWatch Logs byte ingested' },
};

/** One line of a priced bill. */
export interface PricedItem {
  item: keyof UsageCounts;
  unit: string;
  units: number;
  usd: number;
}

/** The counts priced, most expensive first. */
export function priceUsage(counts: UsageCounts): { items: PricedItem[]; totalUsd: number } {
  const items = (Object.keys(awsListPrices) as (keyof UsageCounts)[])
    .map((item) => ({
      item,
      unit: awsListPrices[item].unit,
      units: counts[item],
      usd: counts[item] * awsListPrices[item].usdPerUnit,
    }))
    .sort((a, b) => b.usd - a.usd);
  return { items, totalUsd: items.reduce((sum, line) => sum + line.usd, 0) };
}
