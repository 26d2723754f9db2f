/**
 * Deploys a CDK cloud assembly (cdk.out) onto the embedded runtime the way CloudFormation would: stacks in
 * dependency order, resources in reference order, intrinsics and cross-stack exports resolved, generated names
 * kept across redeploys, and only what changed (template or code) touched again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HttpApiRegistry } from '../apigw/http-api-registry';
import type { LocalRuntime } from '../runtime';
import type { EventSourceMappings } from '../services/lambda/event-source-mappings';
import { type ResolveContext, resolveValue, TemplateError } from './intrinsics';
import {
  type DeployedResource,
  generatePhysicalName,
  type HandlerContext,
  hashDirectory,
  placeholderResource,
  resourceHandlers,
} from './resource-handlers';

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

interface Template {
  Resources: Record<string, TemplateResource>;
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

interface StackState {
  resources: Record<string, DeployedResource>;
  exports: Record<string, unknown>;
}

/** What a deployment did, for the startup report. */
export interface DeployReport {
  stacks: { name: string; created: string[]; updated: string[]; unchanged: string[]; deleted: string[] }[];
  /** Resource types with no local meaning, and how many of each were skipped. */
  skipped: Record<string, number>;
}

/** The stack artifacts of a cloud assembly, in dependency order. */
export function stacksInOrder(assemblyDir: string): { name: string; templateFile: string }[] {
  const manifest = JSON.parse(readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<
      string,
      { type: string; dependencies?: string[]; properties?: { templateFile?: string } }
    >;
  };
  const stacks = Object.entries(manifest.artifacts).filter(
    ([, artifact]) => artifact.type === 'aws:cloudformation:stack',
  );
  const names = new Set(stacks.map(([name]) => name));
  const ordered: { name: string; templateFile: string }[] = [];
  const visit = (name: string, trail: string[]) => {
    if (ordered.some((stack) => stack.name === name)) return;
    if (trail.includes(name))
      throw new TemplateError(`Circular stack dependency: ${[...trail, name].join(' → ')}`);
    const artifact = manifest.artifacts[name];
    for (const dependency of artifact?.dependencies ?? [])
      if (names.has(dependency)) visit(dependency, [...trail, name]);
    ordered.push({ name, templateFile: String(artifact?.properties?.templateFile) });
  };
  for (const [name] of stacks) visit(name, []);
  return ordered;
}

function references(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) references(item, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'Ref' && typeof item === 'string') out.add(item);
      else if (key === 'Fn::GetAtt')
        out.add(Array.isArray(item) ? String(item[0]) : (String(item).split('.')[0] as string));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(item) ? String(item[0]) : String(item);
        for (const match of text.matchAll(/\$\{([^}!.]+)/g)) out.add(match[1] as string);
        references(item, out);
      } else references(item, out);
    }
  }
}

/** Resources ordered so that each comes after everything it references or depends on. */
export function resourceOrder(resources: Record<string, TemplateResource>): string[] {
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new TemplateError(`Circular dependency at resource ${id}`);
    state.set(id, 'visiting');
    const resource = resources[id] as TemplateResource;
    const dependencies = new Set<string>([resource.DependsOn ?? []].flat());
    references(resource.Properties, dependencies);
    for (const dependency of dependencies) if (resources[dependency]) visit(dependency);
    state.set(id, 'done');
    ordered.push(id);
  };
  for (const id of Object.keys(resources)) visit(id);
  return ordered;
}

/** The S3 key of the asset a resource is built from, if any. */
function assetKeyOf(type: string, properties: Record<string, unknown>): string | undefined {
  if (type === 'AWS::Lambda::Function')
    return String((properties.Code as { S3Key?: unknown } | undefined)?.S3Key ?? '') || undefined;
  if (type === 'AWS::StepFunctions::StateMachine')
    return (properties.DefinitionS3Location as { Key?: string } | undefined)?.Key;
  return undefined;
}

/** Maps asset S3 keys to their paths in the assembly (directories for code, files for definitions). */
function assetIndex(assemblyDir: string): Map<string, string> {
  const index = new Map<string, string>();
  for (const file of readdirSync(assemblyDir).filter((name) => name.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(path.join(assemblyDir, file), 'utf8')) as {
      files?: Record<
        string,
        { source: { path: string }; destinations: Record<string, { objectKey: string }> }
      >;
    };
    for (const asset of Object.values(manifest.files ?? {})) {
      for (const destination of Object.values(asset.destinations))
        index.set(destination.objectKey, path.join(assemblyDir, asset.source.path));
    }
  }
  return index;
}

/** Deploys assemblies onto one runtime; its state (what is deployed, under which names) lives in the runtime's store. */
export class Deployer {
  constructor(
    private readonly runtime: LocalRuntime,
    private readonly apis: HttpApiRegistry,
    private readonly eventSourceMappings: EventSourceMappings,
  ) {}

  private exports(): Record<string, unknown> {
    return this.runtime.store.getResource<Record<string, unknown>>('deploy', 'exports') ?? {};
  }

  async deploy(assemblyDir: string): Promise<DeployReport> {
    const report: DeployReport = { stacks: [], skipped: {} };
    const assets = assetIndex(assemblyDir);
    for (const stack of stacksInOrder(assemblyDir)) {
      const template = JSON.parse(
        readFileSync(path.join(assemblyDir, stack.templateFile), 'utf8'),
      ) as Template;
      report.stacks.push(await this.deployStack(stack.name, template, assemblyDir, assets, report.skipped));
    }
    return report;
  }

