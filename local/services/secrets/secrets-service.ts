/** Secrets Manager: the operations Concord uses (create, read, update, describe, list, delete), versions kept by stage. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LocalClock } from '../../clock';
import { AwsError, validationError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';
import { type OperationTable, operationHandler, operationsOf } from '../operation-table';

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

  /** What answers each Secrets Manager operation; any operation not a key is refused. */
  static readonly operations: OperationTable<SecretsService> = {
    CreateSecret: (service, input) =>
      service.createSecret(
        String(input.Name ?? ''),
        service.secretString(input),
        input.Description as string | undefined,
      ),
    GetSecretValue: (service, input) =>
      service.getSecretValue(String(input.SecretId ?? ''), input.VersionStage as string | undefined),
    PutSecretValue: (service, input) =>
      service.putSecretValue(String(input.SecretId ?? ''), service.secretString(input)),
    UpdateSecret: (service, input) =>
      service.putSecretValue(String(input.SecretId ?? ''), service.secretString(input)),
    DescribeSecret: (service, input) => {
      const secret = service.secret(String(input.SecretId ?? ''));
      return {
        ARN: secret.arn,
        Name: secret.name,
        Description: secret.description,
        CreatedDate: secret.createdAt / 1000,
        VersionIdsToStages: service.stages(secret),
      };
    },
    ListSecrets: (service) => ({
      SecretList: service.store
        .listResources<SecretDefinition>('secret')
        .map(({ value }) => ({ ARN: value.arn, Name: value.name, Description: value.description })),
    }),
    DeleteSecret: (service, input) => {
      const secret = service.secret(String(input.SecretId ?? ''));
      service.store.deleteResource('secret', secret.name);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: service.clock.now() / 1000 };
    },
  };

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    this.env.usage.secretsManagerCall();
    const answer = operationHandler(SecretsService.operations, operation);
    if (answer) return answer(this, input, operation);
    throw new AwsError(
      'UnknownOperationException',
      `Secrets Manager operation ${operation} is not supported by the local runtime`,
    );
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

/** The Secrets Manager operations the local runtime answers: the keys of the table it dispatches by. */
export const secretsOperations = operationsOf(SecretsService.operations);
