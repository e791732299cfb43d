import { details, type Alert, type AlertDetail } from '../core/alert';
import { ApiCallEventSchema, type CloudTrailRecord } from './call-events';
import { apiCallType, param, type ApiCallType } from './call-types';
import { applyEventOnce, type Decision } from '../eventbridge/apply-event-once';
import { badEvent, describeIssues, ignoredEvent, type EventReport } from '../core/event-report';
import { maxIso } from '../core/iso-time';
import { cloudTrailEventLink, macieFindingLink } from '../core/links';
import type { PipelineDeps } from '../pipeline-deps';
import { lowerSeverity } from '../core/severity';
import type { Item } from '../state/store';
import { keys } from '../state/table';

export type { EventReport } from '../core/event-report';

const MACIE_EVENT_SOURCE = 'macie2.amazonaws.com';
const AWS_CONFIG = 'config.amazonaws.com';
const REVEAL = 'GetSensitiveDataOccurrences';
/** Finding ids kept per principal's reveal window: enough to name them in the alert, bounded item size. */
const MAX_FINDING_IDS = 10;

/**
 * One "AWS API Call via CloudTrail" event for a Macie call. Calls in the spec's table alert (a denied attempt
 * one level lower); reveals of sensitive data by one principal are grouped per repeat window; everything
 * else, and calls by AWS Config, is ignored. Never throws for bad input.
 */
export async function processApiCallEvent(event: unknown, deps: PipelineDeps): Promise<EventReport> {
  const parsed = ApiCallEventSchema.safeParse(event);
  if (!parsed.success) return badEvent(deps, event, describeIssues(parsed.error.issues), 'API call');
  const { id: eventId, detail: record, account } = parsed.data;
  const fields = { eventId, eventName: record.eventName, cloudTrailEventId: record.eventID };

  if (record.eventSource !== MACIE_EVENT_SOURCE) return ignoredEvent(deps, `event source ${record.eventSource} is not ${MACIE_EVENT_SOURCE}`, fields);
  if (isAwsConfig(record)) return ignoredEvent(deps, 'call made by AWS Config (configuration polling)', fields);
  const type = apiCallType(record.eventName);
  if (!type) return ignoredEvent(deps, `${record.eventName} is not a call the alert policy covers`, fields);
  const match = type.when?.(record.requestParameters ?? {}) ?? true;
  if (match !== true) return ignoredEvent(deps, `${record.eventName}: ${match}`, fields);

  const principal = principalOf(record);
  const context: CallContext = { record, type, accountId: record.recipientAccountId ?? record.userIdentity.accountId ?? account, principal };
  if (type.name === REVEAL && !record.errorCode && principal.arn) {
    const arn = principal.arn;
    return applyEventOnce(deps, eventId, 'api-call', (existing) => decideReveal(deps, context, arn, existing));
  }
  return applyEventOnce(deps, eventId, 'api-call', async (existing): Promise<Decision> => {
    const alert = callAlert(context);
    const alerts = existing.has(alert.id) ? [] : [alert];
    return { alerts, reason: record.errorCode ? 'denied attempt' : undefined };
  });
}

function isAwsConfig(record: CloudTrailRecord): boolean {
  const invokedBy = record.userIdentity.invokedBy?.trim().toLowerCase();
  const agent = record.userAgent?.trim().toLowerCase();
  return invokedBy === AWS_CONFIG || agent === AWS_CONFIG;
}

interface Principal {
  readonly arn?: string;
  readonly type?: string;
  readonly sessionIssuer?: string;
  readonly invokedBy?: string;
  /** Short form for headlines: "assumed-role/Admin/JohnDoe", "user/Mary_Major", "root". */
  readonly name: string;
}

function principalOf(record: CloudTrailRecord): Principal {
  const id = record.userIdentity;
  const arn = id.arn ?? undefined;
  const resource = arn?.split(':').slice(5).join(':');
  return {
    arn: arn ?? id.principalId ?? id.invokedBy ?? undefined,
    type: id.type ?? undefined,
    sessionIssuer: id.sessionContext?.sessionIssuer?.arn ?? undefined,
    invokedBy: id.invokedBy ?? undefined,
    name: resource || id.userName || id.invokedBy || id.principalId || id.type || 'unknown principal',
  };
}

interface CallContext {
  readonly record: CloudTrailRecord;
  readonly type: ApiCallType;
  readonly accountId: string;
  readonly principal: Principal;
}

