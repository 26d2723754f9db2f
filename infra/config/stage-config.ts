/** Per-stage configuration as typed data: what differs between local, dev, staging and prod, and nothing else. */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { problemTypeBase } from '../../functions/shared/http/problem';

/** The stages Concord deploys. */
export const stageNames = ['local', 'dev', 'staging', 'prod'] as const;
export type StageName = (typeof stageNames)[number];

/** Everything a stage decides. */
export interface StageConfig {
  stage: StageName;
  region: string;
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
  /** How long the bus archive keeps every event (audit and replay). */
  busArchiveRetention: Duration;
  ingest: {
    memorySizeMiB: number;
    timeoutSec: number;
    /** Largest webhook body accepted (413 above). */
    maxBodyBytes: number;
    /** Must exceed timeoutSec: a claim outliving its function must not block the provider's retry for long. */
    inProgressSec: number;
    /** API Gateway throttling of the webhook route. */
    rateLimitPerSec: number;
    burstLimit: number;
    /**
     * Whether a flat Shopify secret list is accepted, meaning any shop. Shopify signs only the body, so a flat list
     * lets a body signed for one shop be sent as another: only the local stage, where no real shop posts, accepts
     * it; elsewhere the secret must be `{ "<shop domain>": ["<secret>", …] }`.
     */
    acceptUnboundSenderSecrets: boolean;
  };
  archive: {
    infrequentAccessAfterDays: number;
    glacierAfterDays: number;
    expireAfterDays: number;
    /** How long the raw archive stream buffers before it writes a batch (0–900 s). */
    deliveryIntervalSec: number;
  };
  quarantine: { expireAfterDays: number };
  /**
   * Whether workflows log a failed step's execution data (its input and the error's cause, which carry `x-pii`
   * fields in clear). Off where real customers' data flows (staging, prod): the exceptions queue keeps the
   * failed case with its event, and the log keeps the state, the error name and the execution.
   */
  workflowLogs: { includeExecutionData: boolean };
  /** The ERP the adapters call (locally the ERP sandbox that `npm start` runs). */
  /**
   * Where the ERP is, how long one call may take, and how many calls may be in flight at once (the ERP adapter's
   * reserved concurrency): an ERP asking for quiet gets it from a bounded number of callers, not a burst.
   */
  erp: { baseUrl: string; timeoutMs: number; sourceUri: string; maxConcurrentCalls: number };
  /**
   * POST /orders/validate answers within `budgetMs` milliseconds, or 503 with Retry-After. `sfnSyncHost`: whether the
   * stage's Step Functions endpoint serves StartSyncExecution on its `sync-` host, as AWS does; the embedded runtime
   * has one endpoint for every call.
   */
  orderValidation: { budgetMs: number; sfnSyncHost: boolean };
  /**
   * Base of the problem `type` URIs the HTTP APIs answer (RFC 9457), ending with `/`: a type is `<base><slug>.md`,
   * the page of docs/problems/ that says what it means and what the sender should do, so it must serve docs/problems/.
   */
  problemTypeBaseUri: string;
  /**
   * How the events stream buffers before it writes a batch to the warehouse bucket: partitioning by event type
   * needs at least 64 MiB and 60 s; larger batches make fewer, larger files to query.
   */
  warehouse: {
    deliveryIntervalSec: number;
    bufferSizeMiB: number;
    expireAfterDays: number;
    /** The first day Athena's partition projection offers. */
    firstEventDate: string;
    /** Athena cancels a query that would scan more (the workgroup's cutoff). */
    queryScanLimitGiB: number;
  };
  /**
   * Who hears the stage's alarms: the alarm topic's subscriptions (an email must be confirmed from the message SNS
   * sends it; an HTTPS endpoint, a chat tool's webhook for instance, must confirm the subscription it is sent).
   */
  alerting: { emails: readonly string[]; httpsEndpoints: readonly string[] };
  /** The business-outcome SLOs, per flow: the SLO alarms and the dashboard read their thresholds from here. */
  slos: {
    /** A `target` share (0–1) of orders is accepted by the ERP within `withinSec` of its webhook. */
    orderAccepted: { target: number; withinSec: number };
    /**
     * A `target` share of invoices is posted by the ERP within `withinSec` of the order's webhook (or of the credit
     * release that resumed it): alarmed on `InvoicePostedLatency` of order-to-cash, as the order-accepted SLO.
     */
    invoicePosted: { target: number; withinSec: number };
    /**
     * A `target` share of payments is applied to their invoice within `withinSec` of their webhook: alarmed on
     * `PaymentAppliedLatency` of payment-application. A payment ahead of its invoice is held about two minutes.
     */
    paymentApplied: { target: number; withinSec: number };
    /**
     * A `target` share of purchase orders is created and released by the ERP (with its PO number) within `withinSec`
     * of their procurement webhook: alarmed on `PurchaseOrderReleasedLatency` of procure-to-pay.
     */
    purchaseOrderReleased: { target: number; withinSec: number };
    /**
     * A `target` share of hires is effective in the ERP's employee register within `withinSec` of the HRIS webhook:
     * alarmed on `EmployeeHiredLatency` of employee-sync (changes and terminations may be effective-dated, so untimed).
     */
    employeeHired: { target: number; withinSec: number };
    /**
     * A `target` share of stock levels is shown on the shop within `withinSec` of the ERP announcing them: alarmed on
     * `StockWrittenLatency` of the item write-back.
     */
    stockWritten: { target: number; withinSec: number };
    /** An invoice the ERP posted is queryable in the warehouse within `withinMin` (alarmed on the stream's freshness). */
    invoiceVisibleInWarehouse: { withinMin: number };
    /** No failed transaction or reconciliation mismatch waits in the exceptions queue longer than this. */
    reconciliationClean: { maxMismatchAgeHours: number };
  };
  /**
   * X-Ray sampling of the workflows and functions (infra/constructs/trace-sampling.ts): the first
   * `reservoirPerSec` requests each second, then a `fixedRate` share (0–1) of the rest. A sampled order's trace is
   * what the console and `concord trace` draw its workflow path from on AWS; each recorded trace is billed
   * (docs/cost-model.md#tracing).
   */
  tracing: { sampling: { fixedRate: number; reservoirPerSec: number } };
  /**
   * The SaaS platforms' APIs Concord calls beyond webhooks (locally the ERP sandbox's stand-ins). Declared per stage
   * and checked at synth by `platformSettings`, which names any key a non-local stage lacks; the credentials are
   * not here but in the stateful stack's secrets (docs/runbooks/platform-credentials.md).
   */
  platforms?: PlatformSettingsInput;
}

