import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';

/**
 * A CloudTrail record of a Macie API call as EventBridge delivers it (detail-type "AWS API Call via
 * CloudTrail", source aws.macie2). Only what the alert needs is required; requestParameters stay a free
 * record because each call has its own shape (api-call-types.ts says which parameters matter).
 */
const optionalText = z.string().nullish();

export const UserIdentitySchema = z.object({
  type: optionalText,
  principalId: optionalText,
  arn: optionalText,
  accountId: optionalText,
  userName: optionalText,
  invokedBy: optionalText,
  sessionContext: z
    .object({
      sessionIssuer: z.object({ type: optionalText, arn: optionalText, userName: optionalText, accountId: optionalText }).nullish(),
      attributes: z.object({ mfaAuthenticated: z.union([z.string(), z.boolean()]).nullish() }).nullish(),
    })
    .nullish(),
});

export const CloudTrailRecordSchema = z.object({
  eventVersion: optionalText,
  userIdentity: UserIdentitySchema,
  eventTime: z.iso.datetime({ offset: true }),
  eventSource: z.string().min(1),
  eventName: z.string().min(1),
  awsRegion: z.string().min(1),
  sourceIPAddress: optionalText,
  userAgent: optionalText,
  requestParameters: z.record(z.string(), z.unknown()).nullish(),
  errorCode: optionalText,
  errorMessage: optionalText,
  requestID: optionalText,
  eventID: z.string().min(1),
  readOnly: z.boolean().nullish(),
  eventType: optionalText,
  recipientAccountId: optionalText,
});

export const ApiCallEventSchema = EventBridgeSchema.extend({ detail: CloudTrailRecordSchema });

export type CloudTrailRecord = z.infer<typeof CloudTrailRecordSchema>;
export type ApiCallEvent = z.infer<typeof ApiCallEventSchema>;
export type UserIdentity = z.infer<typeof UserIdentitySchema>;
