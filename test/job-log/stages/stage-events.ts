import { resolveSettings, type PipelineSettings } from '../../../lambda/core/settings';
import { parseJobLogEvent, toLogEvent, type LogEvent } from '../../../lambda/job-log/log-events';
import { at, bucketError, jobStream } from '../../fixtures/job-log/streams';

/** Events of one run as the pipeline hands them to the stages: parsed and typed at the boundary, no DynamoDB. */

export const JOB = 'job-stage';
export const RUN = '2024-06-03T02:00:00.000Z';
export const MEMBER = '111122223333';
export const settings: PipelineSettings = resolveSettings();

const stream = jobStream(JOB, 'Nightly', RUN);
let next = 0;

/** One log event `minute` minutes into the run, with a log event id of its own (or the one given). */
export function ev(eventType: string, minute: number, extra: Record<string, unknown> = {}, id = `log-${++next}`): LogEvent {
  const parsed = parseJobLogEvent(JSON.stringify(stream(eventType, at(RUN, minute), extra)));
  if (!parsed.ok) throw new Error(parsed.reason);
  return toLogEvent(id, parsed.event);
}

/** A bucket error event's fields. */
export const bucket = (name: string, account = MEMBER) => bucketError(name, account);

export { at };
