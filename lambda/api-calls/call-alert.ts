import { details, formatCount, type Alert, type AlertDetail } from '../core/alert';
import { cloudTrailEventLink, macieFindingLink } from '../core/links';
import { lowerSeverity } from '../core/severity';
import type { CloudTrailRecord } from './call-events';
import { apiCallType, callWording, param, type ApiCallType } from './call-types';
import type { RevealWindow } from './reveal-window';

/** The alert for one Macie API call (a reveal may carry the reveals counted since the last one). */

export const REVEAL = 'GetSensitiveDataOccurrences';

export interface Principal {
  readonly arn?: string;
  readonly type?: string;
  readonly sessionIssuer?: string;
  readonly invokedBy?: string;
  /** Short form for headlines: "assumed-role/Admin/JohnDoe", "user/Mary_Major", "root". */
  readonly name: string;
}

export interface CallContext {
  readonly record: CloudTrailRecord;
  readonly type: ApiCallType;
  readonly accountId: string;
  readonly principal: Principal;
}

/** A reveal window: the first reveal alerts; the rest of the window are counted and reported with the next window's first. */
export interface RevealSummary {
  readonly earlier: number;
  readonly since: string;
  readonly findingIds: readonly string[];
}

/** Parameters the alert carries as fields of its own (findingId, job). */
const ON_THE_ALERT = new Set(['Finding id', 'Job id']);

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function callAlert(ctx: CallContext, reveals?: RevealSummary): Alert {
  const { record, type, principal } = ctx;
  const denied = !!record.errorCode;
  const region = record.awsRegion;
  const eventAt = new Date(record.eventTime).toISOString();
  const params: AlertDetail[] = details(type.parameters.map(([label, path]) => [label, text(param(record.requestParameters, path))] as const));
  const findingId = text(param(record.requestParameters, 'findingId'));
  const jobId = text(param(record.requestParameters, 'jobId'));
  const paramsText = params.map((p) => `${p.label}: ${p.value}`).join(', ');
  const from = [record.sourceIPAddress && `from ${record.sourceIPAddress}`, record.userAgent && `(${record.userAgent})`].filter(Boolean).join(' ');
  const count = 1 + (reveals?.earlier ?? 0);

  const words = callWording(type, record.requestParameters);
  const refusal = `${record.errorCode}${record.errorMessage ? `: ${record.errorMessage}` : ''}`;

  const headline = denied
    ? `Denied: ${principal.name} tried to ${words.attempt} in ${ctx.accountId} (${region})`
    : `${principal.name} ${words.action}${count > 1 ? ` (${formatCount(count)} reveals)` : ''} in ${ctx.accountId} (${region})`;
  const whatHappened =
    `${principal.arn ?? principal.name}${principal.type ? ` (${principal.type})` : ''} ${denied ? 'tried to call' : 'called'} Macie ${record.eventName} at ${eventAt} ` +
    `in account ${ctx.accountId}, Region ${region}${from ? ` ${from}` : ''}.` +
    (paramsText ? ` ${paramsText}.` : '') +
    (denied ? ` It was denied (${refusal}): nothing changed.` : '') +
    (reveals
      ? ` It also made ${formatCount(reveals.earlier)} more ${reveals.earlier === 1 ? 'reveal' : 'reveals'} since ${reveals.since} that were counted without separate alerts` +
        `${reveals.findingIds.length ? ` (findings: ${reveals.findingIds.join(', ')})` : ''}.`
      : '');
  const whatItMeans = denied ? `Someone tried to ${words.attempt} and was refused. Had the call succeeded, ${words.wouldHave}` : words.meaning;
  const whatToDo = denied ? deniedToDo(principal, type) : words.whatToDo;

  return {
    id: `api:${record.eventID}`,
    severity: denied ? lowerSeverity(type.severity) : type.severity,
    category: 'API_CALL',
    eventType: record.eventName,
    accountId: ctx.accountId,
    region,
    job: jobId ? { id: jobId } : undefined,
    findingId,
    headline,
    whatHappened,
    whatItMeans,
    whatToDo,
    details: [
      // The call's name is the alert's event type, its finding and job ids are on the alert: every rendering shows them once.
      ...details([
        ['Result', denied ? `denied (${refusal})` : 'succeeded'],
        ['Principal', principal.arn],
        ['Principal type', principal.type],
        ['Session issuer', principal.sessionIssuer],
        ['Invoked by', principal.invokedBy],
        ['Source IP', record.sourceIPAddress],
        ['User agent', record.userAgent],
        ['Event time', eventAt],
        ['Account', ctx.accountId],
        ['Region', region],
      ]),
      ...params.filter((p) => !ON_THE_ALERT.has(p.label)),
      ...details([
        ['Reveals in this alert', reveals ? count : undefined],
        ['Counted since', reveals?.since],
        ['CloudTrail event id', record.eventID],
        ['Request id', record.requestID],
      ]),
    ],
    affected: [
      { kind: 'principal', items: [principal.arn ?? principal.name], total: 1 },
      ...(findingId ? [{ kind: 'finding' as const, items: [...new Set([findingId, ...(reveals?.findingIds ?? [])])], total: count }] : []),
    ],
    count,
    links: [
      ...(findingId ? [{ label: 'Finding in the Macie console', url: macieFindingLink(region, findingId) }] : []),
      { label: 'CloudTrail event', url: cloudTrailEventLink(region, record.eventID) },
    ],
    sample: false,
    occurredAt: eventAt,
    threadId: type.name === REVEAL ? (principal.arn ?? record.eventID) : record.eventID,
  };
}

