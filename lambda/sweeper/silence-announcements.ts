import type { Alert } from '../core/alert';
import { subjectTime } from '../core/iso-time';
import { macieSummaryLink } from '../core/links';
import type { PipelineDeps } from '../pipeline-deps';
import { describeMatchers, type Silence } from '../silences/silence';
import { describeWeeklyWindow } from '../silences/weekly-window';
import { totalHidden, type HiddenTotal } from '../silences/silence-tally';
import { SilenceCodec, type SilenceAnnounced } from '../state/silence-items';
import { SilenceTallyCodec } from '../state/silence-tally-items';
import { unchangedSince, type Item, type WriteOp } from '../state/store';
import { keys, SILENCE_PARTITION, SILENCE_TALLY_SK_PREFIX } from '../state/table';
import { applyDecision, checkEach, isKeyed, type CheckResult } from './decision';

/**
 * Silences that announce themselves (alertmanager#730): the sweep after a silence is made sends one INFO
 * alert saying what it hides, until when, who made it and why; the sweep after it ends (its end reached, or
 * `silence expire`) sends one saying so. A silence nobody remembers no longer hides things unseen.
 *
 * Exactly once each: the silence item records what was announced (`announced`) in the same write that puts
 * the alert in the outbox, conditional on the item's version (decision.ts). Two sweeps at once, or a sweep
 * racing `silence expire`, write the same item at the same version: one wins, the other reads it again and
 * finds nothing left to announce (or, after an expire, the end to announce). The alert ids are fixed per
 * silence, so even a mark lost to a rewrite cannot raise one twice.
 *
 * The end announcement totals what the silence hid from its tallies (silence-tally.ts): one item per
 * aggregate it hid something in, written in that aggregate's own transaction, read here with one Query.
 */

/** An end older than this, never announced (a silence that ended before this version ran), is marked, not told. */
export const STALE_END_HOURS = 24;

export type AnnouncementReason =
  /** Made, not announced yet (a silence added before this version ran too: it is still in force). */
  | 'made'
  /** Ended, end not announced yet (whether or not its making was: the end alert says everything). */
  | 'ended'
  /** Ended more than STALE_END_HOURS ago and never announced: recorded as announced, no alert. */
  | 'ended-long-ago';

export interface AnnouncementDue {
  readonly reason: AnnouncementReason;
  /** Whether an alert goes out (not for ended-long-ago). */
  readonly alert: 'made' | 'ended' | undefined;
  /** The item's `announced` after this decision. */
  readonly announced: SilenceAnnounced;
}

/** What to announce about a silence at `now`; undefined when nothing is due. Pure. */
export function announcementDue(s: Pick<Silence, 'endsAt' | 'announced'>, now: Date): AnnouncementDue | undefined {
  const at = now.toISOString();
  const was = s.announced ?? {};
  const ended = Date.parse(s.endsAt) <= now.getTime();
  if (!ended) return was.made ? undefined : { reason: 'made', alert: 'made', announced: { ...was, made: at } };
  if (was.ended) return undefined;
  const endedHoursAgo = (now.getTime() - Date.parse(s.endsAt)) / 3_600_000;
  if (endedHoursAgo > STALE_END_HOURS) return { reason: 'ended-long-ago', alert: undefined, announced: { made: was.made ?? at, ended: at } };
  return { reason: 'ended', alert: 'ended', announced: { made: was.made ?? at, ended: at } };
}

/** One Query of the silences (the same partition the pipelines read), and a conditional write per silence due. */
export async function announceSilences(deps: PipelineDeps): Promise<CheckResult> {
  const now = deps.now();
  const entries = (await deps.store.listPrefix(SILENCE_PARTITION, 'S-')).filter(isKeyed).flatMap((listed) => {
    try {
      return announcementDue(SilenceCodec.decode(listed), now) ? [{ owner: keys.silence(String(listed.sk)), listed }] : [];
    } catch {
      // Unreadable: the pipelines skip it and say so; so does this.
      return [];
    }
  });
  return checkEach(entries, ({ owner, listed }) =>
    applyDecision(deps, owner, listed, async (item: Item, at: Date) => {
      const silence = SilenceCodec.decode(item);
      const due = announcementDue(silence, at);
      if (!due) return undefined;
      const hidden = due.alert === 'ended' ? await readHidden(deps, silence.id) : undefined;
      const alerts = due.alert ? [announcement(deps, silence, due.alert, at, hidden)] : [];
      return { alerts, writes: (ids) => [markAnnounced(owner, item, due.announced, ids)] };
    }),
  );
}

function markAnnounced(owner: { pk: string; sk: string }, read: Item, announced: SilenceAnnounced, ids: readonly string[]): WriteOp {
  const version = typeof read.version === 'number' ? read.version : 0;
  return {
    kind: 'update',
    key: owner,
    expression: `SET #announced = :announced, #version = :next${ids.length > 0 ? ' ADD pendingAlerts :ids' : ''}`,
    names: { '#announced': 'announced', '#version': 'version' },
    values: { ':announced': { ...announced }, ':next': version + 1, ...(ids.length > 0 ? { ':ids': new Set(ids) } : {}) },
    condition: unchangedSince(read),
  };
}

/** At most this many tallies are read (aggregates the silence hid something in); past it the total says "at least". */
export const TALLY_READ_CAP = 20_000;

export interface Hidden extends HiddenTotal {
  /** More tallies than TALLY_READ_CAP: the figures are lower bounds. */
  readonly capped: boolean;
}

