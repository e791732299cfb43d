import { details, formatCount, type AlertDetail } from '../core/alert';
import type { ClassificationDetails, PolicyDetails, S3Bucket, S3Object } from './finding-events';

/**
 * Plain-text pieces of finding alerts (values only: renderers sanitise and lay them out per channel).
 * Everything here copes with absent fields: Macie sends null for what does not apply.
 */

export function formatBytes(size: number | null | undefined): string | undefined {
  if (size === null || size === undefined || !Number.isFinite(size)) return undefined;
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${formatCount(size)} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]} (${formatCount(size)} bytes)`;
}

type BlockPublicAccess =
  | { ignorePublicAcls?: boolean | null; restrictPublicBuckets?: boolean | null; blockPublicAcls?: boolean | null; blockPublicPolicy?: boolean | null }
  | null
  | undefined;

/** "all on", "all off" or the settings that are on. */
export function describeBlockPublicAccess(bpa: BlockPublicAccess): string | undefined {
  if (!bpa) return undefined;
  const settings = ['blockPublicAcls', 'ignorePublicAcls', 'blockPublicPolicy', 'restrictPublicBuckets'] as const;
  const on = settings.filter((s) => bpa[s] === true);
  if (on.length === settings.length) return 'all on';
  if (on.length === 0) return 'all off';
  return `partly on (${on.join(', ')})`;
}

export function bucketPublicAccess(bucket: S3Bucket | null | undefined): {
  effective?: string;
  bucketBpa?: string;
  accountBpa?: string;
  publicGrants?: string;
} {
  const access = bucket?.publicAccess;
  const perms = access?.permissionConfiguration;
  const grants: string[] = [];
  const acl = perms?.bucketLevelPermissions?.accessControlList;
  const policy = perms?.bucketLevelPermissions?.bucketPolicy;
  if (acl?.allowsPublicReadAccess) grants.push('ACL allows public read');
  if (acl?.allowsPublicWriteAccess) grants.push('ACL allows public write');
  if (policy?.allowsPublicReadAccess) grants.push('bucket policy allows public read');
  if (policy?.allowsPublicWriteAccess) grants.push('bucket policy allows public write');
  return {
    effective: access?.effectivePermission ?? undefined,
    bucketBpa: describeBlockPublicAccess(perms?.bucketLevelPermissions?.blockPublicAccess),
    accountBpa: describeBlockPublicAccess(perms?.accountLevelPermissions?.blockPublicAccess),
    publicGrants: perms ? (grants.length ? grants.join(', ') : 'none') : undefined,
  };
}

export function describeEncryption(enc: { encryptionType?: string | null; kmsMasterKeyId?: string | null } | null | undefined): string | undefined {
  if (!enc?.encryptionType) return undefined;
  if (enc.encryptionType === 'NONE') return 'none';
  return enc.kmsMasterKeyId ? `${enc.encryptionType} (${enc.kmsMasterKeyId})` : enc.encryptionType;
}

export function bucketOwner(bucket: S3Bucket | null | undefined): string | undefined {
  const owner = bucket?.owner;
  if (!owner) return undefined;
  return owner.displayName ? `${owner.displayName}${owner.id ? ` (${owner.id})` : ''}` : (owner.id ?? undefined);
}

/** Bucket rows every finding alert shows: owner, public access, encryption. */
export function bucketDetails(bucket: S3Bucket | null | undefined, bucketName: string): AlertDetail[] {
  const access = bucketPublicAccess(bucket);
  return details([
    ['Bucket', bucketName],
    ['Bucket owner', bucketOwner(bucket)],
    ['Public access (effective)', access.effective],
    ['Public grants', access.publicGrants],
    ['Block public access (bucket)', access.bucketBpa],
    ['Block public access (account)', access.accountBpa],
    ['Default encryption', describeEncryption(bucket?.defaultServerSideEncryption)],
    ['Unencrypted uploads allowed', bucket?.allowsUnencryptedObjectUploads],
  ]);
}

export function objectDetails(object: S3Object | null | undefined): AlertDetail[] {
  if (!object) return [];
  return details([
    ['Object key', object.key],
    ['Object size', formatBytes(object.size)],
    ['Object encryption', describeEncryption(object.serverSideEncryption)],
    ['Object public', object.publicAccess === true ? 'yes' : object.publicAccess === false ? 'no' : undefined],
  ]);
}

/** "PERSONAL_INFORMATION 65 (USA_SOCIAL_SECURITY_NUMBER 30, NAME 35); FINANCIAL_INFORMATION 30 (...)". */
export function describeSensitiveData(classification: ClassificationDetails | null | undefined): { categories?: string; detections?: string } {
  const result = classification?.result;
  const parts: string[] = [];
  const detections: string[] = [];
  for (const data of result?.sensitiveData ?? []) {
    const types = (data.detections ?? []).map((d) => `${d.type ?? d.name ?? 'unknown'} ${d.count ?? '?'}`);
    detections.push(...types);
    parts.push(`${data.category ?? 'UNKNOWN'} ${data.totalCount ?? '?'}`);
  }
  const custom = result?.customDataIdentifiers;
  if (custom && (custom.totalCount ?? 0) > 0) {
    parts.push(`CUSTOM_IDENTIFIER ${custom.totalCount}`);
    detections.push(...(custom.detections ?? []).map((d) => `${d.name ?? d.arn ?? 'custom'} ${d.count ?? '?'}`));
  }
  return { categories: parts.join(', ') || undefined, detections: detections.join(', ') || undefined };
}

export interface Actor {
  readonly type?: string;
  readonly arn?: string;
  readonly sessionIssuer?: string;
  readonly service?: string;
}

const IDENTITY_PART = {
  AssumedRole: 'assumedRole',
  IAMUser: 'iamUser',
  FederatedUser: 'federatedUser',
  Root: 'root',
  AWSAccount: 'awsAccount',
  AWSService: 'awsService',
} as const;

export function policyActor(policy: PolicyDetails | null | undefined): Actor | undefined {
  const identity = policy?.actor?.userIdentity;
  if (!identity) return undefined;
  const named = identity.type ? IDENTITY_PART[identity.type as keyof typeof IDENTITY_PART] : undefined;
  const part =
    (named ? identity[named] : undefined) ??
    Object.values(IDENTITY_PART)
      .map((k) => identity[k])
      .find((p) => p);
  return {
    type: identity.type ?? undefined,
    arn: part?.arn ?? part?.principalId ?? (part?.accountId ? `account ${part.accountId}` : undefined) ?? undefined,
    sessionIssuer: part?.sessionContext?.sessionIssuer?.arn ?? undefined,
    service: part?.invokedBy ?? undefined,
  };
}

export function policyDetails(policy: PolicyDetails | null | undefined): AlertDetail[] {
  const actor = policyActor(policy);
  const api = policy?.action?.apiCallDetails;
  const ip = policy?.actor?.ipAddressDetails;
  const where = [ip?.ipCity?.name, ip?.ipCountry?.name ?? ip?.ipCountry?.code].filter(Boolean).join(', ');
  const owner = [ip?.ipOwner?.isp, ip?.ipOwner?.org && ip.ipOwner.org !== ip.ipOwner.isp ? ip.ipOwner.org : undefined].filter(Boolean).join(' / ');
  return details([
    ['Actor type', actor?.type],
    ['Actor', actor?.arn],
    ['Session issuer', actor?.sessionIssuer],
    ['Invoked by', actor?.service],
    ['API call', api?.api ? `${api.api}${api.apiServiceName ? ` (${api.apiServiceName})` : ''}` : undefined],
    ['API call first seen', api?.firstSeen],
    ['API call last seen', api?.lastSeen],
    ['Source IP', ip?.ipAddressV4],
    ['IP location', where],
    ['IP owner (ISP / org)', owner],
    ['Domain', policy?.actor?.domainDetails?.domainName],
  ]);
}
