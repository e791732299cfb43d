import * as z from 'zod/mini';
import { EventBridgeEnvelopeShape } from '../eventbridge/envelope';

/**
 * A CloudTrail record of a Macie API call as EventBridge delivers it (detail-type "AWS API Call via
 * CloudTrail", source aws.macie2). Only what the alert needs is required; requestParameters stay a free
 * record because each call has its own shape (call-types.ts says which parameters matter).
 */
const optionalText = z.nullish(z.string());

export const UserIdentitySchema = z.object({
  type: optionalText,
  principalId: optionalText,
  arn: optionalText,
  accountId: optionalText,
  userName: optionalText,
  invokedBy: optionalText,
  sessionContext: z.nullish(
    z.object({
      sessionIssuer: z.nullish(z.object({ type: optionalText, arn: optionalText, userName: optionalText, accountId: optionalText })),
      attributes: z.nullish(z.object({ mfaAuthenticated: z.nullish(z.union([z.string(), z.boolean()])) })),
    }),
  ),
});

export const CloudTrailRecordSchema = z.object({
  eventVersion: optionalText,
  userIdentity: UserIdentitySchema,
  eventTime: z.iso.datetime({ offset: true }),
  eventSource: z.string().check(z.minLength(1)),
  eventName: z.string().check(z.minLength(1)),
  awsRegion: z.string().check(z.minLength(1)),
  sourceIPAddress: optionalText,
  userAgent: optionalText,
  requestParameters: z.nullish(z.record(z.string(), z.unknown())),
  errorCode: optionalText,
  errorMessage: optionalText,
  requestID: optionalText,
  eventID: z.string().check(z.minLength(1)),
  readOnly: z.nullish(z.boolean()),
  eventType: optionalText,
  recipientAccountId: optionalText,
});

export const ApiCallEventSchema = z.object({ ...EventBridgeEnvelopeShape, detail: CloudTrailRecordSchema });

export type CloudTrailRecord = z.infer<typeof CloudTrailRecordSchema>;
export type ApiCallEvent = z.infer<typeof ApiCallEventSchema>;
export type UserIdentity = z.infer<typeof UserIdentitySchema>;