async function readHidden(deps: PipelineDeps, silenceId: string): Promise<Hidden> {
  const { pk } = keys.silenceTally(silenceId, { pk: '', sk: '' });
  const items = await deps.store.listPrefixNewestFirst(pk, SILENCE_TALLY_SK_PREFIX, (read) => TALLY_READ_CAP + 1 - read.length);
  const tallies = items.slice(0, TALLY_READ_CAP).flatMap((item) => {
    try {
      return [SilenceTallyCodec.decode(item)];
    } catch {
      return [];
    }
  });
  return { ...totalHidden(tallies), capped: items.length > TALLY_READ_CAP };
}

/** "It hid 12 events: 9 S3_BUCKET_ACCESS_DENIED, 3 UpdateClassificationJob", or that it hid nothing. Pure. */
export function describeHidden(h: Hidden, silenceId: string): string {
  if (h.events === 0) return `Silence ${silenceId} matched nothing in its life: it hid no event.`;
  const shown = h.byType.slice(0, HIDDEN_TYPES_SHOWN).map(([type, n]) => `${n.toLocaleString('en-US')} ${type}`);
  const more = h.byType.length > HIDDEN_TYPES_SHOWN ? `, and ${h.byType.length - HIDDEN_TYPES_SHOWN} more types` : '';
  const least = h.capped ? 'at least ' : '';
  const events = `${least}${h.events.toLocaleString('en-US')} event${h.events === 1 ? '' : 's'}`;
  const places = `${least}${h.aggregates.toLocaleString('en-US')} ${h.aggregates === 1 ? 'run or group' : 'runs or groups'}`;
  return `Silence ${silenceId} hid ${events} in ${places}: ${shown.join(', ')}${more}.`;
}

/** Event types named in the end announcement; the rest are counted as "N more types". */
export const HIDDEN_TYPES_SHOWN = 8;

export function announcementId(silenceId: string, what: 'made' | 'ended'): string {
  return `silence:${silenceId}:${what}`;
}

function announcement(deps: PipelineDeps, s: Silence, what: 'made' | 'ended', now: Date, hidden?: Hidden): Alert {
  const matches = describeMatchers(s.match);
  const every = s.every ? describeWeeklyWindow(s.every) : undefined;
  const when = every ? `from ${s.startsAt} until ${s.endsAt}, ${every}` : `from ${s.startsAt} until ${s.endsAt}`;
  const early = s.plannedEndsAt !== undefined && s.plannedEndsAt !== s.endsAt;
  const base = {
    id: announcementId(s.id, what),
    severity: 'INFO' as const,
    category: 'PIPELINE' as const,
    accountId: s.match.accountId ?? 'unknown',
    region: deps.region,
    affected: [],
    count: 1,
    links: [{ label: 'Macie summary', url: macieSummaryLink(deps.region) }],
    sample: false,
    threadId: `silence:${s.id}`,
  };
  const rows = [
    { label: 'Silence', value: s.id },
    { label: 'Matches', value: matches },
    { label: 'From', value: s.startsAt },
    { label: 'Until', value: s.endsAt },
    ...(every ? [{ label: 'Recurs', value: every }] : []),
    ...(early ? [{ label: 'Was until', value: s.plannedEndsAt as string }] : []),
    { label: 'Author', value: s.author },
    { label: 'Reason', value: s.reason },
  ];
  if (what === 'made') {
    return {
      ...base,
      eventType: 'SILENCE_MADE',
      occurredAt: s.createdAt,
      // The end time leads: what the matchers name may be cut, and a cut time reads as a different one.
      headline: `Silence ${s.id} until ${subjectTime(s.endsAt, true)}: ${matches}, by ${s.author}`,
      whatHappened: `${s.author} made silence ${s.id} at ${s.createdAt}: it hides alerts about ${matches}, ${when} (${s.reason}).`,
      whatItMeans:
        'Events it matches are still counted, and the run summaries say what it silenced, but they raise no alert until it ends. Alerts about Macie being disabled or suspended, and about findings filters, are never silenced.',
      whatToDo: `Nothing, if this is expected. To end it now: macie-alerts silence expire ${s.id}. Another alert says when it ends.`,
      details: rows,
    };
  }
  return {
    ...base,
    eventType: 'SILENCE_ENDED',
    occurredAt: s.endsAt,
    headline: `Silence ${s.id} ended${hidden ? `, ${hiddenCount(hidden)} hidden` : ''}: ${matches} alert again`,
    whatHappened: early
      ? `Silence ${s.id} by ${s.author} (${s.reason}) was expired early at ${s.endsAt}; it was to last until ${s.plannedEndsAt}.`
      : `Silence ${s.id} by ${s.author} (${s.reason}) reached its end at ${s.endsAt}.`,
    whatItMeans: `Events about ${matches} that occur from ${s.endsAt} on alert again. ${hidden ? describeHidden(hidden, s.id) : ''}${hidden?.events === 0 ? '' : ` Every run summary and group alert that counted one of them names ${s.id} (the JSON form lists them under "silenced").`}`,
    whatToDo:
      'If the work it covered is not finished, make a new silence (macie-alerts silence add). A burst of alerts after this one is what the silence was holding back.',
    details: [...rows, ...(hidden ? [{ label: 'Hidden', value: hiddenCount(hidden) }] : []), { label: 'Announced', value: now.toISOString() }],
  };
}

function hiddenCount(h: Hidden): string {
  return `${h.capped ? 'at least ' : ''}${h.events.toLocaleString('en-US')} event${h.events === 1 ? '' : 's'}`;
}
