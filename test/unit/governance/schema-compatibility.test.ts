import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { breakingChanges } from '../../../functions/shared/governance/schema-compatibility';

const order = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'status'],
  properties: {
    id: { type: 'string', maxLength: 50 },
    status: { enum: ['open', 'paid', 'cancelled'] },
    total: { type: ['string', 'null'] },
    lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
    note: { type: 'string' },
  },
};

function changed(mutate: (schema: typeof order & Record<string, unknown>) => void) {
  const copy = structuredClone(order) as typeof order & Record<string, unknown>;
  mutate(copy);
  return breakingChanges(order, copy);
}

describe('breaking changes within a major version', () => {
  it('finds none in additions: an optional field, a wider enum, a wider type, a looser bound', () => {
    expect(
      changed((schema) => {
        (schema.properties as Record<string, unknown>).channel = { type: 'string' };
        schema.properties.status.enum.push('refunded');
        schema.properties.id.maxLength = 100;
        (schema.properties.note as Record<string, unknown>).type = ['string', 'null'];
      }),
    ).toEqual([]);
  });

  it('flags a removed field, nested ones included', () => {
    expect(
      changed((schema) => {
        delete (schema.properties as Record<string, unknown>).note;
        delete (schema.properties.lines.items.properties as Record<string, unknown>).sku;
      }).map((change) => [change.rule, change.path]),
    ).toEqual(
      [
        ['removed-field', '/properties/lines/items/properties/sku'],
        ['removed-field', '/properties/note'],
      ].sort((a, b) => 0 * a.length * b.length),
    );
  });

  it('flags a narrowed type or bound', () => {
    expect(
      changed((schema) => {
        schema.properties.total.type = ['string'];
        schema.properties.id.maxLength = 20;
      }).map((change) => change.detail),
    ).toEqual(['maxLength 50 → 20', 'type string|null → string']);
  });

  it('flags a new required field', () => {
    expect(changed((schema) => schema.required.push('total'))).toEqual([
      { path: '/required', rule: 'new-required-field', detail: 'total' },
    ]);
  });

  it('flags a tightened enum, and closed additional properties', () => {
    expect(
      changed((schema) => {
        schema.properties.status.enum = ['open', 'paid'];
        schema.additionalProperties = false;
      }).map((change) => [change.rule, change.detail]),
    ).toEqual([
      ['closed-properties', 'additionalProperties became false'],
      ['tightened-enum', 'no longer allows "cancelled"'],
    ]);
  });
});

describe('concord schemas', () => {
  const root = path.join(__dirname, '../../..');
  const cli = (args: string[]) =>
    execFileSync(process.execPath, [path.join(root, 'cli/concord.js'), ...args], {
      cwd: root,
      encoding: 'utf8',
    });

  it('finds no breaking change in the repository against the previous revisions', () => {
    expect(JSON.parse(cli(['schemas', 'check', '--json'])).breaking).toEqual([]);
  });

  it('keeps docs/event-catalog.md generated from the schemas', () => {
    expect(readFileSync(path.join(root, 'docs/event-catalog.md'), 'utf8')).toBe(cli(['schemas', 'catalog']));
  });
});
