/** The whole local platform: the runtime, the HTTP API server, event source mappings and the deployer, started together. */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { erpCredentialsSecretTag } from '../functions/shared/erp/erp-credentials';
import { platformCredentialsSecretTag } from '../functions/shared/secrets/platform-credentials';
import { webhookSourceTag } from '../functions/shared/sources/source-registry';
import { HttpApiRegistry } from './apigw/http-api-registry';
import { iamIntegrationCheck, startHttpApiServer } from './apigw/http-api-server';
import { Deployer, type DeployReport, stacksInOrder } from './deploy/deployer';
import { closeGracefully } from './edge/graceful-close';
import { type ErpSandbox, startErpSandbox } from './erp-sandbox/erp-sandbox-server';
import { LocalRuntime, type RuntimeOptions } from './runtime';
import { EventSourceMappings } from './services/lambda/event-source-mappings';

/** How to start the platform. */
export interface PlatformOptions extends RuntimeOptions {
  /** 0 picks a free port. */
  apiPort: number;
  /** The ERP sandbox's port (0 picks a free one); its books live under `<data-dir>/erp`. */
  erpPort?: number;
}

/** A running local platform. */
export class LocalPlatform {
  private apiServer: Server | undefined;
  apiUrl = '';
  erp: ErpSandbox | undefined;

  private constructor(
    readonly runtime: LocalRuntime,
    readonly apis: HttpApiRegistry,
    readonly eventSourceMappings: EventSourceMappings,
    readonly deployer: Deployer,
  ) {}

  static async start(options: PlatformOptions): Promise<LocalPlatform> {
    const runtime = await LocalRuntime.start(options);
    const platform = new LocalPlatform(runtime, undefined as never, undefined as never, undefined as never);
    const apis = new HttpApiRegistry(runtime.store, () => platform.apiUrl);
    const eventSourceMappings = new EventSourceMappings(
      runtime.store,
      runtime.sqs,
      runtime.lambda,
      options.region ?? 'us-east-1',
    );
    Object.assign(platform, {
      apis,
      eventSourceMappings,
      deployer: new Deployer(runtime, apis, eventSourceMappings),
    });
    try {
      const { server, url } = await startHttpApiServer(
        apis,
        runtime.lambda,
        options.apiPort,
        runtime.usage,
        (apiId, status, latencyMs) => runtime.apiMetrics.count(apiId, status, latencyMs),
        iamIntegrationCheck(runtime.iam),
      );
      platform.apiServer = server;
      platform.apiUrl = url;
      platform.erp = await startErpSandbox({
        dataDir: path.join(options.dataDir, 'erp'),
        port: options.erpPort ?? 0,
      });
    } catch (error) {
      await platform.stop();
      throw error;
    }
    eventSourceMappings.start();
    return platform;
  }

  /**
   * Deploys a cloud assembly; then loads the local webhook secrets (when given) into the tagged secrets, the ERP
   * sandbox's API key into the ERP credentials secret, and its platform stand-ins' credentials (HiBob service user,
   * Shopify access token) into the platform credentials secrets, which the stand-ins check as the platforms would.
   */
  async deploy(assemblyDir: string, webhookSecrets?: Record<string, string[]>): Promise<DeployReport> {
    const report = await this.deployer.deploy(assemblyDir);
    if (webhookSecrets) this.applyWebhookSecrets(assemblyDir, webhookSecrets);
    this.applyErpCredentials(assemblyDir);
    this.applyPlatformCredentials(assemblyDir);
    return report;
  }

  private applyPlatformCredentials(assemblyDir: string): void {
    const platforms = this.erp?.credentials.platforms;
    if (!platforms) return;
    for (const stack of stacksInOrder(assemblyDir)) {
      for (const resource of Object.values(this.deployer.deployedResources(stack.name))) {
        const platform = (resource.attributes.Tags as Record<string, string> | undefined)?.[
          platformCredentialsSecretTag
        ];
        if (platform === undefined) continue;
        if (!Object.hasOwn(platforms, platform))
          throw new Error(
            `The secret ${resource.physicalId} is tagged ${platformCredentialsSecretTag}=${platform}, a platform the ERP sandbox hosts no stand-in of`,
          );
        const wanted = JSON.stringify(platforms[platform as keyof typeof platforms]);
        if (this.runtime.secrets.secret(resource.physicalId).current.secretString !== wanted)
          this.runtime.secrets.putSecretValue(resource.physicalId, wanted);
      }
    }
  }

  private applyErpCredentials(assemblyDir: string): void {
    const apiKey = this.erp?.credentials.apiKeys[0];
    if (!apiKey) return;
    const wanted = JSON.stringify({ apiKey });
    for (const stack of stacksInOrder(assemblyDir)) {
      for (const resource of Object.values(this.deployer.deployedResources(stack.name))) {
        const tags = resource.attributes.Tags as Record<string, string> | undefined;
        if (tags?.[erpCredentialsSecretTag] === undefined) continue;
        if (this.runtime.secrets.secret(resource.physicalId).current.secretString !== wanted)
          this.runtime.secrets.putSecretValue(resource.physicalId, wanted);
      }
    }
  }

  private applyWebhookSecrets(assemblyDir: string, webhookSecrets: Record<string, string[]>): void {
    for (const stack of stacksInOrder(assemblyDir)) {
      for (const resource of Object.values(this.deployer.deployedResources(stack.name))) {
        const source = (resource.attributes.Tags as Record<string, string> | undefined)?.[webhookSourceTag];
        const values = source ? webhookSecrets[source] : undefined;
        if (!values) continue;
        const wanted = JSON.stringify(values);
        const current = this.runtime.secrets.secret(resource.physicalId).current.secretString;
        if (current !== wanted) this.runtime.secrets.putSecretValue(resource.physicalId, wanted);
      }
    }
  }

  /** Ctrl-C: stop taking requests, let pollers end, flush buffers, close the store. */
  async stop(): Promise<void> {
    // Requests in flight are answered before anything behind them stops.
    await closeGracefully(this.apiServer, 30_000);
    this.eventSourceMappings?.close();
    await this.erp?.close();
    await this.runtime.stop();
  }
}

/** Reads a secrets file `{ "<source>": ["<secret>", …] }`, naming the file on any problem. */
export function readWebhookSecretsFile(file: string): Record<string, string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${file} must be an object of source → [secrets]`);
  for (const [source, values] of Object.entries(parsed)) {
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      values.some((value) => typeof value !== 'string' || value === '')
    ) {
      throw new Error(
        `${file}: "${source}" must be a non-empty array of secrets (several during a rotation)`,
      );
    }
  }
  return parsed as Record<string, string[]>;
}
