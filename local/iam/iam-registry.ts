/** The account's IAM as deployed: roles, their identity policies, resource policies, and the role sessions functions sign with. */
import { createHash } from 'node:crypto';
import type { DurableStore } from '../store/durable-store';
import { type PolicyDocument, type PolicyStatement, parsePolicyDocument } from './policy-document';
import { evaluateAuthorization } from './policy-evaluation';

/** A role as deployed: its inline policies and the managed policies attached by ARN. */
export interface RoleRecord {
  arn: string;
  inline: PolicyDocument[];
  managedPolicyArns: string[];
  /** The trust policy (AssumeRolePolicyDocument): which services may assume the role. */
  trust?: PolicyDocument;
}

/** An identity policy deployed on its own (AWS::IAM::Policy or AWS::IAM::ManagedPolicy) and the roles it is attached to. */
export interface AttachedPolicyRecord {
  /** The managed policy's ARN; absent for an AWS::IAM::Policy (inline, attached through its Roles list). */
  arn?: string;
  roleArns: string[];
  document: PolicyDocument;
}

/** The role session a set of credentials stands for. */
export interface RoleSession {
  roleArn: string;
  sessionName: string;
}

const roleType = 'iam-role';
const attachedType = 'iam-attached-policy';
const resourcePolicyType = 'iam-resource-policy';
const sessionType = 'iam-session';
const deployedRuleType = 'iam-deployed-rule';

/** The role ARN of a role name in an account (CloudFormation's Ref of a role is its name). */
export function roleArnOf(accountId: string, roleNameOrArn: string): string {
  return roleNameOrArn.startsWith('arn:') ? roleNameOrArn : `arn:aws:iam::${accountId}:role/${roleNameOrArn}`;
}

/** The `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` ARN AWS names a role session by. */
export function sessionArnOf(session: RoleSession): string {
  const [, , , , accountId = ''] = session.roleArn.split(':');
  return `arn:aws:sts::${accountId}:assumed-role/${session.roleArn.split('/').at(-1)}/${session.sessionName}`;
}

/**
 * The access key id of a role session. Stable (a function's restarted workers sign the same way) and shaped like
 * AWS's temporary keys (ASIA…, 20 characters), so that SDKs accept it.
 */
