/**
 * Breaking changes between two revisions of a schema within one major version: a consumer written against the old
 * revision must still accept every event the new one allows, and a producer's old events must stay valid. Breaking:
 * a removed field, a narrowed type or bound, a new required field, a tightened enum, closed additional properties.
 * Additions (an optional field, a wider enum or type) are not.
 */

type Schema = Record<string, unknown>;

/** One breaking change, by JSON pointer into the schema. */
export interface BreakingChange {
  path: string;
  rule: 'removed-field' | 'narrowed-type' | 'new-required-field' | 'tightened-enum' | 'closed-properties';
  detail: string;
}

function asSchema(value: unknown): Schema | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Schema) : undefined;
}

function types(schema: Schema): Set<string> | undefined {
  const type = schema.type;
  if (type === undefined) return undefined;
  return new Set(Array.isArray(type) ? (type as string[]) : [String(type)]);
}

const upperBounds = ['maxLength', 'maxItems', 'maximum', 'exclusiveMaximum', 'maxProperties'];
const lowerBounds = ['minLength', 'minItems', 'minimum', 'exclusiveMinimum', 'minProperties'];

function compareNode(before: Schema, after: Schema, path: string, changes: BreakingChange[]): void {
  const oldTypes = types(before);
  const newTypes = types(after);
  if (
    newTypes &&
    (!oldTypes ||
      [...oldTypes].some((type) => !newTypes.has(type) && !(type === 'integer' && newTypes.has('number'))))
  )
    changes.push({
      path,
      rule: 'narrowed-type',
      detail: `type ${oldTypes ? [...oldTypes].join('|') : 'any'} → ${[...newTypes].join('|')}`,
    });
  for (const bound of upperBounds) {
    const [was, now] = [before[bound], after[bound]];
    if (typeof now === 'number' && (typeof was !== 'number' || now < was))
      changes.push({ path, rule: 'narrowed-type', detail: `${bound} ${was ?? 'none'} → ${now}` });
  }
  for (const bound of lowerBounds) {
    const [was, now] = [before[bound], after[bound]];
    if (typeof now === 'number' && (typeof was !== 'number' || now > was))
      changes.push({ path, rule: 'narrowed-type', detail: `${bound} ${was ?? 'none'} → ${now}` });
  }
  for (const keyword of ['pattern', 'format', 'const', '$ref'])
    if (after[keyword] !== undefined && JSON.stringify(after[keyword]) !== JSON.stringify(before[keyword]))
      changes.push({
        path,
        rule: 'narrowed-type',
        detail: `${keyword} ${JSON.stringify(before[keyword] ?? null)} → ${JSON.stringify(after[keyword])}`,
      });
  if (Array.isArray(after.enum)) {
    const allowed = new Set((after.enum as unknown[]).map((value) => JSON.stringify(value)));
    const removed = Array.isArray(before.enum)
      ? (before.enum as unknown[]).filter((value) => !allowed.has(JSON.stringify(value)))
      : ['(any value)'];
    if (removed.length > 0)
      changes.push({
        path,
        rule: 'tightened-enum',
        detail: `no longer allows ${removed.map((value) => JSON.stringify(value)).join(', ')}`,
      });
  }
  const oldRequired = new Set((before.required as string[] | undefined) ?? []);
  for (const name of (after.required as string[] | undefined) ?? [])
    if (!oldRequired.has(name))
      changes.push({ path: `${path}/required`, rule: 'new-required-field', detail: name });
  for (const keyword of ['additionalProperties', 'unevaluatedProperties'])
    if (after[keyword] === false && before[keyword] !== false)
      changes.push({ path, rule: 'closed-properties', detail: `${keyword} became false` });
  for (const container of ['properties', '$defs', 'patternProperties']) {
    const oldChildren = asSchema(before[container]) ?? {};
    const newChildren = asSchema(after[container]) ?? {};
    for (const [name, oldChild] of Object.entries(oldChildren)) {
      const newChild = asSchema(newChildren[name]);
      if (!newChild) {
        changes.push({ path: `${path}/${container}/${name}`, rule: 'removed-field', detail: name });
        continue;
      }
      const old = asSchema(oldChild);
      if (old) compareNode(old, newChild, `${path}/${container}/${name}`, changes);
    }
  }
  for (const keyword of ['items', 'additionalProperties', 'not', 'if', 'then', 'else']) {
    const [old, now] = [asSchema(before[keyword]), asSchema(after[keyword])];
    if (old && now) compareNode(old, now, `${path}/${keyword}`, changes);
  }
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const [old, now] = [before[keyword], after[keyword]];
    if (!Array.isArray(old) || !Array.isArray(now)) continue;
    old.forEach((branch, index) => {
      const [was, is] = [asSchema(branch), asSchema(now[index])];
      if (was && is) compareNode(was, is, `${path}/${keyword}/${index}`, changes);
      else if (was && keyword === 'allOf')
        changes.push({
          path: `${path}/${keyword}/${index}`,
          rule: 'removed-field',
          detail: `${keyword} branch ${index}`,
        });
    });
  }
}

/** Every breaking change from `before` to `after` (two revisions of one major version). */
export function breakingChanges(before: unknown, after: unknown): BreakingChange[] {
  const changes: BreakingChange[] = [];
  const [old, now] = [asSchema(before), asSchema(after)];
  if (old && now) compareNode(old, now, '', changes);
  return changes;
}
