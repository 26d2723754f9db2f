/** Secrets Manager: the operations Concord uses (create, read, update, describe, list, delete), versions kept by stage. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LocalClock } from '../../clock';
import { AwsError, validationError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';

interface SecretDefinition {
  name: string;
  arn: string;
  description?: string;
  createdAt: number;
  current: { versionId: string; secretString: string; createdAt: number };
  previous?: { versionId: string; secretString: string; createdAt: number };
}

function notFound(): AwsError {
  return new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
}

/** The Secrets Manager service of the local runtime. */
export class SecretsService implements JsonService {
  readonly targetPrefix = 'secretsmanager';

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
  ) {}

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    this.env.usage.secretsManagerCall();
    switch (operation) {
      case 'CreateSecret':
        return this.createSecret(
          String(input.Name ?? ''),
          this.secretString(input),
          input.Description as string | undefined,
        );
      case 'GetSecretValue':
        return this.getSecretValue(String(input.SecretId ?? ''), input.VersionStage as string | undefined);
      case 'PutSecretValue':
        return this.putSecretValue(String(input.SecretId ?? ''), this.secretString(input));
      case 'UpdateSecret':
        return this.putSecretValue(String(input.SecretId ?? ''), this.secretString(input));
      case 'DescribeSecret': {
        const secret = this.secret(String(input.SecretId ?? ''));
        return {
          ARN: secret.arn,
          Name: secret.name,
          Description: secret.description,
          CreatedDate: secret.createdAt / 1000,
          VersionIdsToStages: this.stages(secret),
        };
      }
      case 'ListSecrets':
        return {
          SecretList: this.store
            .listResources<SecretDefinition>('secret')
            .map(({ value }) => ({ ARN: value.arn, Name: value.name, Description: value.description })),
        };
      case 'DeleteSecret': {
        const secret = this.secret(String(input.SecretId ?? ''));
        this.store.deleteResource('secret', secret.name);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: this.clock.now() / 1000 };
      }
      default:
        throw new AwsError(
          'UnknownOperationException',
          `Secrets Manager operation ${operation} is not supported by the local runtime`,
        );
    }
  }

  private secretString(input: Record<string, unknown>): string {
    if (typeof input.SecretString === 'string') return input.SecretString;
    if (typeof input.SecretBinary === 'string')
      return Buffer.from(input.SecretBinary, 'base64').toString('utf8');
    throw validationError('You must provide either SecretString or SecretBinary.');
  }

  private stages(secret: SecretDefinition): Record<string, string[]> {
    return {
      [secret.current.versionId]: ['AWSCURRENT'],
      ...(secret.previous ? { [secret.previous.versionId]: ['AWSPREVIOUS'] } : {}),
    };
  }

  /** A secret by name, full ARN or partial ARN. */
  secret(secretId: string): SecretDefinition {
    const byName = this.store.getResource<SecretDefinition>('secret', secretId);
    if (byName) return byName;
    const match = this.store
      .listResources<SecretDefinition>('secret')
      .find(({ value }) => value.arn === secretId || value.arn.startsWith(`${secretId}-`));
    if (!match) throw notFound();
    return match.value;
  }

  /** Creates a secret (also used by the deployer and for the local webhook secrets file). */
  createSecret(name: string, secretString: string, description?: string) {
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name))
      throw validationError(
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    if (this.store.getResource('secret', name))
      throw new AwsError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    const now = this.clock.now();
    const suffix = randomBytes(4).toString('base64url').slice(0, 6);
    const secret: SecretDefinition = {
      name,
      arn: `arn:aws:secretsmanager:${this.env.region}:${this.env.accountId}:secret:${name}-${suffix}`,
      description,
      createdAt: now,
      current: { versionId: randomUUID(), secretString, createdAt: now },
    };
    this.store.putResource('secret', name, secret);
    return { ARN: secret.arn, Name: name, VersionId: secret.current.versionId };
  }

  private getSecretValue(secretId: string, stage = 'AWSCURRENT') {
    const secret = this.secret(secretId);
    const version = stage === 'AWSPREVIOUS' ? secret.previous : secret.current;
    if (!version) throw notFound();
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      VersionStages: [stage],
      CreatedDate: version.createdAt / 1000,
    };
  }

  /** Stores a new current value; the old one becomes AWSPREVIOUS. */
  putSecretValue(secretId: string, secretString: string) {
    const secret = this.secret(secretId);
    const updated: SecretDefinition = {
      ...secret,
      previous: secret.current,
      current: { versionId: randomUUID(), secretString, createdAt: this.clock.now() },
    };
    this.store.putResource('secret', secret.name, updated);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: updated.current.versionId,
      VersionStages: ['AWSCURRENT'],
    };
  }
}