/** A reveal window: the first reveal alerts; the rest of the window are counted and reported with the next window's first. */
interface RevealSummary {
  readonly earlier: number;
  readonly since: string;
  readonly findingIds: readonly string[];
}

async function decideReveal(deps: PipelineDeps, ctx: CallContext, arn: string, existing: ReadonlySet<string>): Promise<Decision> {
  const key = keys.principalReveals(arn);
  const item = await deps.store.get(key);
  const eventAt = new Date(ctx.record.eventTime).toISOString();
  const findingId = String(param(ctx.record.requestParameters, 'findingId') ?? '');
  const windowStart = typeof item?.windowStart === 'string' ? item.windowStart : undefined;
  const inWindow = !!windowStart && Date.parse(eventAt) - Date.parse(windowStart) < deps.settings.repeatIntervalMinutes * 60_000;
  const prevCount = typeof item?.count === 'number' ? item.count : 0;
  const prevIds = Array.isArray(item?.findingIds) ? (item.findingIds as string[]) : [];

  let alerts: Alert[] = [];
  let next: Pick<Item, 'windowStart' | 'count' | 'findingIds'>;
  let reason: string;
  if (inWindow) {
    const ids = findingId && !prevIds.includes(findingId) && prevIds.length < MAX_FINDING_IDS ? [...prevIds, findingId] : prevIds;
    next = { windowStart, count: prevCount + 1, findingIds: ids };
    reason = `reveal ${prevCount + 1} by ${arn} since ${windowStart}: counted`;
  } else {
    const summary = windowStart && prevCount > 1 ? { earlier: prevCount - 1, since: windowStart, findingIds: prevIds } : undefined;
    const alert = callAlert(ctx, summary);
    alerts = existing.has(alert.id) ? [] : [alert];
    next = { windowStart: eventAt, count: 1, findingIds: findingId ? [findingId] : [] };
    reason = summary ? `first reveal of a new window, reporting ${summary.earlier} earlier reveal(s)` : 'first reveal of a window';
  }

  const lastAlertAt = typeof item?.lastAlertAt === 'string' ? item.lastAlertAt : undefined;
  const state: Item = {
    principalArn: arn,
    principalType: ctx.principal.type,
    ...next,
    lastAt: maxIso(typeof item?.lastAt === 'string' ? item.lastAt : undefined, eventAt),
    lastAlertAt: alerts.length ? eventAt : lastAlertAt,
    alerts: (typeof item?.alerts === 'number' ? item.alerts : 0) + alerts.length,
  };
  return { aggregate: { key, read: item, next: state }, alerts, reason };
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function callAlert(ctx: CallContext, reveals?: RevealSummary): Alert {
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

  const headline = denied
    ? `Denied: ${principal.name} tried to call ${record.eventName} in ${ctx.accountId} (${region})`
    : `${principal.name} ${type.action}${count > 1 ? ` (${count} reveals)` : ''} in ${ctx.accountId} (${region})`;
  const whatHappened =
    `${principal.arn ?? principal.name}${principal.type ? ` (${principal.type})` : ''} called Macie ${record.eventName} at ${eventAt} ` +
    `in account ${ctx.accountId}, Region ${region}${from ? ` ${from}` : ''}.` +
    (paramsText ? ` ${paramsText}.` : '') +
    (denied ? ` The call was denied (${record.errorCode}${record.errorMessage ? `: ${record.errorMessage}` : ''}): nothing changed, but someone tried.` : '') +
    (reveals
      ? ` It also made ${reveals.earlier} more reveal(s) since ${reveals.since} that were counted without separate alerts` +
        `${reveals.findingIds.length ? ` (findings: ${reveals.findingIds.join(', ')})` : ''}.`
      : '');
  const whatItMeans = denied ? `The attempt was refused. Had it succeeded: ${type.meaning}` : type.meaning;
  const whatToDo = denied
    ? `Find out why this principal tried. Repeated denied attempts can mean someone probing with stolen credentials: check its other recent activity in CloudTrail. ${type.whatToDo}`
    : type.whatToDo;

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
      ...details([
        ['Call', record.eventName],
        ['Result', denied ? `denied (${record.errorCode}${record.errorMessage ? `: ${record.errorMessage}` : ''})` : 'succeeded'],
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
      ...params,
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
