/**
 * DynamoDB capacity metering for the usage meter: dynalite computes consumed capacity when asked, so every item
 * request is sent with ReturnConsumedCapacity=TOTAL and the answer read back; what dynalite does not size (Query,
 * Scan, failed conditional writes) is estimated the way DynamoDB bills it.
 */

const sizedByDynalite = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchGetItem',
  'BatchWriteItem',
]);
const writes = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const scans = new Set(['Query', 'Scan']);

/** The request to forward (asking for its capacity), and whether it reads strongly consistently. */
export function meteredRequest(operation: string, body: Buffer): { body: Buffer; consistentRead: boolean } {
  if (!sizedByDynalite.has(operation) && !scans.has(operation)) return { body, consistentRead: false };
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { body, consistentRead: false }; // dynalite answers the malformed request itself
  }
  const consistentRead = input.ConsistentRead === true;
  if (!sizedByDynalite.has(operation) || (input.ReturnConsumedCapacity ?? 'NONE') !== 'NONE')
    return { body, consistentRead };
  return { body: Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' })), consistentRead };
}

function unitsIn(consumed: unknown): number {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce(
    (sum: number, entry) => sum + Number((entry as { CapacityUnits?: number }).CapacityUnits ?? 0),
    0,
  );
}

/** The WRU/RRU an answered request consumed. */
export function capacityOf(
  operation: string,
  consistentRead: boolean,
  statusCode: number,
  responseBody: Buffer,
): { wru?: number; rru?: number } {
  const write = writes.has(operation);
  if (statusCode !== 200) {
    // A write refused by its condition is billed (one unit for items up to 1 KB); other errors are not.
    return write && responseBody.includes('ConditionalCheckFailedException') ? { wru: 1 } : {};
  }
  if (scans.has(operation)) {
    // Query and Scan read the items they return (4 KB per unit, half for eventual consistency).
    const units = Math.max(1, Math.ceil(responseBody.length / 4096));
    return { rru: consistentRead ? units : units / 2 };
  }
  if (!sizedByDynalite.has(operation)) return {};
  let answer: { ConsumedCapacity?: unknown };
  try {
    answer = JSON.parse(responseBody.toString('utf8')) as { ConsumedCapacity?: unknown };
  } catch {
    return {};
  }
  const units = unitsIn(answer.ConsumedCapacity);
  return write ? { wru: units } : { rru: units };
}
