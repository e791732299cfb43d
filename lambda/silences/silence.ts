import { randomInt } from 'node:crypto';
import type { SilencedCount } from '../core/alert';
import { minIso } from '../core/iso-time';
import type { SilencedEvents } from '../state/codec';
import type { Silence, SilenceMatchers } from '../state/silence-items';
import { compileWeeklyWindow, describeWeeklyWindow, inWeeklyWindow, nextOpening, type CompiledWindow, type Opening } from './weekly-window';

/**
 * Silences, Alertmanager's model for Macie: an event a silence matches is counted but never alerted. An event is
 * judged at its own time, so a replay, a retry and a late delivery decide as the live pipeline did.
 */
export type { Silence, SilenceMatchers } from '../state/silence-items';

/** What a pipeline asks a silence about: one event (job log event, finding, API call). */
export interface SilenceSubject {
  /** Macie job event type, finding type or API call name. */
  readonly type: string;
  /** The event's own time (ISO 8601): occurredAt, the finding's updatedAt, the call's eventTime. */
  readonly at: string;
  readonly jobId?: string;
  readonly bucket?: string;
  /** The account the event is about (the affected member account, the finding's or the call's account). */
  readonly accountId?: string;
}

/**
 * Alerts no silence hides: Macie being disabled or suspended, and Macie's own suppression rules (findings
 * filters that archive findings) being created, changed or deleted. Those are the alerts that say someone is
 * turning alerting off; a silence made for noise must never swallow them.
 */
export const NEVER_SILENCED: ReadonlySet<string> = new Set([
  'DisableMacie',
  'UpdateMacieSession',
  'DisableOrganizationAdminAccount',
  'CreateFindingsFilter',
  'UpdateFindingsFilter',
  'DeleteFindingsFilter',
]);

/** A matcher, a time or an id that cannot make a silence: the message says which and why. */
export class SilenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SilenceError';
  }
}

/** Letters and digits that cannot be misread for one another (no 0/O, 1/I/L, U). */
const ID_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const ID_LENGTH = 4;
export const SILENCE_ID = /^S-[0-9A-Z]{1,12}$/;

