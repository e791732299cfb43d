import { call, claim, describeKillMatrix, publish, read, readAlerts, settle, silences, stateWrite } from './kill-matrix-suite';

const HOUR = 3_600_000;
const budgetRead = call('DynamoDB', 'BatchGetItem', 'sms budget read');
const budgetWrite = call('DynamoDB', 'TransactWriteItems', 'sms budget write');

/**
 * The kill matrix with an SMS subscriber and a budget of 5 an hour: the run's 15 alerts are 5 for SMS and 10
 * held back, and the sweep two hours later sends the one SMS notice of them. Killed at each call (the budget's
 * read and its write included), the run ends with the fault-free table (5 allowed, 10 refused, every alert
 * decided once), and every copy of an alert, a labelled repeat included, carries its first copy's decision.
 */
describeKillMatrix({
  env: { SMS_MAX_PER_HOUR: '5', SMS_FILTER_POLICIES: JSON.stringify([{ sample: ['false'] }]) },
  // Every batch, retry and the sweep within one hour, so one counter, as in the fault-free run: an alert the
  // sweep takes over in a later hour counts against that hour's budget, and its notice waits for that hour's.
  startAt: Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR + 2 * 60_000,
  sweepAfterMinutes: 45,
  expectedCalls: [
    [silences, read, stateWrite, readAlerts, budgetRead, budgetWrite, publish, settle, claim, budgetRead, budgetWrite, publish, settle],
    [silences, read, stateWrite, budgetRead, budgetWrite, publish, settle],
    [silences, read, call('DynamoDB', 'Query', 'read'), stateWrite, budgetRead, budgetWrite, publish, settle],
  ],
  alerts: 16,
  // Which alerts get the 5 SMS depends on the order they are delivered in, and a kill changes that order (the
  // next batch may take over the killed one's alerts after deciding its own); so does when the first was held
  // back. What may not change: 5 allowed, 10 held back, every alert decided once, one notice.
  normalize: (item) => {
    if (String(item.pk).startsWith('SMSBUDGET')) {
      const { untoldSince: _u, allowed, ...counter } = item;
      return { ...counter, allowed: (allowed as unknown[]).length };
    }
    if (String(item.pk).startsWith('ALERT#smsbudget')) {
      const { alert: _a, facts: _f, ...notice } = item;
      return notice;
    }
    if (String(item.pk).startsWith('ALERT#')) {
      const { smsRoute, ...alert } = item;
      return { ...alert, smsRoute: smsRoute === 'notice' ? 'notice' : smsRoute === undefined ? 'undecided' : 'decided' };
    }
    return item;
  },
  checkPublished: (taken) => {
    const routes = new Map<string, string>();
    for (const e of taken) {
      const { alertId, sms } = e.attributes;
      // A repeat carries the decision of its first copy: an alert never uses the budget twice.
      expect({ alertId, sms }).toEqual({ alertId, sms: routes.get(alertId) ?? sms });
      routes.set(alertId, sms);
    }
    const count = (route: string) => [...routes.values()].filter((r) => r === route).length;
    expect([count('true'), count('false'), count('notice')]).toEqual([5, 10, 1]);
  },
});
