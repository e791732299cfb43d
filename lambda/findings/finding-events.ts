import * as z from 'zod/mini';
import { EventBridgeEnvelopeShape } from '../eventbridge/envelope';
import type { Severity } from '../core/severity';

/**
 * The Macie Finding EventBridge event as far as the pipeline reads it: only what an alert needs is required, the
 * rest nullish (Macie sends null for absent objects) and unknown keys dropped. zod/mini, as every event schema here.
 */
const text = z.string();
const optionalText = z.nullish(z.string());
const optionalNumber = z.nullish(z.number());
const flag = z.nullish(z.boolean());

const BlockPublicAccessSchema = z.nullish(z.object({ ignorePublicAcls: flag, restrictPublicBuckets: flag, blockPublicAcls: flag, blockPublicPolicy: flag }));

const PublicAccessSchema = z.nullish(
  z.object({
    effectivePermission: optionalText,
    permissionConfiguration: z.nullish(
      z.object({
        bucketLevelPermissions: z.nullish(
          z.object({
            accessControlList: z.nullish(z.object({ allowsPublicReadAccess: flag, allowsPublicWriteAccess: flag })),
            bucketPolicy: z.nullish(z.object({ allowsPublicReadAccess: flag, allowsPublicWriteAccess: flag })),
            blockPublicAccess: BlockPublicAccessSchema,
          }),
        ),
        accountLevelPermissions: z.nullish(z.object({ blockPublicAccess: BlockPublicAccessSchema })),
      }),
    ),
  }),
);

const EncryptionSchema = z.nullish(z.object({ encryptionType: optionalText, kmsMasterKeyId: optionalText }));

export const S3BucketSchema = z.object({
  arn: optionalText,
  name: text.check(z.minLength(1)),
  owner: z.nullish(z.object({ displayName: optionalText, id: optionalText })),
  defaultServerSideEncryption: EncryptionSchema,
  publicAccess: PublicAccessSchema,
  allowsUnencryptedObjectUploads: optionalText,
});

export const S3ObjectSchema = z.object({
  key: optionalText,
  path: optionalText,
  extension: optionalText,
  size: optionalNumber,
  serverSideEncryption: EncryptionSchema,
  publicAccess: flag,
  versionId: optionalText,
});

const DetectionSchema = z.object({ type: optionalText, name: optionalText, arn: optionalText, count: optionalNumber });

export const ClassificationDetailsSchema = z.object({
  jobId: optionalText,
  jobArn: optionalText,
  originType: optionalText,
  detailedResultsLocation: optionalText,
  result: z.nullish(
    z.object({
      mimeType: optionalText,
      sizeClassified: optionalNumber,
      additionalOccurrences: flag,
      status: z.nullish(z.object({ code: optionalText, reason: optionalText })),
      sensitiveData: z.nullish(z.array(z.object({ category: optionalText, totalCount: optionalNumber, detections: z.nullish(z.array(DetectionSchema)) }))),
      customDataIdentifiers: z.nullish(z.object({ totalCount: optionalNumber, detections: z.nullish(z.array(DetectionSchema)) })),
    }),
  ),
});

const SessionIssuerSchema = z.nullish(z.object({ type: optionalText, arn: optionalText, userName: optionalText, accountId: optionalText }));
const IdentityPartSchema = z.nullish(
  z.object({
    arn: optionalText,
    principalId: optionalText,
    accountId: optionalText,
    userName: optionalText,
    invokedBy: optionalText,
    sessionContext: z.nullish(z.object({ sessionIssuer: SessionIssuerSchema })),
  }),
);

export const PolicyDetailsSchema = z.object({
  action: z.nullish(
    z.object({
      actionType: optionalText,
      apiCallDetails: z.nullish(z.object({ api: optionalText, apiServiceName: optionalText, firstSeen: optionalText, lastSeen: optionalText })),
    }),
  ),
  actor: z.nullish(
    z.object({
      userIdentity: z.nullish(
        z.object({
          type: optionalText,
          assumedRole: IdentityPartSchema,
          iamUser: IdentityPartSchema,
          federatedUser: IdentityPartSchema,
          root: IdentityPartSchema,
          awsAccount: IdentityPartSchema,
          awsService: IdentityPartSchema,
        }),
      ),
      ipAddressDetails: z.nullish(
        z.object({
          ipAddressV4: optionalText,
          ipOwner: z.nullish(z.object({ asn: optionalText, asnOrg: optionalText, isp: optionalText, org: optionalText })),
          ipCountry: z.nullish(z.object({ code: optionalText, name: optionalText })),
          ipCity: z.nullish(z.object({ name: optionalText })),
        }),
      ),
      domainDetails: z.nullish(z.object({ domainName: optionalText })),
    }),
  ),
});

const SEVERITY_BY_DESCRIPTION: Record<string, Severity> = { low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };
const SEVERITY_BY_SCORE: Record<number, Severity> = { 1: 'LOW', 2: 'MEDIUM', 3: 'HIGH' };

/** Macie rates findings Low / Medium / High (score 1-3); the description wins, the score is the fallback. */
export const FindingSeveritySchema = z.pipe(
  z.object({ score: optionalNumber, description: optionalText }),
  z.transform((s, ctx): Severity => {
    const severity = SEVERITY_BY_DESCRIPTION[(s.description ?? '').trim().toLowerCase()] ?? SEVERITY_BY_SCORE[s.score ?? -1];
    if (!severity) {
      ctx.issues.push({ code: 'custom', message: `unrecognised severity ${JSON.stringify(s)} (expected Low, Medium or High)`, input: s });
      return z.NEVER;
    }
    return severity;
  }),
);

export const FindingDetailSchema = z.object({
  schemaVersion: optionalText,
  id: text.check(z.minLength(1)),
  accountId: text.check(z.minLength(1)),
  partition: optionalText,
  region: text.check(z.minLength(1)),
  type: text.check(z.minLength(1)),
  title: optionalText,
  description: optionalText,
  severity: FindingSeveritySchema,
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
  count: z.number().check(z.int(), z.positive()),
  category: optionalText,
  resourcesAffected: z.nullish(z.object({ s3Bucket: z.nullish(S3BucketSchema), s3Object: z.nullish(S3ObjectSchema) })),
  classificationDetails: z.nullish(ClassificationDetailsSchema),
  policyDetails: z.nullish(PolicyDetailsSchema),
  sample: z.nullish(z.boolean()),
  archived: z.nullish(z.boolean()),
});

/** The EventBridge envelope with the finding as its detail. */
export const FindingEventSchema = z.object({ ...EventBridgeEnvelopeShape, detail: FindingDetailSchema });

export type FindingDetail = z.infer<typeof FindingDetailSchema>;
export type FindingEvent = z.infer<typeof FindingEventSchema>;
export type S3Bucket = z.infer<typeof S3BucketSchema>;
export type S3Object = z.infer<typeof S3ObjectSchema>;
export type PolicyDetails = z.infer<typeof PolicyDetailsSchema>;
export type ClassificationDetails = z.infer<typeof ClassificationDetailsSchema>;