/** A new id: S- and four characters (810,000 of them; a collision is retried by addSilence). */
export function randomSilenceId(): string {
  let id = 'S-';
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** `s-7kq2` as typed -> `S-7KQ2`; undefined when it is not an id. */
export function normalizeSilenceId(text: string): string | undefined {
  const id = text.trim().toUpperCase();
  return SILENCE_ID.test(id) ? id : undefined;
}

const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** S3 bucket names (legacy ones may have capitals and underscores), optionally ending with `*` for a prefix. */
const BUCKET = /^[A-Za-z0-9._-]{0,255}\*?$/;
const ACCOUNT_ID = /^[0-9]{12}$/;
/** Job event types (BUCKET_ACCESS_DENIED), finding types (SensitiveData:S3Object/Personal), API calls (DisableMacie). */
const TYPE = /^[A-Za-z][A-Za-z0-9:/_.-]{0,127}$/;

/** Checks the matchers of a new silence: at least one, each well-formed, and never one of NEVER_SILENCED. */
export function checkMatchers(match: SilenceMatchers): SilenceMatchers {
  const { jobId, bucket, accountId, type } = match;
  if (jobId === undefined && bucket === undefined && accountId === undefined && type === undefined) {
    throw new SilenceError('a silence needs at least one matcher: a job, a bucket (or prefix*), an account or a type');
  }
  if (jobId !== undefined && !JOB_ID.test(jobId)) throw new SilenceError(`job "${jobId}" is not a Macie job id`);
  if (bucket !== undefined && (bucket === '' || !BUCKET.test(bucket))) {
    throw new SilenceError(`bucket "${bucket}" is not a bucket name or a prefix ending with * (e.g. logs-*)`);
  }
  if (accountId !== undefined && !ACCOUNT_ID.test(accountId)) throw new SilenceError(`account "${accountId}" is not a 12-digit AWS account id`);
  if (type !== undefined && !TYPE.test(type)) throw new SilenceError(`type "${type}" is not an event type, finding type or API call name`);
  if (type !== undefined && NEVER_SILENCED.has(type)) {
    throw new SilenceError(`${type} alerts cannot be silenced: they report Macie being turned off or its findings being suppressed`);
  }
  return match;
}

function bucketMatches(pattern: string, bucket: string): boolean {
  return pattern.endsWith('*') ? bucket.startsWith(pattern.slice(0, -1)) : bucket === pattern;
}

interface Compiled {
  readonly silence: Silence;
  readonly from: number;
  readonly to: number;
  /** Its weekly window; null when the stored one cannot be read (edited by hand): it then matches nothing. */
  readonly window?: CompiledWindow | null;
}

function compiledWindow(s: Silence): CompiledWindow | null | undefined {
  if (!s.every) return undefined;
  try {
    return compileWeeklyWindow(s.every);
  } catch {
    return null;
  }
}

function matchesAt(c: Compiled, subject: SilenceSubject, at: number): boolean {
  const m = c.silence.match;
  // A stored silence without matchers (edited by hand) would match everything: it matches nothing.
  if (m.jobId === undefined && m.bucket === undefined && m.accountId === undefined && m.type === undefined) return false;
  if (!(c.from <= at && at < c.to)) return false;
  if (c.window === null || (c.window && !inWeeklyWindow(c.window, at))) return false;
  if (m.jobId !== undefined && m.jobId !== subject.jobId) return false;
  if (m.accountId !== undefined && m.accountId !== subject.accountId) return false;
  if (m.type !== undefined && m.type !== subject.type) return false;
  if (m.bucket !== undefined && (subject.bucket === undefined || !bucketMatches(m.bucket, subject.bucket))) return false;
  return true;
}

/**
 * The silence that silences each subject: compile once per batch, then ask per event. The first matching
 * silence by id wins, so the answer does not depend on the order silences were read in. An event whose time
 * cannot be read, and every NEVER_SILENCED type, is never silenced.
 */
export function silencer(silences: readonly Silence[]): (subject: SilenceSubject) => Silence | undefined {
  const compiled: Compiled[] = [...silences]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((silence) => ({ silence, from: Date.parse(silence.startsAt), to: Date.parse(silence.endsAt), window: compiledWindow(silence) }));
  if (compiled.length === 0) return () => undefined;
  return (subject) => {
    if (NEVER_SILENCED.has(subject.type)) return undefined;
    const at = Date.parse(subject.at);
    if (!Number.isFinite(at)) return undefined;
    return compiled.find((c) => matchesAt(c, subject, at))?.silence;
  };
}

/**
 * Silences in effect at `now` (started, not ended): `silence list`, and the sweeper's digest. A recurring
 * one counts whether or not its window is open: it still hides what falls in its next window.
 */
export function activeSilences(silences: readonly Silence[], now: Date): Silence[] {
  const t = now.getTime();
  return silences.filter((s) => Date.parse(s.startsAt) <= t && t < Date.parse(s.endsAt));
}

/** "bucket logs-* in account 111122223333, type BUCKET_ACCESS_DENIED": what a silence matches, in words. */
export function describeMatchers(m: SilenceMatchers): string {
  const parts: string[] = [];
  if (m.jobId !== undefined) parts.push(`job ${m.jobId}`);
  const account = m.accountId !== undefined ? `account ${m.accountId}` : undefined;
  if (m.bucket !== undefined) parts.push(`${m.bucket.endsWith('*') ? 'buckets' : 'bucket'} ${m.bucket}${account ? ` in ${account}` : ''}`);
  else if (account) parts.push(account);
  if (m.type !== undefined) parts.push(`type ${m.type}`);
  return parts.join(', ');
}

/** "silence S-3 by alice until 2024-06-10T00:00:00.000Z (bucket migration)": how summaries name a silence. */
export function describeSilence(s: Pick<Silence, 'id' | 'author' | 'endsAt' | 'reason'>): string {
  return `silence ${s.id} by ${s.author} until ${s.endsAt} (${s.reason})`;
}

/**
 * A recurring silence's window that is open at `now`, or its next one, within its life; undefined for a
 * silence that does not recur, or whose windows are all behind it (or its stored window cannot be read).
 */
export function nextSilenceWindow(s: Silence, now: Date): Opening | undefined {
  const window = compiledWindow(s);
  if (!window) return undefined;
  return nextOpening(window, now.getTime(), Date.parse(s.startsAt), Date.parse(s.endsAt));
}

/** One line per silence for the sweeper's digest and `silence list`: id, what, when, who and why. */
export function silenceLine(s: Silence): string {
  const every = s.every ? `, ${describeWeeklyWindow(s.every)}` : '';
  return `${s.id}: ${describeMatchers(s.match)}; from ${s.startsAt} until ${s.endsAt}${every}; by ${s.author}: ${s.reason}`;
}

/**
 * An aggregate's silenced events with one more of `type` silenced by `s`: the silence as it reads now (one
 * expired early ends earlier). Maps have no prototype, so a type named like an Object property counts too.
 */
export function withSilenced(current: Readonly<Record<string, SilencedEvents>> | undefined, s: Silence, type: string): Record<string, SilencedEvents> {
  const all = Object.assign(Object.create(null) as Record<string, SilencedEvents>, current);
  const was = Object.hasOwn(all, s.id) ? all[s.id] : undefined;
  const events = Object.assign(Object.create(null) as Record<string, number>, was?.events);
  events[type] = (Object.hasOwn(events, type) ? events[type] : 0) + 1;
  all[s.id] = { author: s.author, reason: s.reason, endsAt: minIso(was?.endsAt, s.endsAt), events };
  return all;
}

/** What an alert lists as silenced (the JSON form's `silenced`): one count per silence and type, by id. */
export function silencedCounts(silenced: Readonly<Record<string, SilencedEvents>> | undefined): SilencedCount[] {
  return Object.entries(silenced ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([silenceId, s]) => Object.entries(s.events).map(([what, count]) => ({ silenceId, what, count })));
}
