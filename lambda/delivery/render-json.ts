import type { Alert } from '../core/alert';
import { severityScore } from '../core/severity';
import { cleanLine, cleanParagraph, cleanProse, isSafeConsoleUrl } from '../core/sanitize';
import { possibleRepeatLine, type PossibleRepeat } from './possible-repeat';

/** Bumped when a field is removed or changes meaning; adding a field does not bump it. */
export const ALERT_JSON_SCHEMA_VERSION = 1;

/**
 * Upper bound of the JSON form. It goes into the SNS message four times (default, sqs, lambda, email-json)
 * next to the email and chat forms, and SNS caps a message at 256 KB.
 */
export const JSON_MAX_BYTES = 40 * 1024;

interface Caps {
  text: number;
  prose: number;
  items: number;
  details: number;
  /** Longest name kept exactly in `affected[].raw` (S3 keys are at most 1,024 bytes); 0: no raw names. */
  raw: number;
}

const CAPS: readonly Caps[] = [
  { text: 1000, prose: 4000, items: 100, details: 100, raw: 4096 },
  { text: 300, prose: 2000, items: 25, details: 50, raw: 2048 },
  { text: 200, prose: 1000, items: 10, details: 20, raw: 1024 },
];
/** Only a pathological alert gets here; it keeps no raw names. */
const LAST_RESORT: Caps = { text: 100, prose: 500, items: 3, details: 10, raw: 0 };

/**
 * The whole alert for automation subscribers, keys in a stable order; exact names, when a shown one differs,
 * in `affected[].raw`; a possible repeat adds its three fields at the end.
 */
export function renderJson(alert: Alert, repeat?: PossibleRepeat): string {
  for (const caps of CAPS) {
    const json = serialize(toJsonAlert(alert, caps, repeat));
    if (Buffer.byteLength(json, 'utf8') <= JSON_MAX_BYTES) return json;
  }
  return serialize(toJsonAlert(alert, LAST_RESORT, repeat));
}

/**
 * JSON.stringify leaves C1 controls, bidi controls, zero-width characters and the line separators as they are;
 * written as \u escapes instead, the text carries none of them while a raw value parses back exactly.
 */
const ESCAPED_IN_JSON = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
function serialize(value: unknown): string {
  return JSON.stringify(value).replace(ESCAPED_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function toJsonAlert(alert: Alert, caps: Caps, repeat: PossibleRepeat | undefined): Record<string, unknown> {
  const text = (s: string) => cleanLine(s, caps.text);
  const prose = (s: string) => cleanProse(s, caps.prose);
  return {
    schemaVersion: ALERT_JSON_SCHEMA_VERSION,
    id: text(alert.id),
    severity: alert.severity,
    severityScore: severityScore(alert.severity),
    category: alert.category,
    eventType: text(alert.eventType),
    sample: alert.sample,
    accountId: text(alert.accountId),
    region: text(alert.region),
    ...(alert.job
      ? {
          job: {
            id: text(alert.job.id),
            ...(alert.job.name !== undefined ? { name: text(alert.job.name) } : {}),
            ...(alert.job.runDate !== undefined ? { runDate: text(alert.job.runDate) } : {}),
          },
        }
      : {}),
    ...(alert.findingId !== undefined ? { findingId: text(alert.findingId) } : {}),
    occurredAt: text(alert.occurredAt),
    count: alert.count,
    headline: text(alert.headline),
    whatHappened: prose(alert.whatHappened),
    whatItMeans: prose(alert.whatItMeans),
    whatToDo: cleanParagraph(alert.whatToDo, caps.prose),
    details: alert.details.slice(0, caps.details).map((d) => ({ label: text(d.label), value: text(d.value) })),
    affected: alert.affected.slice(0, 10).map((a) => {
      const names = a.items.slice(0, caps.items);
      const items = names.map(text);
      // A name longer than the cap is no name AWS allows (null: not kept), only hostile input.
      const raw = caps.raw > 0 && names.some((name, i) => name !== items[i]) ? names.map((name) => (name.length <= caps.raw ? name : null)) : undefined;
      return {
        kind: a.kind,
        items,
        total: Math.max(a.total, a.items.length),
        ...(a.scope ? { scope: text(a.scope) } : {}),
        ...(a.atLeast ? { atLeast: true } : {}),
        ...(raw ? { raw } : {}),
      };
    }),
    ...(alert.silenced?.length
      ? { silenced: alert.silenced.slice(0, caps.items).map((x) => ({ silenceId: text(x.silenceId), what: text(x.what), count: x.count })) }
      : {}),
    links: alert.links.filter((l) => isSafeConsoleUrl(l.url)).map((l) => ({ label: text(l.label), url: l.url })),
    threadId: text(alert.threadId),
    ...(repeat
      ? { possibleDuplicate: true, deliveryInterruptedAt: cleanLine(repeat.interruptedAt, 40), possibleDuplicateNote: possibleRepeatLine(repeat) }
      : {}),
  };
}
