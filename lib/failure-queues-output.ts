import * as z from 'zod/mini';

/**
 * The stack output that lists every failure and dead-letter queue (written by the MacieAlerts construct,
 * read by `macie-alerts redrive`). One JSON array, so queues added to the construct need no new output.
 * No CDK import: the CLI loads this file.
 */
export const FAILURE_QUEUES_OUTPUT = 'FailureQueues';

/** What a failure queue holds, which decides how it is redriven (each kind: docs/design-notes.md). */
export const FAILURE_QUEUE_KINDS = ['lambda-on-failure', 'eventbridge-dead-letter', 'sqs-dead-letter'] as const;
export type FailureQueueKind = (typeof FAILURE_QUEUE_KINDS)[number];

const FailureQueueSchema = z.object({
  /** What `--queue` selects it by (job-log, finding-rule, ...). */
  name: z.string().check(z.regex(/^[a-z0-9-]+$/)),
  kind: z.enum(FAILURE_QUEUE_KINDS),
  url: z.string().check(z.minLength(1)),
  /** The function it belongs to (on-failure), or the rule's target function it could not reach (EventBridge). */
  function: z.optional(z.string()),
  /** URL of the rule's target queue it could not reach (EventBridge). */
  queue: z.optional(z.string()),
  /** ARN of the queue it is the dead-letter queue of (SQS). */
  source: z.optional(z.string()),
});
export type FailureQueue = z.infer<typeof FailureQueueSchema>;

const FailureQueuesSchema = z.array(FailureQueueSchema);

/** The output's value, checked: a stack of another version says so instead of failing later. */
export function parseFailureQueues(text: string): FailureQueue[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the ${FAILURE_QUEUES_OUTPUT} output is not JSON`);
  }
  const parsed = FailureQueuesSchema.safeParse(value);
  if (!parsed.success) throw new Error(`the ${FAILURE_QUEUES_OUTPUT} output is not a list of queues this version understands`);
  for (const q of parsed.data) {
    const complete = q.kind === 'sqs-dead-letter' ? !!q.source : q.kind === 'lambda-on-failure' ? !!q.function : !!q.function !== !!q.queue;
    if (!complete) throw new Error(`the ${FAILURE_QUEUES_OUTPUT} output names ${q.kind} queue ${q.name} without what it belongs to`);
  }
  return parsed.data;
}
