/** CloudFormation intrinsic functions and pseudo parameters, resolved the way CloudFormation resolves them. */

/** What a template value may refer to while it is resolved. */
export interface ResolveContext {
  stackName: string;
  accountId: string;
  region: string;
  parameters: Record<string, unknown>;
  /** Ref of a resource (its physical id). */
  ref(logicalId: string): unknown;
  /** Fn::GetAtt of a resource. */
  getAtt(logicalId: string, attribute: string): unknown;
  /** Fn::ImportValue of an export of an already deployed stack. */
  importValue(name: string): unknown;
  conditions: Record<string, boolean>;
}

/** Marks a property to drop (AWS::NoValue). */
export const noValue = Symbol('AWS::NoValue');

/** A template that cannot be resolved (unknown reference, malformed function). */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

function pseudo(name: string, context: ResolveContext): unknown {
  switch (name) {
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::Region':
      return context.region;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/local`;
    case 'AWS::NoValue':
      return noValue;
    case 'AWS::NotificationARNs':
      return [];
    default:
      return undefined;
  }
}

function substitute(template: string, variables: Record<string, unknown>, context: ResolveContext): string {
  return template.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (Object.hasOwn(variables, name)) return String(variables[name]);
    const pseudoValue = pseudo(name, context);
    if (pseudoValue !== undefined) return String(pseudoValue);
    if (Object.hasOwn(context.parameters, name)) return String(context.parameters[name]);
    const [logicalId = '', attribute] = name.split('.');
    return String(attribute ? context.getAtt(logicalId, attribute) : context.ref(logicalId));
  });
}

/** Resolves every intrinsic in a template value; AWS::NoValue properties are removed. */
export function resolveValue(value: unknown, context: ResolveContext): unknown {
  if (Array.isArray(value))
    return value.map((item) => resolveValue(item, context)).filter((item) => item !== noValue);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [[key, argument]] = entries as [[string, unknown]];
    switch (key) {
      case 'Ref': {
        const name = String(argument);
        const pseudoValue = pseudo(name, context);
        if (pseudoValue !== undefined) return pseudoValue;
        if (Object.hasOwn(context.parameters, name)) return context.parameters[name];
        return context.ref(name);
      }
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument)
          ? (argument as string[])
          : String(argument).split(/\.(.*)/);
        return context.getAtt(String(logicalId), String(resolveValue(attribute, context)));
      }
      case 'Fn::Join': {
        const [separator, items] = argument as [string, unknown];
        const list = resolveValue(items, context);
        if (!Array.isArray(list)) throw new TemplateError('Fn::Join needs a list');
        return list.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(separator);
      }
      case 'Fn::Sub': {
        if (typeof argument === 'string') return substitute(argument, {}, context);
        const [template, variables] = argument as [string, Record<string, unknown>];
        return substitute(
          template,
          resolveValue(variables ?? {}, context) as Record<string, unknown>,
          context,
        );
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        const items = resolveValue(list, context);
        if (!Array.isArray(items)) throw new TemplateError('Fn::Select needs a list');
        return items[Number(resolveValue(index, context))];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return String(resolveValue(text, context)).split(separator);
      }
      case 'Fn::ImportValue':
        return context.importValue(String(resolveValue(argument, context)));
      case 'Fn::GetAZs':
        return [`${context.region}a`, `${context.region}b`, `${context.region}c`];
      case 'Fn::Base64':
        return Buffer.from(String(resolveValue(argument, context))).toString('base64');
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
        return resolveValue(context.conditions[condition] ? whenTrue : whenFalse, context);
      }
      case 'Fn::Equals': {
        const [a, b] = argument as [unknown, unknown];
        return JSON.stringify(resolveValue(a, context)) === JSON.stringify(resolveValue(b, context));
      }
      case 'Fn::Not':
        return !resolveValue((argument as unknown[])[0], context);
      case 'Fn::And':
        return (argument as unknown[]).every((item) => resolveValue(item, context));
      case 'Fn::Or':
        return (argument as unknown[]).some((item) => resolveValue(item, context));
      case 'Condition':
        return context.conditions[String(argument)] ?? false;
      default:
        break;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolveValue(item, context);
    if (resolved !== noValue) out[key] = resolved;
  }
  return out;
}
