/**
 * The label on a copy of an alert that may have reached people already (its delivery was interrupted after the
 * handoff to SNS); both copies carry the same alert id, which consumers dedupe on.
 */
export interface PossibleRepeat {
  /** When the interrupted delivery claimed the alert (ISO 8601). */
  readonly interruptedAt: string;
}

/** The message attribute of a labelled copy (absent on every other message). */
export const POSSIBLE_DUPLICATE_ATTRIBUTE = 'possibleDuplicate';

/** The line email, chat and JSON carry. */
export function possibleRepeatLine(repeat: PossibleRepeat): string {
  return `Possible repeat: delivery of this alert was interrupted at ${isoSeconds(repeat.interruptedAt)}; it may have arrived already, with the same alert id.`;
}

/** The SMS form of the line, short enough to fit beside most SMS texts (GSM-7 only). */
export function possibleRepeatSms(repeat: PossibleRepeat): string {
  return `possible repeat, interrupted ${isoSeconds(repeat.interruptedAt).slice(0, 16)}Z`;
}

/** An ISO time without milliseconds (`2024-04-14T18:00:03Z`); text that is not a time is kept as it is. */
function isoSeconds(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z') : iso.slice(0, 40);
}
