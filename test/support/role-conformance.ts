import type { RecordedCall } from './aws-call-recorder';
import type { Permission } from './iam-actions';

/**
 * Each function's role in a synthesized template, read as (action, resource) grants with the resources
 * named as the recorder names them (iam-actions.ts): `table`, `table/index/<name>`, `topic` (the function's
 * ALERT_TOPIC_ARN), `key` (that topic's KMS key), `event-queue` (the queue its event source mapping reads),
 * `failure-queue` (its on-failure destination), `log-group` (its own log group); anything else by its
 * logical id. Then the conformance of recorded calls with those grants, both ways.
 */
export type TemplateJson = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };

export interface FunctionRole {
  /** The function, as its POWERTOOLS_SERVICE_NAME names it (macie-alerts-job-log -> job-log). */
  readonly actor: string;
  readonly grants: readonly Permission[];
  /** What grants something this reader cannot tell precisely (a Deny, a condition, a managed policy...). */
  readonly unreadable: readonly string[];
}

/** A grant kept although no recorded path uses it, and why. */
export interface KeptGrant {
  readonly actors: readonly string[];
  readonly actions: readonly string[];
  readonly resource: string;
  readonly reason: string;
}

export interface Conformance {
  /** Recorded calls the function's role does not allow: each fails on AWS with AccessDenied. */
  readonly denied: readonly string[];
  /** Grants no recorded call uses and no kept grant explains: more than the function needs. */
  readonly unused: readonly string[];
  /** Kept grants that match no grant any more. */
  readonly staleKept: readonly string[];
}

const SERVICE_PREFIX = 'macie-alerts-';

export function functionRoles(template: TemplateJson): FunctionRole[] {
  const resources = template.Resources;
  const typeOf = (id: string) => resources[id]?.Type;
  return Object.entries(resources)
    .filter(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME ?? '').startsWith(SERVICE_PREFIX),
    )
    .map(([fnId, fn]) => {
      const props = fn.Properties!;
      const actor = String(props.Environment.Variables.POWERTOOLS_SERVICE_NAME).slice(SERVICE_PREFIX.length);
      const roleId = getAttId(props.Role);
      const topicId = refId(props.Environment.Variables.ALERT_TOPIC_ARN);
      const keyId = topicId ? getAttId(resources[topicId]?.Properties?.KmsMasterKeyId) : undefined;
      const eventQueues = Object.values(resources)
        .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && refId(r.Properties?.FunctionName) === fnId)
        .map((r) => getAttId(r.Properties?.EventSourceArn));
      const failureQueues = Object.values(resources)
        .filter((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && refId(r.Properties?.FunctionName) === fnId)
        .map((r) => getAttId(r.Properties?.DestinationConfig?.OnFailure?.Destination));
      const logGroupId = refId(props.LoggingConfig?.LogGroup);
      const nameOf = (value: unknown): string => {
        const indexed = indexOf(value);
        if (indexed && typeOf(indexed.table) === 'AWS::DynamoDB::GlobalTable') return `table/index/${indexed.index}`;
        const id = getAttId(value) ?? refId(value);
        if (value === '*') return '*';
        if (!id) return JSON.stringify(value);
        if (typeOf(id) === 'AWS::DynamoDB::GlobalTable' || typeOf(id) === 'AWS::DynamoDB::Table') return 'table';
        if (id === topicId) return 'topic';
        if (id === keyId) return 'key';
        if (eventQueues.includes(id)) return 'event-queue';
        if (failureQueues.includes(id)) return 'failure-queue';
        if (id === logGroupId) return 'log-group';
        return `${typeOf(id) ?? 'unknown'}:${id}`;
      };
      const grants: Permission[] = [];
      const unreadable: string[] = [];
      const role = roleId ? resources[roleId] : undefined;
      if (!role) unreadable.push(`role ${JSON.stringify(props.Role)} not in the template`);
      if (role?.Properties?.ManagedPolicyArns?.length) unreadable.push(`managed policies ${JSON.stringify(role.Properties.ManagedPolicyArns)}`);
      if (role?.Properties?.Policies?.length) unreadable.push('inline policies on the role');
      const policies = Object.values(resources).filter(
        (r) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && (r.Properties?.Roles ?? []).some((x: unknown) => refId(x) === roleId),
      );
      for (const policy of policies) {
        for (const statement of policy.Properties!.PolicyDocument.Statement as Record<string, unknown>[]) {
          if (statement.Effect !== 'Allow' || statement.Condition || statement.NotAction || statement.NotResource) {
            unreadable.push(`statement ${JSON.stringify(statement)}`);
            continue;
          }
          for (const action of [statement.Action].flat() as string[]) {
            for (const resource of [statement.Resource].flat()) grants.push({ action, resource: nameOf(resource) });
          }
        }
      }
      return { actor, grants, unreadable };
    });
}

