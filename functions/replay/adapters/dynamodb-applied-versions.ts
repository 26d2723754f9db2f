/** The version gate's table on DynamoDB, read for a replay's dry run: the entity version the flows last let through. */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

/** Reads the version table (`subject` → `entityVersion`); the `appliedVersion` of the replay dependencies. */
export class DynamoDbAppliedVersions {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** The version the gate last let through for an entity; undefined when it has seen none. */
  async appliedVersion(subject: string): Promise<number | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { subject: { S: subject } } }),
    );
    return Item?.entityVersion?.N ? Number(Item.entityVersion.N) : undefined;
  }
}
