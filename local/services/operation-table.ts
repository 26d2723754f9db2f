/** Operation tables: a local JSON service dispatches by one, so the operations it answers are that table's keys. */

/** What answers each operation of a service: the handler gets the service, the request input and the operation name. */
export type OperationTable<Service, Input = Record<string, unknown>, Output = unknown> = Readonly<
  Record<string, (service: Service, input: Input, operation: string) => Output>
>;

/**
 * The handler of `operation`, or undefined when the table has none. Only the table's own keys count, so a name such
 * as `constructor` or `toString` is refused like any other operation the service does not answer.
 */
export function operationHandler<Service, Input, Output>(
  table: OperationTable<Service, Input, Output>,
  operation: string,
): OperationTable<Service, Input, Output>[string] | undefined {
  return Object.hasOwn(table, operation) ? table[operation] : undefined;
}

/** The operations a table answers, sorted (what the service exports and docs/local-runtime.md lists). */
export function operationsOf(table: Readonly<Record<string, unknown>>): readonly string[] {
  return Object.freeze(Object.keys(table).sort());
}
