/** The webhook source registry: which senders may post, how each is verified and mapped, how long deliveries are remembered. */
import sourcesJson from '../../../schemas/governance/sources.json';
import { RegistryInconsistentError } from '../errors';
import { validateSourceRegistry } from '../generated/validators';
import {
  describeSchemaErrors,
  loadSystemOfRecord,
  type SystemOfRecord,
} from '../governance/system-of-record';
import { compileDeclaredMapping, type DeclaredMapping } from './mappers/declared';
import { mapHubspot } from './mappers/hubspot';
import type { WebhookMapper } from './mappers/mapped-delivery';
import { mapShopify } from './mappers/shopify';
import { mapStripe } from './mappers/stripe';
import {
  type SenderResolver,
  type SignatureScheme,
  type SignatureVerifier,
  senderResolvers,
  signatureVerifiers,
} from './signatures';
import {
  compileDeclaredHmac,
  type DeclaredHmacSignature,
  declaredHmacProblems,
} from './signatures/declared-hmac';

/** What a failure of an interface puts at risk, in the registry's words. */
export type Criticality = 'revenue-critical' | 'compliance-sensitive' | 'operational' | 'analytical';

/** One source as written in schemas/governance/sources.json. */
export interface SourceDefinition {
  description: string;
  /** The team accountable for the interface. */
  owner: string;
  criticality: Criticality;
  scheme: SignatureScheme;
  /** The declaration of an `hmac` scheme. */
  signature?: DeclaredHmacSignature;
  mapping: 'shopify' | 'stripe' | 'hubspot' | 'declared';
  system: string;
  retryWindowSec: number;
  dedupeWindowSec: number;
  sourceUri?: string;
  declared?: DeclaredMapping;
}

/** A source ready to serve requests: verifier and mapper resolved. */
export interface WebhookSource {
  name: string;
  system: string;
  owner: string;
  criticality: Criticality;
  scheme: SignatureScheme;
  /** Lower-case headers carrying the source's signature: never archived in clear. */
  signatureHeaders: readonly string[];
  dedupeWindowSec: number;
  verify: SignatureVerifier;
  /** The sender whose secrets verify a request, for a scheme that binds secrets to senders (Shopify: the shop). */
  senderOf?: SenderResolver;
  map: WebhookMapper;
}

const builtInMappers = { shopify: mapShopify, stripe: mapStripe, hubspot: mapHubspot } as const;
// A built-in mapper reads its vendor's payloads, which only arrive signed with that vendor's scheme.
const builtInSchemes: Record<keyof typeof builtInMappers, SignatureScheme> = {
  shopify: 'shopify',
  stripe: 'stripe',
  hubspot: 'hubspot-v3',
};

function checkSource(name: string, source: SourceDefinition, systemOfRecord: SystemOfRecord): string[] {
  const problems: string[] = [];
  if (source.dedupeWindowSec <= source.retryWindowSec) {
    problems.push(
      `${name}: dedupeWindowSec ${source.dedupeWindowSec} must exceed the provider's retry window ${source.retryWindowSec}`,
    );
  }
  if (!systemOfRecord.hasSystem(source.system))
    problems.push(`${name}: system ${source.system} is not in the system-of-record registry`);
  else if (systemOfRecord.systemOfPlatform(name) !== source.system) {
    problems.push(
      `${name}: the system-of-record registry does not list it as a platform of ${source.system}`,
    );
  }
  if (source.scheme === 'hmac' && source.signature)
    problems.push(...declaredHmacProblems(name, source.signature));
  if (source.mapping === 'declared') {
    if (!source.declared || !source.sourceUri)
      problems.push(`${name}: a declared mapping needs "declared" and "sourceUri"`);
  } else {
    if (builtInSchemes[source.mapping] !== source.scheme)
      problems.push(
        `${name}: the ${source.mapping} mapper needs the ${builtInSchemes[source.mapping]} scheme`,
      );
    if (source.declared) problems.push(`${name}: "declared" is only for mapping "declared"`);
  }
  return problems;
}

function resolveVerifier(source: SourceDefinition): SignatureVerifier {
  if (source.scheme === 'hmac') return compileDeclaredHmac(source.signature as DeclaredHmacSignature);
  return signatureVerifiers[source.scheme];
}

function resolveMapper(name: string, source: SourceDefinition): WebhookMapper {
  if (source.mapping !== 'declared') return builtInMappers[source.mapping];
  return compileDeclaredMapping(name, source.sourceUri as string, source.declared as DeclaredMapping);
}

/** Loads and checks the registry (schema, windows, ownership, mappings); throws RegistryInconsistentError listing every problem. */
export function loadSourceRegistry(
  raw: unknown = sourcesJson,
  systemOfRecord: SystemOfRecord = loadSystemOfRecord(),
): ReadonlyMap<string, WebhookSource> {
  if (!validateSourceRegistry(raw))
    throw new RegistryInconsistentError('sources.json', describeSchemaErrors(validateSourceRegistry.errors));
  const definitions = (raw as { sources: Record<string, SourceDefinition> }).sources;
  const problems = Object.entries(definitions).flatMap(([name, source]) =>
    checkSource(name, source, systemOfRecord),
  );
  if (problems.length > 0) throw new RegistryInconsistentError('sources.json', problems);
  return new Map(
    Object.entries(definitions).map(([name, source]) => [
      name,
      {
        name,
        system: source.system,
        owner: source.owner,
        criticality: source.criticality,
        scheme: source.scheme,
        signatureHeaders: source.signature ? [source.signature.header.toLowerCase()] : [],
        dedupeWindowSec: source.dedupeWindowSec,
        verify: resolveVerifier(source),
        senderOf: senderResolvers[source.scheme],
        map: resolveMapper(name, source),
      },
    ]),
  );
}

/** The registry's definitions as written (for the CLI and the catalog: owner, criticality, declared types). */
export function sourceDefinitions(raw: unknown = sourcesJson): Readonly<Record<string, SourceDefinition>> {
  return (raw as { sources: Record<string, SourceDefinition> }).sources;
}

/** The source names in the registry, for infrastructure (one secret per source). */
export function registeredSourceNames(raw: unknown = sourcesJson): string[] {
  return Object.keys((raw as { sources: Record<string, unknown> }).sources).sort();
}

/** Tag on a webhook source's Secrets Manager secret naming the source (the local platform loads secrets by it). */
export const webhookSourceTag = 'concord:webhook-source';
