import { createHash } from 'node:crypto';
import { formatCount } from '../core/alert';
import type { RunFingerprint, RunState } from '../state/job-items';
import type { JobLogEvent } from './log-events';

// "Same as the last run": each run keeps a fingerprint of what failed, which the job's next run compares with, so a
// summary says what is new, still failing and fixed. Pure; the reducer's stages own when.

/**
 * Pairs of (type, resource) a run's fingerprint keeps: exact up to it, beyond it the smallest are kept and the types
 * that lost some marked partial (never proof that an error is known); it bounds the run item every batch writes.
 */
export const FINGERPRINT_CAP = 200;
const NAME_BYTES = 64;

/** How many names each list of the comparison shows (then "and N more"). */
export const COMPARISON_NAMES = 10;

/** The previous completed run of the same periodic job, as the reducer is given it. */
export interface PreviousRun {
  readonly runDate: string;
  readonly fingerprint: RunFingerprint;
}

/**
 * A run as the previous run of the next one: only a completed run compares (a cancelled one did not get to
 * everything; a missing one is gone), and one written before fingerprints existed only if it had no errors.
 */
export function asPreviousRun(run: RunState | undefined): PreviousRun | undefined {
  if (run?.status !== 'COMPLETED') return undefined;
  if (!run.fingerprint && Object.values(run.errors).some((n) => n > 0)) return undefined;
  return { runDate: run.runDate, fingerprint: run.fingerprint ?? { resources: {}, partial: [] } };
}

/** The resource an error event is about: its bucket, else its account, else `-` (the job as a whole). */
export function resourceKey(e: Pick<JobLogEvent, 'affectedResource' | 'affectedAccount'>): string {
  if (e.affectedResource?.value) return `b:${boundedName(e.affectedResource.value)}`;
  if (e.affectedAccount) return `a:${boundedName(e.affectedAccount)}`;
  return '-';
}

/** A name longer than any real bucket name or account id: a readable start and a hash of the whole (unique, deterministic). */
function boundedName(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= NAME_BYTES) return name;
  let head = '';
  for (const ch of name) {
    if (Buffer.byteLength(head + ch, 'utf8') > 40) break;
    head += ch;
  }
  return `${head}~${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

const SEP = '\u0000';

function pairsOf(f: RunFingerprint | undefined): string[] {
  if (!f) return [];
  return Object.entries(f.resources).flatMap(([type, resources]) => resources.map((r) => `${type}${SEP}${r}`));
}

/**
 * The fingerprint with more (type, resource) pairs: the union, capped to the FINGERPRINT_CAP smallest pairs.
 * Order-independent like every run fact: whatever order pairs arrive in, the same union gives the same
 * fingerprint (a pair once dropped stays beyond the cap, so `partial` only grows).
 */
export function withResources(current: RunFingerprint | undefined, added: Iterable<readonly [type: string, resource: string]>): RunFingerprint {
  const all = new Set(pairsOf(current));
  const partial = new Set(current?.partial ?? []);
  const before = [all.size, partial.size];
  // A full fingerprint keeps its pairs against a larger one, which only marks its type partial: in a storm, most
  // events of every batch after the first. They are not sorted in only to be cut off again.
  let largest: string | undefined;
  if (all.size >= FINGERPRINT_CAP) for (const pair of all) if (largest === undefined || pair > largest) largest = pair;
  for (const [type, resource] of added) {
    const pair = `${type}${SEP}${resource}`;
    if (largest !== undefined && pair > largest) partial.add(type);
    else all.add(pair);
  }
  if (current && all.size === before[0] && partial.size === before[1]) return current;
  const sorted = [...all].sort();
  const resources: Record<string, string[]> = Object.create(null);
  for (const pair of sorted.slice(0, FINGERPRINT_CAP)) {
    const [type, resource] = pair.split(SEP);
    const list = resources[type] ?? [];
    resources[type] = list;
    list.push(resource);
  }
  for (const pair of sorted.slice(FINGERPRINT_CAP)) partial.add(pair.split(SEP)[0]);
  return { resources: { ...resources }, partial: [...partial].sort() };
}

function exactSet(f: RunFingerprint, type: string): ReadonlySet<string> | undefined {
  if (f.partial.includes(type) || !Object.hasOwn(f.resources, type)) return undefined;
  return new Set(f.resources[type]);
}

/** Did every one of these resources fail with this error type in the previous run (whose list of it is exact)? */
export function allFailedBefore(previous: RunFingerprint, type: string, resources: readonly string[]): boolean {
  const before = exactSet(previous, type);
  return before !== undefined && resources.length > 0 && resources.every((r) => before.has(r));
}

/** One (error type, resource) of a comparison list. */
export interface ComparedResource {
  readonly type: string;
  readonly resource: string;
}

export interface RunComparison {
  readonly previousRunDate: string;
  readonly newSince: readonly ComparedResource[];
  readonly stillFailing: readonly ComparedResource[];
  /** Empty unless the run completed: a cancelled run did not get to everything. */
  readonly fixed: readonly ComparedResource[];
  /** Error types whose every resource failed the same way in the previous run (both lists exact). */
  readonly knownTypes: ReadonlySet<string>;
  /** One of the fingerprints hit FINGERPRINT_CAP: the lists are exact only up to it. */
  readonly partial: boolean;
}

export function compareRuns(previous: PreviousRun, current: RunFingerprint | undefined, completed: boolean): RunComparison {
  const now = new Set(pairsOf(current));
  const before = new Set(pairsOf(previous.fingerprint));
  const split = (pairs: Iterable<string>) =>
    [...pairs].sort().map((pair) => {
      const [type, resource] = pair.split(SEP);
      return { type, resource };
    });
  const knownTypes = new Set<string>();
  for (const [type, resources] of Object.entries(current?.resources ?? {})) {
    if (!current?.partial.includes(type) && allFailedBefore(previous.fingerprint, type, resources)) knownTypes.add(type);
  }
  return {
    previousRunDate: previous.runDate,
    newSince: split([...now].filter((p) => !before.has(p))),
    stillFailing: split([...now].filter((p) => before.has(p))),
    fixed: completed ? split([...before].filter((p) => !now.has(p))) : [],
    knownTypes,
    partial: (current?.partial.length ?? 0) > 0 || previous.fingerprint.partial.length > 0,
  };
}

/** `bucket amzn-s3-demo-bucket`, `account 111122223333`, or `the job` for an event that names neither. */
export function describeResource(resource: string): string {
  if (resource.startsWith('b:')) return `bucket ${resource.slice(2)}`;
  if (resource.startsWith('a:')) return `account ${resource.slice(2)}`;
  return 'the job';
}

/** "2: bucket a (BUCKET_ACCESS_DENIED), account b (ACCOUNT_ACCESS_DENIED)", the first COMPARISON_NAMES named. */
export function describeCompared(list: readonly ComparedResource[]): string {
  if (list.length === 0) return 'none';
  const named = list.slice(0, COMPARISON_NAMES).map((x) => `${describeResource(x.resource)} (${x.type})`);
  const more = list.length - named.length;
  return `${formatCount(list.length)}: ${named.join(', ')}${more > 0 ? ` and ${formatCount(more)} more` : ''}`;
}