/** HiBob's People API, as employee-sync's HRIS reader reads it. */
export interface HibobSettings {
  /** Bob's API base: https://api.hibob.com/v1 (Bob's sandbox environment: https://api.sandbox.hibob.com/v1). */
  apiUrl: string;
  /** The tenant's Bob field id holding the cost centre (a custom field, `<category>.field_<id>`, or a built-in one). */
  costCentreFieldId: string;
}

/** The Shopify shop the item write-back writes stock and prices to, through its REST Admin API. */
export interface ShopifySettings {
  /** The shop's address, https://<shop>.myshopify.com; the Admin API is under /admin/api/<apiVersion>. */
  shopUrl: string;
  /** The Admin API version (https://shopify.dev/docs/api/usage/versioning): the stand-in and adapter speak 2025-01. */
  apiVersion: string;
  /** The shop's currency: only prices in it are written. */
  currency: string;
  /** The plan's Admin API restore rate: 2 requests a second on Standard plans, 20 on Shopify Plus. */
  leakPerSec: number;
  /** ERP location code → the shop's location name, where they differ (a code not listed is the location's name). */
  locationNames: Readonly<Record<string, string>>;
}

/** Spendesk's API, as the purchase-order write-back writes the ERP's PO number, refusals and three-way match to it. */
export interface SpendeskSettings {
  /** The API base the write-back's paths are under, e.g. https://api.spendesk.com/v1 (locally the sandbox stand-in). */
  apiUrl: string;
}

/** Every platform's settings, complete. */
export interface PlatformSettings {
  hibob: HibobSettings;
  shopify: ShopifySettings;
  spendesk: SpendeskSettings;
}

/** The settings as a stage declares them: possibly incomplete, which `platformSettings` refuses outside local. */
export type PlatformSettingsInput = {
  [P in keyof PlatformSettings]?: Partial<PlatformSettings[P]>;
};

