import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import type { Severity } from './severity';

/**
 * The Macie Finding EventBridge event (detail-type "Macie Finding", source aws.macie), as far as the
 * pipeline reads it. Only what an alert needs is required; everything else is optional or nullish because
 * Macie sends null for absent objects (policyDetails on a sensitive-data finding, s3Object on a policy
 * finding) and may add fields in later schema versions (unknown keys are accepted and dropped).
 */
const text = z.string();
const optionalText = z.string().nullish();
const flag = z.boolean().nullish();

const BlockPublicAccessSchema = z
  .object({ ignorePublicAcls: flag, restrictPublicBuckets: flag, blockPublicAcls: flag, blockPublicPolicy: flag })
  .nullish();

const PublicAccessSchema = z
  .object({
    effectivePermission: optionalText,
    permissionConfiguration: z
      .object({
        bucketLevelPermissions: z
          .object({
            accessControlList: z.object({ allowsPublicReadAccess: flag, allowsPublicWriteAccess: flag }).nullish(),
            bucketPolicy: z.object({ allowsPublicReadAccess: flag, allowsPublicWriteAccess: flag }).nullish(),
            blockPublicAccess: BlockPublicAccessSchema,
          })
          .nullish(),
        accountLevelPermissions: z.object({ blockPublicAccess: BlockPublicAccessSchema }).nullish(),
      })
      .nullish(),
  })
  .nullish();

const EncryptionSchema = z.object({ encryptionType: optionalText, kmsMasterKeyId: optionalText }).nullish();

export const S3BucketSchema = z.object({
  arn: optionalText,
  name: text.min(1),
  owner: z.object({ displayName: optionalText, id: optionalText }).nullish(),
  defaultServerSideEncryption: EncryptionSchema,
  publicAccess: PublicAccessSchema,
  allowsUnencryptedObjectUploads: optionalText,
});

export const S3ObjectSchema = z.object({
  key: optionalText,
  path: optionalText,
  extension: optionalText,
  size: z.number().nullish(),
  serverSideEncryption: EncryptionSchema,
  publicAccess: flag,
  versionId: optionalText,
});

const DetectionSchema = z.object({ type: optionalText, name: optionalText, arn: optionalText, count: z.number().nullish() });

export const ClassificationDetailsSchema = z.object({
  jobId: optionalText,
  jobArn: optionalText,
  originType: optionalText,
  detailedResultsLocation: optionalText,
  result: z
    .object({
      mimeType: optionalText,
      sizeClassified: z.number().nullish(),
      additionalOccurrences: flag,
      status: z.object({ code: optionalText, reason: optionalText }).nullish(),
      sensitiveData: z
        .array(z.object({ category: optionalText, totalCount: z.number().nullish(), detections: z.array(DetectionSchema).nullish() }))
        .nullish(),
      customDataIdentifiers: z.object({ totalCount: z.number().nullish(), detections: z.array(DetectionSchema).nullish() }).nullish(),
    })
    .nullish(),
});

const SessionIssuerSchema = z.object({ type: optionalText, arn: optionalText, userName: optionalText, accountId: optionalText }).nullish();
const IdentityPartSchema = z
  .object({
    arn: optionalText,
    principalId: optionalText,
    accountId: optionalText,
    userName: optionalText,
    invokedBy: optionalText,
    sessionContext: z.object({ sessionIssuer: SessionIssuerSchema }).nullish(),
  })
  .nullish();

export const PolicyDetailsSchema = z.object({
  action: z
    .object({
      actionType: optionalText,
      apiCallDetails: z.object({ api: optionalText, apiServiceName: optionalText, firstSeen: optionalText, lastSeen: optionalText }).nullish(),
    })
    .nullish(),
  actor: z
    .object({
      userIdentity: z
        .object({
          type: optionalText,
          assumedRole: IdentityPartSchema,
          iamUser: IdentityPartSchema,
          federatedUser: IdentityPartSchema,
          root: IdentityPartSchema,
          awsAccount: IdentityPartSchema,
          awsService: IdentityPartSchema,
        })
        .nullish(),
      ipAddressDetails: z
        .object({
          ipAddressV4: optionalText,
          ipOwner: z.object({ asn: optionalText, asnOrg: optionalText, isp: optionalText, org: optionalText }).nullish(),
          ipCountry: z.object({ code: optionalText, name: optionalText }).nullish(),
          ipCity: z.object({ name: optionalText }).nullish(),
        })
        .nullish(),
      domainDetails: z.object({ domainName: optionalText }).nullish(),
    })
    .nullish(),
});

const SEVERITY_BY_DESCRIPTION: Record<string, Severity> = { low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };
const SEVERITY_BY_SCORE: Record<number, Severity> = { 1: 'LOW', 2: 'MEDIUM', 3: 'HIGH' };

/** Macie rates findings Low / Medium / High (score 1-3); the description wins, the score is the fallback. */
export const FindingSeveritySchema = z
  .object({ score: z.number().nullish(), description: optionalText })
  .transform((s, ctx) => {
    const severity = SEVERITY_BY_DESCRIPTION[(s.description ?? '').trim().toLowerCase()] ?? SEVERITY_BY_SCORE[s.score ?? -1];
    if (!severity) {
      ctx.addIssue({ code: 'custom', message: `unrecognised severity ${JSON.stringify(s)} (expected Low, Medium or High)` });
      return z.NEVER;
    }
    return severity;
  });

export const FindingDetailSchema = z.object({
  schemaVersion: optionalText,
  id: text.min(1),
  accountId: text.min(1),
  partition: optionalText,
  region: text.min(1),
  type: text.min(1),
  title: optionalText,
  description: optionalText,
  severity: FindingSeveritySchema,
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
  count: z.number().int().positive(),
  category: optionalText,
  resourcesAffected: z.object({ s3Bucket: S3BucketSchema.nullish(), s3Object: S3ObjectSchema.nullish() }).nullish(),
  classificationDetails: ClassificationDetailsSchema.nullish(),
  policyDetails: PolicyDetailsSchema.nullish(),
  sample: z.boolean().nullish(),
  archived: z.boolean().nullish(),
});

/** The EventBridge envelope (Powertools' schema) with the finding as its detail. */
export const FindingEventSchema = EventBridgeSchema.extend({ detail: FindingDetailSchema });

export type FindingDetail = z.infer<typeof FindingDetailSchema>;
export type FindingEvent = z.infer<typeof FindingEventSchema>;
export type S3Bucket = z.infer<typeof S3BucketSchema>;
export type S3Object = z.infer<typeof S3ObjectSchema>;
export type PolicyDetails = z.infer<typeof PolicyDetailsSchema>;
export type ClassificationDetails = z.infer<typeof ClassificationDetailsSchema>;
