/** State machines made through the SDK against the embedded runtime, for the Step Functions tests. */
import { CreateStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';

let created = 0;

/** Creates a state machine from a definition under a fresh name (`<prefix>-<n>`) and answers its ARN. */
export async function createStateMachine(
  sfn: SFNClient,
  definition: object,
  options: { prefix: string; type?: 'STANDARD' | 'EXPRESS' },
): Promise<string> {
  created += 1;
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: `${options.prefix}-${created}`,
      definition: JSON.stringify(definition),
      roleArn: 'arn:aws:iam::000000000000:role/sfn',
      type: options.type ?? 'STANDARD',
    }),
  );
  return stateMachineArn as string;
}
