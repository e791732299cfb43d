import type { Context } from 'aws-lambda';
import { createRuntime, forInvocation } from './runtime';
import { sweep, type SweepReport } from '../sweeper/sweep';
import { runSelfTest, selfTestRequestOf, type SelfTestReport } from './self-test';

const runtime = createRuntime('sweeper');

/**
 * Invoked on a schedule (the construct's sweeper rate). A sweep that could not finish a check or a delivery
 * fails the invocation, so the failure shows in the function's Errors metric; the next sweep retries anyway.
 */
export async function handler(event: unknown, context: Context): Promise<SweepReport | SelfTestReport> {
  try {
    const selfTest = selfTestRequestOf(event);
    if (selfTest !== undefined) return await runSelfTest('sweeper', selfTest, forInvocation(runtime, context));
    const report = await sweep(forInvocation(runtime, context));
    if (report.failures.length > 0) {
      throw new Error(`sweeper: ${report.failures.length} check(s) or deliveries failed: ${report.failures.map((f) => `${f.key} (${f.reason})`).join('; ')}`);
    }
    return report;
  } finally {
    runtime.telemetry.flush();
  }
}