/** A stage's platform settings are missing or invalid: synth stops, naming the key. */
export class PlatformSettingsError extends Error {
  override readonly name = 'PlatformSettingsError';
}

const base = {
  region: 'us-east-1',
  // The deployed stages link the team's docs host, which serves the repository's docs/ as they are.
  problemTypeBaseUri: problemTypeBase,
  ingest: {
    memorySizeMiB: 256,
    timeoutSec: 10,
    maxBodyBytes: 1_048_576,
    inProgressSec: 60,
    rateLimitPerSec: 500,
    burstLimit: 1000,
    acceptUnboundSenderSecrets: false,
  },
  archive: {
    infrequentAccessAfterDays: 30,
    glacierAfterDays: 90,
    expireAfterDays: 400,
    deliveryIntervalSec: 300,
  },
  quarantine: { expireAfterDays: 90 },
  workflowLogs: { includeExecutionData: false },
  // Four, as many execution environments as a function has locally anyway (local/lambda-host).
  erp: {
    baseUrl: 'http://127.0.0.1:4100',
    timeoutMs: 5000,
    sourceUri: 'erp://sandbox',
    maxConcurrentCalls: 4,
  },
  orderValidation: { budgetMs: 8000, sfnSyncHost: true },
  warehouse: {
    deliveryIntervalSec: 60,
    bufferSizeMiB: 64,
    expireAfterDays: 730,
    firstEventDate: '2026-01-01',
    queryScanLimitGiB: 10,
  },
  // Nobody is paged outside prod and staging unless a stage names someone.
  alerting: { emails: [], httpsEndpoints: [] },
  slos: {
    orderAccepted: { target: 0.99, withinSec: 60 },
    // The invoice follows the sales order in the same execution: seconds after it, so the order's bound and a margin.
    invoicePosted: { target: 0.99, withinSec: 90 },
    // A payment that overtakes its invoice waits up to about two minutes (the workflow's retries) before it applies.
    paymentApplied: { target: 0.99, withinSec: 180 },
    // Supplier and budget checks, creation and release: four ERP calls in one execution, as an order's and its invoice's.
    purchaseOrderReleased: { target: 0.99, withinSec: 90 },
    // One read of Bob's People API and one ERP call; a hire before its cost centre exists waits for the retries.
    employeeHired: { target: 0.99, withinSec: 900 },
    // The 30 s coalescing window, then the shop's rate: a 5,000-line goods receipt at the Standard plan's 2 writes a
    // second takes about 42 minutes, which a bound under an hour still allows.
    stockWritten: { target: 0.99, withinSec: 3600 },
    invoiceVisibleInWarehouse: { withinMin: 15 },
    reconciliationClean: { maxMismatchAgeHours: 24 },
  },
  // X-Ray's own default: at least one trace a second per rule, and one transaction in twenty beyond.
  tracing: { sampling: { fixedRate: 0.05, reservoirPerSec: 1 } },
} as const;

/** The Shopify settings every stage shares unless it says otherwise (Standard plan, the adapter's API version). */
const shopifyBase = { apiVersion: '2025-01', currency: 'USD', leakPerSec: 2, locationNames: {} } as const;

/**
 * The local stage's platforms: the ERP sandbox's stand-ins, under its base URL (`concord dev` moves them with
 * --erp-port: `localPlatformSettings`).
 */
function sandboxPlatforms(erpBaseUrl: string): PlatformSettings {
  return {
    hibob: { apiUrl: `${erpBaseUrl}/hibob/v1`, costCentreFieldId: 'work.costCentre' },
    shopify: { ...shopifyBase, shopUrl: `${erpBaseUrl}/shopify` },
    spendesk: { apiUrl: `${erpBaseUrl}/spendesk/v1` },
  };
}