/** A refused call needs nothing undone: who tried, and whether the refusal is the one intended. */
function deniedToDo(principal: Principal, type: ApiCallType): string {
  return (
    `Nothing needs undoing. Find out who is behind ${principal.arn ?? principal.name} and why it tried: ask its owner, and check its other recent activity in CloudTrail ` +
    '(repeated denied attempts can mean someone probing with stolen credentials). ' +
    `Check that the refusal came from the policy you intended (an SCP or the principal's own policies), so that ${type.permission ?? `macie2:${type.name}`} stays with the people who should hold it.`
  );
}

/**
 * The reveals a principal's window held (counted, not alerted) once the window has ended with no later
 * reveal to carry them: built from the window as stored, since the reveals' own records are gone.
 */
export function heldRevealsAlert(
  w: RevealWindow,
  held: number,
  ctx: { readonly settings: { readonly repeatIntervalMinutes: number }; readonly region: string },
): Alert {
  const type = apiCallType(REVEAL) as ApiCallType;
  const region = w.region ?? ctx.region;
  const accountId = w.accountId ?? 'unknown';
  const name = w.principalName ?? w.principalArn;
  const more = held === 1 ? '1 more reveal' : `${formatCount(held)} more reveals`;
  const findings = w.findingIds.length ? ` (findings revealed in the window: ${w.findingIds.join(', ')})` : '';
  return {
    id: `api:reveals:${w.principalArn}:${w.windowStart}:${w.count}`,
    severity: type.severity,
    category: 'API_CALL',
    eventType: REVEAL,
    accountId,
    region,
    findingId: w.findingIds[0],
    headline: `${name} ${type.action} ${held === 1 ? '1 more time' : `${formatCount(held)} more times`} since the last alert`,
    whatHappened:
      `${w.principalArn}${w.principalType ? ` (${w.principalType})` : ''} made ${more} of sensitive data samples (${REVEAL}) since the last alert` +
      `${w.lastAlertAt ? ` at ${w.lastAlertAt}` : ''}, the latest at ${w.lastAt}${findings}. ` +
      `Reveals by one principal alert at most once per ${ctx.settings.repeatIntervalMinutes} min; that window (from ${w.windowStart}) ended at ${w.heldUntil} with no later reveal, so this alert reports the ones it counted.`,
    whatItMeans: type.meaning,
    whatToDo: type.whatToDo,
    details: details([
      ['Principal', w.principalArn],
      ['Principal type', w.principalType],
      ['Reveals in this alert', held],
      ['Window started', w.windowStart],
      ['Latest reveal', w.lastAt],
      ['Window ended', w.heldUntil],
      ['Account', accountId],
      ['Region', region],
    ]),
    affected: [
      { kind: 'principal', items: [w.principalArn], total: 1 },
      ...(w.findingIds.length ? [{ kind: 'finding' as const, items: [...w.findingIds], total: w.findingIds.length }] : []),
    ],
    count: held,
    links: w.findingIds.length ? [{ label: 'Finding in the Macie console', url: macieFindingLink(region, w.findingIds[0]) }] : [],
    sample: false,
    occurredAt: w.lastAt,
    threadId: w.principalArn,
  };
}