  /** The resources deployed for a stack (used by the dev command to find secrets, APIs, …). */
  deployedResources(stackName: string): Record<string, DeployedResource> {
    return this.runtime.store.getResource<StackState>('deploy-stack', stackName)?.resources ?? {};
  }

  private handlerContext(
    stackName: string,
    logicalId: string,
    assemblyDir: string,
    specific: Pick<HandlerContext, 'assetPath' | 'generatedName' | 'previous'>,
  ): HandlerContext {
    return {
      runtime: this.runtime,
      apis: this.apis,
      eventSourceMappings: this.eventSourceMappings,
      stackName,
      logicalId,
      accountId: this.runtime.options.accountId ?? '000000000000',
      region: this.runtime.options.region ?? 'us-east-1',
      assemblyDir,
      ...specific,
    };
  }

  private async deployStack(
    stackName: string,
    template: Template,
    assemblyDir: string,
    assets: Map<string, string>,
    skipped: Record<string, number>,
  ) {
    const previous = this.runtime.store.getResource<StackState>('deploy-stack', stackName) ?? {
      resources: {},
      exports: {},
    };
    const state: StackState = { resources: {}, exports: {} };
    const outcome = {
      name: stackName,
      created: [] as string[],
      updated: [] as string[],
      unchanged: [] as string[],
      deleted: [] as string[],
    };
    const accountId = this.runtime.options.accountId ?? '000000000000';
    const region = this.runtime.options.region ?? 'us-east-1';
    const parameters: Record<string, unknown> = {};
    for (const [name, parameter] of Object.entries(template.Parameters ?? {}))
      parameters[name] = parameter.Default ?? '';
    const context: ResolveContext = {
      stackName,
      accountId,
      region,
      parameters,
      conditions: {},
      ref: (id) => {
        const resource = state.resources[id];
        if (!resource) throw new TemplateError(`${stackName}: Ref to ${id}, which is not deployed`);
        return resource.physicalId;
      },
      getAtt: (id, attribute) => {
        const value = state.resources[id]?.attributes[attribute];
        if (value === undefined)
          throw new TemplateError(`${stackName}: Fn::GetAtt ${id}.${attribute} is not available locally`);
        return value;
      },
      importValue: (name) => {
        const value = this.exports()[name];
        if (value === undefined)
          throw new TemplateError(`${stackName}: Fn::ImportValue ${name}: no such export`);
        return value;
      },
    };
    for (const [name, condition] of Object.entries(template.Conditions ?? {}))
      context.conditions[name] = Boolean(resolveValue(condition, context));

    for (const logicalId of resourceOrder(template.Resources)) {
      const resource = template.Resources[logicalId] as TemplateResource;
      if (resource.Condition && !context.conditions[resource.Condition]) continue;
      const handler = resourceHandlers[resource.Type];
      if (!handler) {
        skipped[resource.Type] = (skipped[resource.Type] ?? 0) + 1;
        state.resources[logicalId] = placeholderResource(resource.Type, logicalId, {
          stackName,
          accountId,
          region,
        });
        continue;
      }
      const properties = resolveValue(resource.Properties ?? {}, context) as Record<string, unknown>;
      // Code (Lambda) and definitions (Step Functions, from a file) travel as assets of the assembly.
      const assetKey = assetKeyOf(resource.Type, properties);
      const assetDir = assetKey ? assets.get(assetKey) : undefined;
      if (assetKey && (!assetDir || !existsSync(assetDir))) {
        throw new TemplateError(`${stackName}/${logicalId}: the asset ${assetKey} is not in ${assemblyDir}`);
      }
      const hash = createHash('sha256')
        .update(JSON.stringify(properties))
        .update(assetDir ? hashDirectory(assetDir) : '')
        .digest('hex');
      const prior = previous.resources[logicalId];
      const retain =
        resource.DeletionPolicy === 'Retain' || resource.DeletionPolicy === 'RetainExceptOnCreate';
      if (prior && prior.type === resource.Type && prior.hash === hash) {
        state.resources[logicalId] = prior;
        outcome.unchanged.push(logicalId);
        continue;
      }
      const handlerContext = this.handlerContext(stackName, logicalId, assemblyDir, {
        assetPath: () => assetDir as string,
        generatedName: (maxLength, options) => generatePhysicalName(stackName, logicalId, maxLength, options),
        previous: prior?.type === resource.Type ? prior : undefined,
      });
      const deployed = await handler.deploy(properties, handlerContext);
      state.resources[logicalId] = { type: resource.Type, ...deployed, hash, retain };
      (prior ? outcome.updated : outcome.created).push(logicalId);
      // Saved as it goes: a deployment interrupted half-way resumes with the names already given.
      this.runtime.store.putResource('deploy-stack', stackName, {
        ...previous,
        resources: { ...previous.resources, ...state.resources },
      });
    }

    for (const [logicalId, prior] of Object.entries(previous.resources).reverse()) {
      if (state.resources[logicalId]) continue;
      const handler = resourceHandlers[prior.type];
      if (handler?.remove && !prior.retain) {
        await handler.remove(
          prior,
          this.handlerContext(stackName, logicalId, assemblyDir, {
            assetPath: () => '',
            generatedName: () => prior.physicalId,
          }),
        );
      }
      outcome.deleted.push(logicalId);
    }

    const exports = this.exports();
    for (const output of Object.values(template.Outputs ?? {})) {
      if (!output.Export) continue;
      const name = String(resolveValue(output.Export.Name, context));
      const value = resolveValue(output.Value, context);
      exports[name] = value;
      state.exports[name] = value;
    }
    this.runtime.store.putResource('deploy', 'exports', exports);
    this.runtime.store.putResource('deploy-stack', stackName, state);
    return outcome;
  }
}