/**
 * What each actor's recorded calls need, with what they need implicitly: publishing to a topic encrypted with
 * a KMS key needs kms:GenerateDataKey and kms:Decrypt on the key, with the publisher's own permissions (SNS
 * developer guide, "Configuring AWS KMS permissions").
 */
export function requiredPermissions(recorded: readonly RecordedCall[], encryptedTopic: boolean): Map<string, Permission[]> {
  const required = new Map<string, Map<string, Permission>>();
  const add = (actor: string, p: Permission) => {
    const byKey = required.get(actor) ?? new Map<string, Permission>();
    byKey.set(`${p.action} ${p.resource}`, p);
    required.set(actor, byKey);
  };
  for (const call of recorded) {
    add(call.actor, { action: call.action, resource: call.resource });
    if (encryptedTopic && call.action === 'sns:Publish') {
      add(call.actor, { action: 'kms:GenerateDataKey', resource: 'key' });
      add(call.actor, { action: 'kms:Decrypt', resource: 'key' });
    }
  }
  return new Map([...required].map(([actor, byKey]) => [actor, [...byKey.values()]]));
}

/** IAM matching: actions case-insensitively with `*` and `?` wildcards, resources the same (on the names above). */
export function allows(grant: Permission, needed: Permission): boolean {
  return wildcard(grant.action, needed.action, true) && wildcard(grant.resource, needed.resource, false);
}

/**
 * Both ways: every required permission is granted, and every grant is required by some recorded call or kept
 * on purpose (`kept`). `checkUnused` is false when the recordings cannot be complete (a partial jest run).
 */
export function conformance(
  roles: readonly FunctionRole[],
  required: ReadonlyMap<string, readonly Permission[]>,
  kept: readonly KeptGrant[],
  checkUnused = true,
): Conformance {
  const denied: string[] = [];
  const unused: string[] = [];
  const usedKept = new Set<KeptGrant>();
  for (const role of roles) {
    denied.push(...role.unreadable.map((u) => `${role.actor}: cannot check ${u}`));
    const needs = required.get(role.actor) ?? [];
    for (const need of needs) {
      if (!role.grants.some((g) => allows(g, need))) denied.push(`${role.actor}: ${need.action} on ${need.resource}`);
    }
    for (const grant of role.grants) {
      const keptFor = kept.find(
        (k) => k.actors.includes(role.actor) && k.resource === grant.resource && k.actions.some((a) => a.toLowerCase() === grant.action.toLowerCase()),
      );
      if (keptFor) usedKept.add(keptFor);
      if (keptFor || !checkUnused) continue;
      if (!needs.some((need) => allows(grant, need))) unused.push(`${role.actor}: ${grant.action} on ${grant.resource}`);
    }
  }
  const staleKept = kept.filter((k) => !usedKept.has(k)).map((k) => `${k.actors.join(', ')}: ${k.actions.join(', ')} on ${k.resource} (${k.reason})`);
  return { denied, unused, staleKept };
}

function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
}

function refId(value: unknown): string | undefined {
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
}

function getAttId(value: unknown): string | undefined {
  const att = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(att) && att[1] === 'Arn' && typeof att[0] === 'string' ? att[0] : undefined;
}

/** `{"Fn::Join": ["", [{"Fn::GetAtt": [table, "Arn"]}, "/index/<name>"]]}`. */
function indexOf(value: unknown): { table: string; index: string } | undefined {
  const join = (value as { 'Fn::Join'?: unknown } | undefined)?.['Fn::Join'];
  if (!Array.isArray(join) || join[0] !== '' || !Array.isArray(join[1]) || join[1].length !== 2) return undefined;
  const table = getAttId(join[1][0]);
  const suffix = /^\/index\/(.+)$/.exec(String(join[1][1]));
  return table && suffix ? { table, index: suffix[1] } : undefined;
}
