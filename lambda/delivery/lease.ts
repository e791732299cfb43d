// How long a delivery may hold a claimed alert, derived from the SDK clients' timeouts (why: docs/design-notes.md).

/** SNS client: one SDK attempt per call (SnsAlertPublisher retries itself); a connection that cannot be made fails fast. */
export const SNS_CLIENT = { maxAttempts: 1, requestHandler: { connectionTimeout: 1_000 } } as const;
/** One PublishBatch attempt, request and answer, cut by an abort signal in SnsAlertPublisher. */
export const SNS_ATTEMPT_TIMEOUT_MS = 3_000;
/** SnsAlertPublisher's retries: attempts per entry, and full-jitter backoff under min(max, base * 2^(n-1)). */
export const SNS_RETRY = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 } as const;

/**
 * DynamoDB client. `throwOnRequestTimeout`: without it @smithy/node-http-handler 4.x only logs a warning
 * when requestTimeout passes, and a request with no answer hangs until Lambda's timeout.
 */
export const DYNAMODB_CLIENT = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
} as const;
/** The SDK's standard retry waits under 1 s, then under 2 s, between attempts (its throttling base, the larger one). */
const DYNAMODB_RETRY_WAITS_MS = 1_000 + 2_000;

/** Every attempt of one PublishBatch call, with the backoff between them: 4 x 3 s + 0.7 s = 12.7 s. */
export const SNS_CALL_MAX_MS =
  SNS_RETRY.maxAttempts * SNS_ATTEMPT_TIMEOUT_MS +
  Array.from({ length: SNS_RETRY.maxAttempts - 1 }, (_, i) => Math.min(SNS_RETRY.maxDelayMs, SNS_RETRY.baseDelayMs * 2 ** i)).reduce((a, b) => a + b, 0);

/** One DynamoDB write with the SDK's retries: 3 x 5 s + 3 s = 18 s. */
export const DYNAMODB_WRITE_MAX_MS = DYNAMODB_CLIENT.maxAttempts * DYNAMODB_CLIENT.requestHandler.requestTimeout + DYNAMODB_RETRY_WAITS_MS;

/** From the claim's stamp, the time within which every SNS call of the chunk is over: 18 + 12.7 = 30.7 s. */
export const PUBLISH_WINDOW_MS = DYNAMODB_WRITE_MAX_MS + SNS_CALL_MAX_MS;

/** From the claim's stamp, the time within which a live delivery has settled the chunk: 30.7 + 18 = 48.7 s. */
export const CLAIM_MAX_MS = PUBLISH_WINDOW_MS + DYNAMODB_WRITE_MAX_MS;

/** How far the clocks of two Lambda hosts may disagree (they are NTP-synchronised to well under this). */
const CLOCK_SKEW_MS = 5_000;

/** How long a claim holds: after it a later delivery may take the alert over (54 s, rounded up to the second). */
export const LEASE_MS = Math.ceil((CLAIM_MAX_MS + CLOCK_SKEW_MS) / 1_000) * 1_000;
