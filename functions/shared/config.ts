/** Runtime configuration: read once from the environment, failing fast with the names of what is missing. */
import { ConfigurationError } from './errors';

/** Reads the named environment variables; throws one ConfigurationError naming every missing or empty one. */
export function readEnv<K extends string>(
  keys: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Record<K, string> {
  const missing = keys.filter((key) => !env[key]);
  if (missing.length > 0)
    throw new ConfigurationError(`Missing environment variables: ${missing.join(', ')}`);
  return Object.fromEntries(keys.map((key) => [key, env[key]])) as Record<K, string>;
}

/** Parses a JSON-valued environment variable, naming it when it is not valid JSON. */
export function parseJsonEnv(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new ConfigurationError(`Environment variable ${key} is not valid JSON`, { cause: error });
  }
}

/** Parses a positive integer environment variable. */
export function parsePositiveIntEnv(key: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new ConfigurationError(`Environment variable ${key} must be a positive integer, got "${value}"`);
  }
  return parsed;
}

/**
 * The stage's base of problem `type` URIs (PROBLEM_TYPE_BASE_URI); undefined when the function runs outside a
 * deployment. Throws naming the variable when it is not an absolute URI ending with `/`, since every type URI is
 * resolved against it.
 */
export function problemTypeBaseUri(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.PROBLEM_TYPE_BASE_URI || undefined;
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new ConfigurationError(
      `Environment variable PROBLEM_TYPE_BASE_URI is not an absolute URI: "${value}"`,
      {
        cause: error,
      },
    );
  }
  if (!url.pathname.endsWith('/'))
    throw new ConfigurationError(
      `Environment variable PROBLEM_TYPE_BASE_URI must end with "/", got "${value}"`,
    );
  return value;
}
