/** IAM policy documents: parsed once, normalized (every element a list), and refused when malformed, as IAM refuses them. */

import { assertKnownOperator } from './condition-operators';

/** A statement's principal, every kind normalized to a list (`"*"` becomes `{ AWS: ["*"] }`). */
export interface PolicyPrincipal {
  AWS?: string[];
  Service?: string[];
  Federated?: string[];
  CanonicalUser?: string[];
}

/** One statement with every multi-valued element as a list. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Principal?: PolicyPrincipal;
  NotPrincipal?: PolicyPrincipal;
  /** Operator → condition key → values. */
  Condition?: Record<string, Record<string, string[]>>;
}

/** A policy document as the engine evaluates it. */
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

/** A policy document IAM would refuse (MalformedPolicyDocument). */
export class PolicyDocumentError extends Error {
  override readonly name = 'PolicyDocumentError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function list(value: unknown, element: string, where: string): string[] {
  const values = Array.isArray(value) ? value : [value];
  for (const item of values)
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean')
      throw new PolicyDocumentError(`${where}: ${element} must be a string or a list of strings`);
  return values.map(String);
}

function principal(value: unknown, element: string, where: string): PolicyPrincipal {
  if (value === '*') return { AWS: ['*'] };
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new PolicyDocumentError(`${where}: ${element} must be "*" or an object`);
  const out: PolicyPrincipal = {};
  for (const [kind, names] of Object.entries(value)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(kind))
      throw new PolicyDocumentError(`${where}: ${element} has an unknown principal type ${kind}`);
    out[kind as keyof PolicyPrincipal] = list(names, `${element}.${kind}`, where);
  }
  return out;
}

function condition(value: unknown, where: string): Record<string, Record<string, string[]>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new PolicyDocumentError(`${where}: Condition must be an object`);
  const out: Record<string, Record<string, string[]>> = {};
  for (const [operator, keys] of Object.entries(value)) {
    assertKnownOperator(operator, where);
    if (keys === null || typeof keys !== 'object' || Array.isArray(keys))
      throw new PolicyDocumentError(`${where}: Condition ${operator} must map keys to values`);
    out[operator] = Object.fromEntries(
      Object.entries(keys).map(([key, values]) => [key, list(values, `Condition ${operator} ${key}`, where)]),
    );
  }
  return out;
}

function statement(raw: unknown, where: string): PolicyStatement {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new PolicyDocumentError(`${where}: a Statement must be an object`);
  const source = raw as Record<string, unknown>;
  if (source.Effect !== 'Allow' && source.Effect !== 'Deny')
    throw new PolicyDocumentError(
      `${where}: Effect must be "Allow" or "Deny", not ${JSON.stringify(source.Effect)}`,
    );
  if ((source.Action === undefined) === (source.NotAction === undefined))
    throw new PolicyDocumentError(`${where}: a statement needs exactly one of Action and NotAction`);
  if (source.Resource !== undefined && source.NotResource !== undefined)
    throw new PolicyDocumentError(`${where}: a statement cannot have both Resource and NotResource`);
  const out: PolicyStatement = { Effect: source.Effect };
  if (typeof source.Sid === 'string') out.Sid = source.Sid;
  if (source.Action !== undefined) out.Action = list(source.Action, 'Action', where);
  if (source.NotAction !== undefined) out.NotAction = list(source.NotAction, 'NotAction', where);
  if (source.Resource !== undefined) out.Resource = list(source.Resource, 'Resource', where);
  if (source.NotResource !== undefined) out.NotResource = list(source.NotResource, 'NotResource', where);
  if (source.Principal !== undefined) out.Principal = principal(source.Principal, 'Principal', where);
  if (source.NotPrincipal !== undefined)
    out.NotPrincipal = principal(source.NotPrincipal, 'NotPrincipal', where);
  if (source.Condition !== undefined) out.Condition = condition(source.Condition, where);
  return out;
}

/** Parses a policy document (an object or its JSON text); `where` names it in the error when it is malformed. */
export function parsePolicyDocument(raw: unknown, where: string): PolicyDocument {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new PolicyDocumentError(`${where}: the policy is not valid JSON`, { cause: error });
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new PolicyDocumentError(`${where}: a policy document must be an object`);
  const document = value as { Version?: unknown; Statement?: unknown };
  if (document.Statement === undefined)
    throw new PolicyDocumentError(`${where}: the policy has no Statement`);
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return {
    ...(typeof document.Version === 'string' ? { Version: document.Version } : {}),
    Statement: statements.map((item, index) => statement(item, `${where} Statement[${index}]`)),
  };
}
