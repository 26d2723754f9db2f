/** A managed policy allowing PutObject under one key prefix of a bucket, created beside the bucket and attached to writers. */
import { Stack, Validations } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where a BucketPrefixWriter lets its holders write. */
export interface BucketPrefixWriterProps {
  /** The bucket written to; the policy lives in its stack. */
  readonly bucket: Bucket;
  /** The key prefix, without a trailing slash: the grant is on `<keyPrefix>/*`. */
  readonly keyPrefix: string;
}

/** Write access to `<bucket>/<keyPrefix>/*`, nothing more. */
export class BucketPrefixWriter extends Construct {
  /** The managed policy a writer's role attaches (`ServiceFunction.bindBucketWriter`). */
  readonly policy: ManagedPolicy;
  /** The bucket written to. */
  readonly bucket: Bucket;
  /** The key prefix written under. */
  readonly keyPrefix: string;

  constructor(scope: Construct, id: string, props: BucketPrefixWriterProps) {
    super(scope, id);
    const { bucket, keyPrefix } = props;
    this.bucket = bucket;
    this.keyPrefix = keyPrefix;
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