const stages: Record<StageName, StageConfig> = {
  local: {
    ...base,
    stage: 'local',
    // The pages in this checkout (a file: URL): whoever runs the local stage reads them on the same machine.
    problemTypeBaseUri: pathToFileURL(path.join(__dirname, '../../docs/problems/')).href,
    // Seconds, not minutes: a newcomer (and the tests) see the archive while they look.
    archive: { ...base.archive, deliveryIntervalSec: 1 },
    // The embedded runtime answers every Step Functions call on its one endpoint, StartSyncExecution included.
    orderValidation: { ...base.orderValidation, sfnSyncHost: false },
    // The generated local secrets file has one list per source; no real shop posts here.
    ingest: { ...base.ingest, acceptUnboundSenderSecrets: true },
    // Test data only: a failed step's input in its log is what a developer reads first.
    workflowLogs: { includeExecutionData: true },
    // Sent nowhere: the embedded runtime appends each alarm email to <data-dir>/mailbox/<topic>.jsonl (the banner says so).
    alerting: { emails: ['alerts@concord.local'], httpsEndpoints: [] },
    removalPolicy: RemovalPolicy.DESTROY,
    logRetention: RetentionDays.ONE_WEEK,
    busArchiveRetention: Duration.days(7),
    platforms: sandboxPlatforms(base.erp.baseUrl),
  },
  dev: {
    ...base,
    stage: 'dev',
    // Test data only, as locally.
    workflowLogs: { includeExecutionData: true },
    // Every transaction traced: a developer's order is always there to look at, and dev's volume is in the free tier.
    tracing: { sampling: { fixedRate: 1, reservoirPerSec: 1 } },
    // The ERP connector endpoint of this stage (the ERP sandbox deployed beside it until the real ERP connector).
    erp: {
      baseUrl: 'https://erp-sandbox.dev.concord.internal',
      timeoutMs: 5000,
      sourceUri: 'erp://sandbox-dev',
      maxConcurrentCalls: 5,
    },
    removalPolicy: RemovalPolicy.DESTROY,
    logRetention: RetentionDays.TWO_WEEKS,
    busArchiveRetention: Duration.days(14),
    // Placeholders: ops put the tenant's Bob sandbox field and the development shop here before the first deploy
    // (docs/runbooks/platform-credentials.md); the credentials go into the stage's secrets.
    platforms: {
      hibob: { apiUrl: 'https://api.sandbox.hibob.com/v1', costCentreFieldId: 'work.field_1700000000001' },
      shopify: { ...shopifyBase, shopUrl: 'https://concord-dev.myshopify.com' },
      spendesk: { apiUrl: 'https://api.spendesk.com/v1' },
    },
  },
  staging: {
    ...base,
    stage: 'staging',
    // The ERP connector endpoint of this stage (the ERP sandbox deployed beside it until the real ERP connector).
    erp: {
      baseUrl: 'https://erp-sandbox.staging.concord.internal',
      timeoutMs: 5000,
      sourceUri: 'erp://sandbox-staging',
      maxConcurrentCalls: 10,
    },
    removalPolicy: RemovalPolicy.RETAIN,
    logRetention: RetentionDays.ONE_MONTH,
    busArchiveRetention: Duration.days(30),
    // Placeholder: ops put the team's address here before the first deploy (docs/observability.md).
    alerting: { emails: ['concord-staging-alerts@example.com'], httpsEndpoints: [] },
    // Placeholders, as in dev (docs/runbooks/platform-credentials.md).
    platforms: {
      hibob: { apiUrl: 'https://api.sandbox.hibob.com/v1', costCentreFieldId: 'work.field_1700000000001' },
      shopify: { ...shopifyBase, shopUrl: 'https://concord-staging.myshopify.com' },
      spendesk: { apiUrl: 'https://api.spendesk.com/v1' },
    },
  },
  prod: {
    ...base,
    stage: 'prod',
    // The ERP connector endpoint of this stage (the ERP sandbox deployed beside it until the real ERP connector).
    erp: {
      baseUrl: 'https://erp-sandbox.prod.concord.internal',
      timeoutMs: 5000,
      sourceUri: 'erp://sandbox-prod',
      maxConcurrentCalls: 25,
    },
    removalPolicy: RemovalPolicy.RETAIN,
    logRetention: RetentionDays.ONE_YEAR,
    busArchiveRetention: Duration.days(400),
    ingest: { ...base.ingest, memorySizeMiB: 512, rateLimitPerSec: 2000, burstLimit: 5000 },
    archive: { ...base.archive, expireAfterDays: 2555 },
    warehouse: {
      deliveryIntervalSec: 300,
      bufferSizeMiB: 128,
      expireAfterDays: 2555,
      firstEventDate: '2026-01-01',
      queryScanLimitGiB: 100,
    },
    // Placeholders: ops put the on-call address and the chat tool's webhook here (docs/observability.md).
    alerting: {
      emails: ['concord-oncall@example.com'],
      httpsEndpoints: ['https://chat.example.com/hooks/concord-prod'],
    },
    // Placeholders: ops put the production tenant's cost-centre field and the live shop here before the first
    // deploy (docs/runbooks/platform-credentials.md).
    platforms: {
      hibob: { apiUrl: 'https://api.hibob.com/v1', costCentreFieldId: 'work.field_1700000000001' },
      shopify: { ...shopifyBase, shopUrl: 'https://concord.myshopify.com' },
      spendesk: { apiUrl: 'https://api.spendesk.com/v1' },
    },
  },
};

