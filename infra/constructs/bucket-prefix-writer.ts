/** A managed policy allowing PutObject under one key prefix of a bucket, created beside the bucket and attached to writers. */
import { Stack, Validations } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Write access to `<bucket>/<keyPrefix>/*`, nothing more. */
export class BucketPrefixWriter extends Construct {
  readonly policy: ManagedPolicy;

  constructor(
    scope: Construct,
    id: string,
    readonly bucket: Bucket,
    readonly keyPrefix: string,
  ) {
    super(scope, id);
    this.policy = new ManagedPolicy(this, 'Policy', {
      description: `PutObject under ${keyPrefix}/ of one bucket`,
      statements: [
        new PolicyStatement({
          actions: ['s3:PutObject'],
          resources: [bucket.arnForObjects(`${keyPrefix}/*`)],
        }),
      ],
    });
    // Living in the bucket's stack, the finding names the bucket by its logical id, which is known here.
    const bucketLogicalId = Stack.of(bucket).resolve((bucket.node.defaultChild as CfnBucket).logicalId);
    Validations.of(this.policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${keyPrefix}/*]`,
      reason: `Objects are keyed per delivery, so the grant needs a wildcard; it is PutObject only, under ${keyPrefix}/ only`,
    });
  }
}
