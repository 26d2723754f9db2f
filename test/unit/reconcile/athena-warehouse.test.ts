import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { athenaWarehouseQuery, WarehouseQueryError } from '../../../functions/reconcile/athena-warehouse';

const athena = mockClient(AthenaClient);
const noWait = () => Promise.resolve();
const row = (...values: (string | undefined)[]) => ({
  Data: values.map((value) => (value === undefined ? {} : { VarCharValue: value })),
});
const columns = {
  ColumnInfo: [
    { Name: 'number', Type: 'varchar' },
    { Name: 'total', Type: 'decimal' },
  ],
};

beforeEach(() => athena.reset());

describe('athenaWarehouseQuery', () => {
  it('runs the query in the workgroup and database, waits for it, and reads every page without the header row', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves({
        ResultSet: { Rows: [row('number', 'total'), row('SO-1', '10.0000')], ResultSetMetadata: columns },
        NextToken: 'page-2',
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' })
      .resolves({ ResultSet: { Rows: [row('SO-2', undefined)], ResultSetMetadata: columns } });
    const sleeps: number[] = [];
    const query = athenaWarehouseQuery(new AthenaClient({}), {
      workGroup: 'concord-dev',
      database: 'concord_dev',
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    const rows = await query('SELECT number, total FROM orders');

    expect(rows).toEqual([
      { number: 'SO-1', total: '10.0000' },
      { number: 'SO-2', total: null },
    ]);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryString: 'SELECT number, total FROM orders',
      WorkGroup: 'concord-dev',
      QueryExecutionContext: { Database: 'concord_dev' },
    });
    expect(sleeps).toEqual([200, 400]);
  });

  it("fails with Athena's reason when the query fails", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: { State: 'FAILED', StateChangeReason: 'Bytes scanned limit was exceeded' },
      },
    });
    const query = athenaWarehouseQuery(new AthenaClient({}), {
      workGroup: 'w',
      database: 'd',
      sleep: noWait,
    });
    await expect(query('SELECT 1')).rejects.toThrow(
      new WarehouseQueryError('Athena query q-2 FAILED: Bytes scanned limit was exceeded'),
    );
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('gives up on a query still running after its timeout', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    const query = athenaWarehouseQuery(new AthenaClient({}), {
      workGroup: 'w',
      database: 'd',
      timeoutMs: -1,
      sleep: noWait,
    });
    await expect(query('SELECT 1')).rejects.toThrow('Athena query q-3 still RUNNING after its timeout');
  });
});
