import * as z from 'zod/mini';
import type { FunctionName } from '../lambda/handlers/state-access';

/**
 * The stack output that lists the functions (written by the MacieAlerts construct, read by
 * `macie-alerts selftest`): one JSON object, handler name to function ARN.
 */
export const FUNCTIONS_OUTPUT = 'Functions';

const FunctionsSchema = z.object({
  'job-log': z.optional(z.string()),
  findings: z.optional(z.string()),
  'api-calls': z.optional(z.string()),
  health: z.optional(z.string()),
  sweeper: z.optional(z.string()),
});

/** The output's functions; throws on anything else (a stack of another version, or another tool's output). */
export function parseStackFunctions(text: string): Partial<Record<FunctionName, string>> {
  return z.parse(FunctionsSchema, JSON.parse(text));
}
