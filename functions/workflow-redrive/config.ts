/** The workflow redrive's runtime configuration, read once from the environment the stack sets. */
import { readEnv } from '../shared/config';

/** Which workflows a redrive message may start. */
export interface WorkflowRedriveConfig {
  /** The state machines the stack lets this function start (STATE_MACHINE_ARNS, comma-separated). */
  allowedStateMachineArns: ReadonlySet<string>;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadWorkflowRedriveConfig(env: NodeJS.ProcessEnv = process.env): WorkflowRedriveConfig {
  const values = readEnv(['STATE_MACHINE_ARNS'], env);
  return { allowedStateMachineArns: new Set(values.STATE_MACHINE_ARNS.split(',')) };
}