export function sessionAccessKeyId(session: RoleSession): string {
  const digest = createHash('sha256').update(`${session.roleArn}\n${session.sessionName}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `ASIA${[...digest.subarray(0, 16)].map((byte) => alphabet[byte % 32]).join('')}`;
}

/** IAM's state in the runtime's store, with an in-memory view rebuilt after every change. */
export class IamRegistry {
  private cache: Map<string, PolicyDocument[]> | undefined;

  constructor(private readonly store: DurableStore) {}

  /** Creates or replaces a role. */
  putRole(role: RoleRecord): void {
    this.store.putResource(roleType, role.arn, role);
    this.cache = undefined;
  }

  /** Removes a role (its sessions stop being recognized as it). */
  removeRole(roleArn: string): void {
    this.store.deleteResource(roleType, roleArn);
    this.cache = undefined;
  }

  /** Creates or replaces a standalone identity policy under the id of the resource that declares it. */
  putAttachedPolicy(id: string, policy: AttachedPolicyRecord): void {
    this.store.putResource(attachedType, id, policy);
    this.cache = undefined;
  }

  /** Removes a standalone identity policy. */
  removeAttachedPolicy(id: string): void {
    this.store.deleteResource(attachedType, id);
    this.cache = undefined;
  }

  /**
   * Whether a service principal (lambda.amazonaws.com, states.amazonaws.com or its regional form) may assume the
   * role by its trust policy, on behalf of `sourceArn`; undefined when the role is not deployed or declares no trust policy.
   */
  trusts(roleArn: string, servicePrincipals: string[], sourceArn: string): boolean | undefined {
    const trust = this.store.getResource<RoleRecord>(roleType, roleArn)?.trust;
    if (!trust) return undefined;
    const [, , , , accountId = ''] = roleArn.split(':');
    return servicePrincipals.some(
      (service) =>
        evaluateAuthorization(
          {
            principal: { kind: 'service', service, accountId },
            action: 'sts:AssumeRole',
            resource: roleArn,
            // The service assumes the role for a resource (the state machine): trust conditions name it.
            context: { 'aws:SourceAccount': accountId, 'aws:SourceArn': sourceArn },
          },
          [],
          trust,
        ).effect === 'Allow',
    );
  }

  /** Whether a role is deployed. */
  hasRole(roleArn: string): boolean {
    return this.store.getResource(roleType, roleArn) !== undefined;
  }

  /** Every identity policy of a role: inline, standalone ones naming it, and managed ones attached to it. */
  identityPolicies(roleArn: string): PolicyDocument[] {
    if (!this.cache) this.cache = new Map();
    const cached = this.cache.get(roleArn);
    if (cached) return cached;
    const role = this.store.getResource<RoleRecord>(roleType, roleArn);
    const attached = this.store.listResources<AttachedPolicyRecord>(attachedType).map(({ value }) => value);
    const managed = new Set(role?.managedPolicyArns ?? []);
    const policies = [
      ...(role?.inline ?? []),
      ...attached
        .filter((policy) => policy.roleArns.includes(roleArn) || (policy.arn && managed.has(policy.arn)))
        .map((policy) => policy.document),
    ];
    this.cache.set(roleArn, policies);
    return policies;
  }

  /** Managed policy ARNs a role names that are not deployed here (AWS managed policies): they grant nothing locally. */
  unknownManagedPolicies(roleArn: string): string[] {
    const role = this.store.getResource<RoleRecord>(roleType, roleArn);
    const known = new Set(
      this.store
        .listResources<AttachedPolicyRecord>(attachedType)
        .map(({ value }) => value.arn)
        .filter(Boolean),
    );
    return (role?.managedPolicyArns ?? []).filter((arn) => !known.has(arn));
  }

  /**
   * Sets the statements one declaration (a queue policy, a Lambda permission) adds to a resource's policy. A
   * resource's policy is the union of its declarations' statements; `undefined` removes the declaration's part.
   */
  putResourceStatements(
    resourceArn: string,
    declarationId: string,
    statements: PolicyStatement[] | undefined,
  ): void {
    const current =
      this.store.getResource<Record<string, PolicyStatement[]>>(resourcePolicyType, resourceArn) ?? {};
    if (statements) current[declarationId] = statements;
    else delete current[declarationId];
    if (Object.keys(current).length === 0) this.store.deleteResource(resourcePolicyType, resourceArn);
    else this.store.putResource(resourcePolicyType, resourceArn, current);
  }

  /** The policy attached to a resource, if it has one. */
  resourcePolicy(resourceArn: string): PolicyDocument | undefined {
    const parts = this.store.getResource<Record<string, PolicyStatement[]>>(resourcePolicyType, resourceArn);
    return parts ? { Statement: Object.values(parts).flat() } : undefined;
  }

  /**
   * Marks a rule as deployed from a template (or unmarks it): its deliveries are authorized as AWS authorizes
   * them. Rules an operator creates through the API act as the account's admin, as operators do locally.
   */
  markDeployedRule(ruleArn: string, deployed: boolean): void {
    if (deployed) this.store.putResource(deployedRuleType, ruleArn, { ruleArn });
    else this.store.deleteResource(deployedRuleType, ruleArn);
  }

  /** Whether a rule was deployed from a template. */
  isDeployedRule(ruleArn: string): boolean {
    return this.store.getResource(deployedRuleType, ruleArn) !== undefined;
  }

  /** Issues (or re-issues) the credentials of a role session; their access key id identifies the session at the edge. */
  openSession(session: RoleSession): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
    const accessKeyId = sessionAccessKeyId(session);
    this.store.putResource(sessionType, accessKeyId, session);
    return {
      accessKeyId,
      secretAccessKey: 'local-role-session',
      sessionToken: `local-session-${accessKeyId}`,
    };
  }

  /** The role session an access key id stands for, if it is one the runtime issued. */
  session(accessKeyId: string): RoleSession | undefined {
    return this.store.getResource<RoleSession>(sessionType, accessKeyId);
  }
}

/** Parses the documents a template resource declares, naming the resource when one is malformed. */
export function parsePolicies(documents: unknown[], where: string): PolicyDocument[] {
  return documents.map((document, index) => parsePolicyDocument(document, `${where} policy ${index}`));
}
