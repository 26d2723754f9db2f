/** Concord's own JSON Schema keywords, declared to Ajv so that strict mode accepts them. */
import type Ajv from 'ajv';

/**
 * Registers `x-pii` (marks personal data), `x-secret` (secret-class: sealed at ingest, see
 * functions/shared/sources/secret-class.ts) and `x-concord` (type metadata): annotations, never assertions.
 */
export function registerVocabulary(ajv: Pick<Ajv, 'addKeyword'>): void {
  ajv.addKeyword({ keyword: 'x-pii', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-concord', schemaType: 'object' });
}
