import { formatCount } from '../core/alert';
import { subjectTime } from '../core/iso-time';
import type { RunComparison } from './run-compare';

/**
 * The subject of a run summary or summary update. What tells it from its siblings comes first, before the
 * job name, which may be cut at SNS's 100 characters: the run (summaries of one job's runs differ only by
 * it), then the outcome, and for an update the figures it corrects.
 */
export interface HeadlineFacts {
  readonly kind: 'summary' | 'update';
  readonly jobName: string;
  readonly runDate: string;
  readonly status: string;
  readonly noBuckets: boolean;
  readonly quotaPauses: number;
  readonly totalErrors: number;
  readonly silencedErrors: number;
  /** The run's findings, when the summary counts them. */
  readonly findings?: number;
  readonly comparison?: RunComparison;
}

const plural = (n: number, one: string) => `${formatCount(n)} ${n === 1 ? one : `${one}s`}`;

export function summaryHeadline(f: HeadlineFacts): string {
  const run = `run of ${subjectTime(f.runDate)}`;
  if (f.kind === 'update') return `Summary updated (${run}, now ${updateFigures(f)}): Macie job ${f.jobName}`;
  const quotaPause = f.quotaPauses === 1 ? 'a quota pause' : `${formatCount(f.quotaPauses)} quota pauses`;
  const afterPause = f.quotaPauses > 0 ? `${f.totalErrors > 0 ? ',' : ''} after ${quotaPause}` : '';
  return `Run of ${subjectTime(f.runDate)} ${outcome(f)}${afterPause}: Macie job ${f.jobName}`;
}

/** "4 errors, 13 findings", "13 findings": only the figures there are (an update never takes one back to 0). */
function updateFigures(f: HeadlineFacts): string {
  const figures = [
    ...(f.totalErrors > 0 ? [plural(f.totalErrors, 'error')] : []),
    ...(f.findings !== undefined && f.findings > 0 ? [plural(f.findings, 'finding')] : []),
  ];
  return figures.length > 0 ? figures.join(', ') : 'no errors or findings';
}

function outcome(f: HeadlineFacts): string {
  if (f.status === 'CANCELLED') return 'cancelled';
  if (f.totalErrors > 0) return `completed with ${plural(f.totalErrors, 'error')}${qualifiers(f)}`;
  if (f.noBuckets) return 'completed, no buckets matched';
  if (f.comparison?.fixed.length) return "completed, none of the last run's errors again";
  return 'completed';
}

/** " (2 silenced)", " (nothing new, 3 not failing)": after "completed with N errors", short enough for a subject. */
function qualifiers({ totalErrors, silencedErrors, comparison }: HeadlineFacts): string {
  const q: string[] = [];
  if (silencedErrors > 0) q.push(silencedErrors >= totalErrors ? 'all silenced' : `${formatCount(silencedErrors)} silenced`);
  if (comparison && comparison.newSince.length === 0) q.push('nothing new');
  // Not "fixed": a resource that did not fail may have been fixed, or dropped from the job's scope.
  if (comparison?.fixed.length) q.push(`${formatCount(comparison.fixed.length)} not failing`);
  return q.length > 0 ? ` (${q.join(', ')})` : '';
}
