import type { Alert } from '../core/alert';
import { macieSummaryLink } from '../core/links';
import { severitiesPresent, type Severity } from '../core/severity';
import { alertItemCodec } from '../delivery/alert-item';
import { lostAlertIds } from '../delivery/outbox';
import { SMS_BUDGET_PARTITION, smsBudgetCodec, smsBudgetKey, type SmsBudgetCounter } from '../delivery/sms-budget';
import type { PipelineDeps } from '../pipeline-deps';
import { atVersion, ConditionalWriteConflict, withOptimisticRetry, type Item, type WriteOp } from '../state/store';
import { expiresAt } from '../state/table';
import { checkEach, type CheckResult } from './decision';

/**
 * Past the SMS budget (delivery/sms-budget.ts), one SMS at the next sweep says how many more alerts went to
 * the other channels only: "7 more HIGH alerts since 02:10 UTC: see email or chat". It goes out with the
 * `sms` attribute "notice", which only SMS subscriptions take, and uses no budget.
 *
 * Once per refusal: the notice's id is the hour and the refused count it tells, and the counter records it
 * told them (`told`, `untold` emptied) in the write that puts the notice in the outbox, conditional on the
 * counter's version. Two sweeps at once write the same version: one wins, the other reads the counter again
 * and finds nothing untold. Alerts refused after a notice, in the same hour, make the next notice.
 */
export interface SmsNoticeDue {
  readonly alertId: string;
  readonly count: number;
  readonly bySeverity: readonly [Severity, number][];
  readonly since: string;
}

/** What a notice about this counter would tell; undefined when nothing refused is untold. Pure. */
export function smsNoticeDue(c: SmsBudgetCounter): SmsNoticeDue | undefined {
  const bySeverity = severitiesPresent(c.untold);
  const count = bySeverity.reduce((n, [, k]) => n + k, 0);
  if (count === 0) return undefined;
  return { alertId: `smsbudget:${c.hour}:${c.refused}`, count, bySeverity, since: c.untoldSince ?? `${c.hour}:00:00.000Z` };
}

/** One Query of the counters (at most SMS_BUDGET_TTL_HOURS of them), and a conditional write per counter with something untold. */
export async function sendSmsBudgetNotices(deps: PipelineDeps, maxPerHour: number): Promise<CheckResult> {
  const listed = await deps.store.listPartition(SMS_BUDGET_PARTITION);
  const entries = listed.flatMap((item) => {
    try {
      const counter = smsBudgetCodec.decode(item);
      return smsNoticeDue(counter) ? [{ owner: smsBudgetKey(counter.hour), item }] : [];
    } catch {
      return [];
    }
  });
  return checkEach(entries, ({ owner, item }) => notify(deps, owner, item, maxPerHour));
}

async function notify(deps: PipelineDeps, owner: { pk: string; sk: string }, listed: Item, maxPerHour: number): Promise<Alert[]> {
  let unread: Item | undefined = listed;
  return withOptimisticRetry(async () => {
    const item = unread ?? (await deps.store.get(owner));
    unread = undefined;
    if (!item) return [];
    const counter = smsBudgetCodec.decode(item);
    const due = smsNoticeDue(counter);
    if (!due) return [];
    const now = deps.now();
    const alert = smsNotice(deps, due, maxPerHour);
    const put: WriteOp = {
      kind: 'put',
      item: alertItemCodec.encode({
        alert,
        owner,
        createdAt: now.toISOString(),
        expiresAt: expiresAt(now, deps.settings.stateRetentionDays),
        smsRoute: 'notice',
        delivery: { status: 'PENDING', since: now.toISOString() },
      }),
      condition: { expression: 'attribute_not_exists(pk)', orExpired: true },
    };
    const ops = [markTold(counter, [alert.id]), put];
    try {
      await deps.store.write(ops);
    } catch (error) {
      // The notice exists already (its id is the count it tells): only the mark was missing.
      if (error instanceof ConditionalWriteConflict && lostAlertIds(error, ops).length === 1 && error.failedIndexes.length === 1) {
        await deps.store.write([markTold(counter, [])]);
        return [];
      }
      throw error;
    }
    return [alert];
  });
}

function markTold(c: SmsBudgetCounter, ids: readonly string[]): WriteOp {
  return {
    kind: 'update',
    key: smsBudgetKey(c.hour),
    expression: `SET told = :refused, untold = :none, #version = :next REMOVE untoldSince${ids.length > 0 ? ' ADD pendingAlerts :ids' : ''}`,
    names: { '#version': 'version' },
    values: { ':refused': c.refused, ':none': {}, ':next': c.version + 1, ...(ids.length > 0 ? { ':ids': new Set(ids) } : {}) },
    condition: atVersion(c.version),
  };
}

/** "7 more HIGH alerts since 02:10 UTC: see email or chat", severity the highest of them. */
export function smsNotice(deps: Pick<PipelineDeps, 'region'>, due: SmsNoticeDue, maxPerHour: number): Alert {
  const [[top]] = due.bySeverity;
  const since = `${due.since.slice(11, 16)} UTC`;
  const kinds = due.bySeverity.length === 1 ? `${top} ` : '';
  const breakdown = due.bySeverity.length > 1 ? ` (${due.bySeverity.map(([s, n]) => `${n} ${s}`).join(', ')})` : '';
  const plural = due.count === 1 ? 'alert' : 'alerts';
  return {
    id: due.alertId,
    severity: top,
    category: 'PIPELINE',
    eventType: 'SMS_BUDGET_EXCEEDED',
    accountId: '',
    region: deps.region,
    headline: `${due.count} more ${kinds}${plural}${breakdown} since ${since}: see email or chat`,
    whatHappened: `The SMS budget of ${maxPerHour} alerts an hour was used up: ${due.count} more ${plural}${breakdown} since ${due.since} went to email, chat and the other channels, not by SMS.`,
    whatItMeans: 'Nothing was lost: every alert reached every other subscriber. SMS subscribers get alerts again from the start of the next UTC hour.',
    whatToDo: 'Read the alerts in email or chat. To change the budget, deploy with -c smsMaxPerHour=N (0: no budget).',
    details: [
      { label: 'Not sent by SMS', value: String(due.count) },
      ...due.bySeverity.map(([s, n]) => ({ label: s, value: String(n) })),
      { label: 'Since', value: due.since },
      { label: 'SMS budget', value: `${maxPerHour} an hour` },
    ],
    affected: [],
    count: due.count,
    links: [{ label: 'Macie summary', url: macieSummaryLink(deps.region) }],
    sample: false,
    occurredAt: due.since,
    threadId: 'smsbudget',
  };
}