/** How long the warehouse may trail the ERP before a reconciliation counts a difference: two stream deliveries. */
export function allowedWarehouseLagMs(config: Pick<StageConfig, 'warehouse'>): number {
  return 2 * config.warehouse.deliveryIntervalSec * 1000;
}

/** The local stage's platforms moved to where its ERP sandbox listens (`concord dev --erp-port`). */
export function localPlatformSettings(erpBaseUrl: string): PlatformSettings {
  return sandboxPlatforms(erpBaseUrl);
}

function requiredText(value: unknown, key: string, stage: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new PlatformSettingsError(
      `Stage "${stage}" lacks ${key} in infra/config/stage-config.ts (docs/runbooks/platform-credentials.md)`,
    );
  return value;
}

function requiredUrl(value: unknown, key: string, stage: string, local: boolean): string {
  const text = requiredText(value, key, stage);
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new PlatformSettingsError(`Stage "${stage}": ${key} "${text}" is not a URL`, { cause: error });
  }
  // Credentials go in the Authorization header: only the local stand-ins, on loopback, are called in clear.
  if (!local && url.protocol !== 'https:')
    throw new PlatformSettingsError(`Stage "${stage}": ${key} "${text}" must be an https:// URL`);
  return text.replace(/\/+$/, '');
}

/**
 * The stage's platform settings, complete: synth of a stage that lacks one (or gives a URL that is not https outside
 * local) stops here with an error naming the key, rather than deploying functions that would fail at their first call.
 */
export function platformSettings(config: Pick<StageConfig, 'stage' | 'platforms'>): PlatformSettings {
  const { stage } = config;
  const local = stage === 'local';
  const hibob = config.platforms?.hibob ?? {};
  const shopify = config.platforms?.shopify ?? {};
  const hibobSettings: HibobSettings = {
    apiUrl: requiredUrl(hibob.apiUrl, 'platforms.hibob.apiUrl', stage, local),
    costCentreFieldId: requiredText(hibob.costCentreFieldId, 'platforms.hibob.costCentreFieldId', stage),
  };
  const shopUrl = requiredUrl(shopify.shopUrl, 'platforms.shopify.shopUrl', stage, local);
  const apiVersion = requiredText(shopify.apiVersion, 'platforms.shopify.apiVersion', stage);
  if (!/^\d{4}-(01|04|07|10)$/.test(apiVersion))
    throw new PlatformSettingsError(
      `Stage "${stage}": platforms.shopify.apiVersion "${apiVersion}" is not a Shopify API version (YYYY-01, -04, -07 or -10)`,
    );
  const currency = requiredText(shopify.currency, 'platforms.shopify.currency', stage);
  const leakPerSec = shopify.leakPerSec;
  if (typeof leakPerSec !== 'number' || !Number.isInteger(leakPerSec) || leakPerSec <= 0)
    throw new PlatformSettingsError(
      `Stage "${stage}" lacks platforms.shopify.leakPerSec (a positive integer) in infra/config/stage-config.ts`,
    );
  const spendesk = config.platforms?.spendesk ?? {};
  return {
    hibob: hibobSettings,
    shopify: { shopUrl, apiVersion, currency, leakPerSec, locationNames: shopify.locationNames ?? {} },
    spendesk: { apiUrl: requiredUrl(spendesk.apiUrl, 'platforms.spendesk.apiUrl', stage, local) },
  };
}

/** The configuration of a stage; throws naming the valid stages for anything else. */
export function stageConfig(stage: string): StageConfig {
  if (!(stageNames as readonly string[]).includes(stage)) {
    throw new Error(`Unknown stage "${stage}": use one of ${stageNames.join(', ')} (-c stage=…)`);
  }
  return stages[stage as StageName];
}
