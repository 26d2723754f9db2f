import { requiredPermissions } from '../../local/iam/operation-actions';

const arns = {
  accountId: '000000000000',
  region: 'us-east-1',
  secretArn: (id: string) => id,
  athenaWorkGroup: (id: string) => (id === 'q-1' ? 'reports' : undefined),
};
const workGroupArn = (name: string) => `arn:aws:athena:us-east-1:000000000000:workgroup/${name}`;

describe('requiredPermissions for Athena', () => {
  it('authorizes a call on a query execution against the workgroup it ran in', () => {
    // Act
    const permissions = requiredPermissions('athena', 'GetQueryResults', { QueryExecutionId: 'q-1' }, arns);

    // Assess
    expect(permissions).toEqual([{ action: 'athena:GetQueryResults', resource: workGroupArn('reports') }]);
  });

  it('authorizes StartQueryExecution naming no workgroup against the primary workgroup', () => {
    // Act
    const permissions = requiredPermissions(
      'athena',
      'StartQueryExecution',
      { QueryString: 'SELECT 1' },
      arns,
    );

    // Assess
    expect(permissions).toEqual([
      { action: 'athena:StartQueryExecution', resource: workGroupArn('primary') },
    ]);
  });

  it('asks for every resource when the execution is unknown, so that only a wildcard grant allows it', () => {
    // Act
    const permissions = requiredPermissions(
      'athena',
      'GetQueryExecution',
      { QueryExecutionId: 'gone' },
      arns,
    );

    // Assess
    expect(permissions).toEqual([{ action: 'athena:GetQueryExecution', resource: '*' }]);
  });
});
