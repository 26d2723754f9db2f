/** The version gate's runtime configuration, read once from the environment the stack sets. */
import { readEnv } from '../shared/config';

/** Where the gate keeps each entity's latest applied version. */
export interface VersionGateConfig {
  versionTableName: string;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadVersionGateConfig(env: NodeJS.ProcessEnv = process.env): VersionGateConfig {
  const values = readEnv(['VERSION_TABLE_NAME'], env);
  return { versionTableName: values.VERSION_TABLE_NAME };
}
