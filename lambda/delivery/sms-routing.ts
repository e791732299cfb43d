import type { Alert } from '../core/alert';
import { ConditionalWriteConflict, sleep, type StateStore } from '../state/store';
import { keys } from '../state/table';
import type { Claimed } from './alert-item';
import { evaluateFilterPolicy, type FilterPolicy } from './filter-policy';
import { messageAttributes } from './sns-message';
import { budgetHour, counterWrite, decideSmsBudget, emptyCounter, routeWrite, smsBudgetCodec, smsBudgetKey, SMS_ATTRIBUTE, type SmsRoute } from './sms-budget';

/** The SMS budget as delivery applies it: undefined when there is none (no SMS subscriber, or smsMaxPerHour 0). */
export interface SmsBudget {
  readonly maxPerHour: number;
  /** The filter policies of the SMS subscriptions: an alert one of them would take (with sms "true") counts. */
  readonly policies: readonly FilterPolicy[];
}

/** Whether an SMS subscriber would receive the alert if the budget let it through. */
export function reachesSms(budget: SmsBudget, alert: Alert): boolean {
  const attributes = { ...messageAttributes(alert), [SMS_ATTRIBUTE]: { DataType: 'String', StringValue: 'true' } };
  return budget.policies.some((policy) => evaluateFilterPolicy(policy, attributes).matches);
}

export interface RoutingDeps {
  readonly store: StateStore;
  readonly now: () => Date;
  readonly smsBudget?: SmsBudget;
}

/**
 * The `sms` attribute of each claimed alert, decided before it is published: the decision recorded on the
 * alert's item when there is one; otherwise, for alerts an SMS subscriber would receive, the hour's counter
 * decides, and the counter and the decisions are written together in one conditional write (one read and
 * one write per chunk). The other alerts are not counted. Alerts absent from the map go out as "true".
 */
export async function routeSms(deps: RoutingDeps, claimed: readonly Claimed[]): Promise<Map<string, SmsRoute>> {
  const routes = new Map<string, SmsRoute>();
  for (const c of claimed) if (c.smsRoute !== undefined) routes.set(c.alert.id, c.smsRoute);
  const budget = deps.smsBudget;
  if (!budget) return routes;
  let undecided = claimed.filter((c) => c.smsRoute === undefined && reachesSms(budget, c.alert));
  for (let attempt = 1; undecided.length > 0; attempt++) {
    const at = deps.now();
    const hour = budgetHour(at);
    const key = smsBudgetKey(hour);
    const read = await deps.store.get(key);
    const counter = read ? smsBudgetCodec.decode(read) : undefined;
    const { decisions, next } = decideSmsBudget(
      counter ?? emptyCounter(hour),
      undecided.map((c) => ({ id: c.alert.id, severity: c.alert.severity })),
      budget.maxPerHour,
      at,
    );
    const decided = undecided.map((c) => ({ claim: c, route: decisions.get(c.alert.id)?.route ?? 'true' }));
    try {
      await deps.store.write([counterWrite(counter, next), ...decided.map((d) => routeWrite(d.claim.alert.id, d.claim.claimedAt, d.route))]);
      for (const d of decided) routes.set(d.claim.alert.id, d.route);
      return routes;
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || attempt >= 12) throw error;
      if (error.contention || error.failedIndexes.includes(0)) {
        await sleep(Math.random() * 20 * attempt);
        continue;
      }
      // An alert whose decision is there already, or whose claim was taken over after its lease: read its item.
      const lost = new Set(error.failedIndexes.map((i) => decided[i - 1]?.claim.alert.id));
      undecided = await rereadLost(deps, undecided, lost, routes);
    }
  }
  return routes;
}

/** The lost alerts' recorded decisions (or, for a claim no longer ours, "false": its new holder decides). */
async function rereadLost(
  deps: RoutingDeps,
  undecided: readonly Claimed[],
  lost: ReadonlySet<string | undefined>,
  routes: Map<string, SmsRoute>,
): Promise<Claimed[]> {
  const still: Claimed[] = [];
  for (const c of undecided) {
    if (!lost.has(c.alert.id)) {
      still.push(c);
      continue;
    }
    const item = await deps.store.get(keys.alert(c.alert.id));
    const recorded = item?.smsRoute;
    routes.set(c.alert.id, recorded === 'true' || recorded === 'false' || recorded === 'notice' ? recorded : 'false');
  }
  return still;
}
