/** Lambda entry of the version gate, called as a workflow's first step. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readEnv } from '../shared/config';
import { ErpRefusedError } from '../shared/erp/erp-errors';
import { DynamoDbVersionGate, type GateOutcome } from './version-gate';

const { VERSION_TABLE_NAME } = readEnv(['VERSION_TABLE_NAME']);
const gate = new DynamoDbVersionGate(new DynamoDBClient({}), VERSION_TABLE_NAME);

/** `{ subject, entityVersion }` → `{ outcome: "apply" | "stale" }`. */
export async function handler(event: { subject?: unknown; entityVersion?: unknown }): Promise<GateOutcome> {
  if (typeof event?.subject !== 'string' || typeof event.entityVersion !== 'number') {
    throw new ErpRefusedError(
      'invalid_gate_input',
      'The version gate needs a subject and a numeric entityVersion',
    );
  }
  return gate.pass(event.subject, event.entityVersion);
}
