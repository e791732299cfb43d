import type { RunState } from '../state/job-items';
import { toldAccountSet } from '../state/run-accounts';
import type { GroupDecision, GroupVerdict } from './event-outcomes';
import type { LogEvent } from './log-events';

/**
 * Accounts of a run whose account error was told (alerted, or grouped into an alert sent): the one set inhibition
 * reads, since a bucket error is hidden only behind an alert someone received.
 */
export type ToldAccounts = ReadonlySet<string>;

export type AccountErrorTelling =
  | { readonly told: true; readonly reason: 'its group alerted' | 'grouped into the alert its group sent' | 'the summary sent now lists it' }
  | { readonly told: false; readonly reason: 'it failed the same way in the previous run' | 'its group sent no alert' };

const TELLING: Record<GroupVerdict, AccountErrorTelling> = {
  first: { told: true, reason: 'its group alerted' },
  repeat: { told: true, reason: 'its group alerted' },
  hold: { told: true, reason: 'grouped into the alert its group sent' },
  summary: { told: true, reason: 'the summary sent now lists it' },
  known: { told: false, reason: 'it failed the same way in the previous run' },
  inhibited: { told: false, reason: 'its group sent no alert' },
};

/** Whether an account error group's open events were told, by its verdict. Silenced events never reach a group. */
export function accountErrorTelling(verdict: GroupVerdict): AccountErrorTelling {
  return TELLING[verdict];
}

export type Inhibition =
  | { readonly inhibited: true; readonly reason: 'an account error of its account was told in this run' }
  | { readonly inhibited: false; readonly reason: 'not a bucket error' | 'it names no account' | 'no account error of its account was told in this run' };

/** Does a told account error of its account cover this event? */
export function inhibition({ event, kind }: LogEvent, told: ToldAccounts): Inhibition {
  if (kind.effect !== 'BUCKET_ERROR') return { inhibited: false, reason: 'not a bucket error' };
  if (!event.affectedAccount) return { inhibited: false, reason: 'it names no account' };
  if (!told.has(event.affectedAccount)) return { inhibited: false, reason: 'no account error of its account was told in this run' };
  return { inhibited: true, reason: 'an account error of its account was told in this run' };
}

/** The run's told accounts as read. */
export function toldAccountsOf(run: Pick<RunState, 'accounts'> | undefined): ToldAccounts {
  return run ? toldAccountSet(run.accounts) : new Set();
}

/** The told accounts with an account error group's decision added: its open events' accounts, when told. */
export function withToldAccounts(told: ToldAccounts, decision: Pick<GroupDecision, 'verdict' | 'open'>): ToldAccounts {
  if (!accountErrorTelling(decision.verdict).told) return told;
  let out: Set<string> | undefined;
  for (const { event } of decision.open) {
    const account = event.affectedAccount;
    if (!account || (out ?? told).has(account)) continue;
    out ??= new Set(told);
    out.add(account);
  }
  return out ?? told;
}
