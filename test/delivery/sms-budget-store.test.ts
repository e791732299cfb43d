import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { filterPolicyMatches } from '../../lambda/delivery/filter-policy';
import { deliverPending, outboxWrites, withPending } from '../../lambda/delivery/outbox';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { budgetHour, smsBudgetCodec, smsBudgetKey } from '../../lambda/delivery/sms-budget';
import { deliveryDeps, type PipelineDeps } from '../../lambda/pipeline-deps';
import { sendSmsBudgetNotices } from '../../lambda/sweeper/sms-budget-notice';
import { sweep } from '../../lambda/sweeper/sweep';
import type { StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { alertFilterPolicy } from '../../lib/subscription-filters';
import { testAlert } from '../support/alerts';
import { freshStore } from '../support/dynamodb';

/**
 * The SMS budget on DynamoDB Local: several containers delivering at once share one hour's counter, and what
 * each subscriber receives is the subscriber's filter policy evaluated against what was published.
 */
const at = new Date(); // TTLs are wall-clock
const phone = alertFilterPolicy({ endpoint: '+12065550100', minSeverity: 'HIGH' }, 'sms');
const email = alertFilterPolicy({ endpoint: 'ops@example.com' }, 'email');
const https = alertFilterPolicy({ endpoint: 'https://hooks.example.com/x', minSeverity: 'LOW' }, 'https');
const chat = alertFilterPolicy({ endpoint: 'chat' }, 'https');

function pipelineDeps(store: StateStore, publisher: RecordingPublisher, smsMaxPerHour = 10): PipelineDeps {
  return {
    store,
    publisher,
    settings: resolveSettings({ smsMaxPerHour }),
    telemetry: new RecordingTelemetry(),
    region: 'us-east-1',
    now: () => at,
    smsPolicies: [phone!],
  };
}

/** `n` owners (a run each) with `per` pending alerts each, HIGH unless told. */
async function pendingAlerts(store: StateStore, n: number, per: number, severity: 'HIGH' | 'LOW' = 'HIGH', tag = '') {
  const groups = [];
  for (let o = 0; o < n; o++) {
    const owner = keys.run(`job${tag}${o}`, '2026-12-07T02:00:00Z');
    const alerts = Array.from({ length: per }, (_, i) => testAlert(`${severity}-${tag}${o}-${i}`, { severity }));
    const ids = alerts.map((a) => a.id);
    await store.write([{ kind: 'put', item: { ...owner, version: 1, pendingAlerts: withPending(undefined, ids) } }, ...outboxWrites(alerts, owner, at, 90)]);
    groups.push({ owner, alertIds: ids });
  }
  return groups;
}

const receivedBy = (policy: ReturnType<typeof alertFilterPolicy>, publisher: RecordingPublisher) =>
  publisher.records.filter((r) => filterPolicyMatches(policy, r.message.MessageAttributes)).map((r) => r.alert.id);

async function counter(store: StateStore) {
  const item = await store.get(smsBudgetKey(budgetHour(at)));
  return item && smsBudgetCodec.decode(item);
}

describe('the SMS budget under a burst from several containers at once', () => {
  test('4 concurrent deliveries of 40 HIGH alerts, budget 10: exactly 10 reach the phone, all 40 reach email, HTTPS and chat', async () => {
    const store = await freshStore();
    const groups = await pendingAlerts(store, 4, 10);
    const publishers = groups.map(() => new RecordingPublisher());
    await Promise.all(groups.map((g, i) => deliverPending(deliveryDeps(pipelineDeps(store, publishers[i])), [g])));

    const records = publishers.flatMap((p) => p.records);
    expect(records).toHaveLength(40);
    const sms = records.map((r) => r.message.MessageAttributes.sms?.StringValue);
    expect(sms.filter((v) => v === 'true')).toHaveLength(10);
    expect(sms.filter((v) => v === 'false')).toHaveLength(30);
    const all = new RecordingPublisher();
    all.records.push(...records);
    expect(receivedBy(phone, all)).toHaveLength(10);
    for (const policy of [email, https, chat]) expect(receivedBy(policy, all)).toHaveLength(40);

    const c = await counter(store);
    expect(c).toMatchObject({ refused: 30, told: 0, untold: { HIGH: 30 } });
    expect(new Set(c!.allowed)).toEqual(new Set(records.filter((r) => r.message.MessageAttributes.sms?.StringValue === 'true').map((r) => r.alert.id)));
    // Each alert's decision is on its item.
    const items = await store.getMany(records.map((r) => keys.alert(r.alert.id)));
    expect([...items.values()].map((i) => i.smsRoute).sort()).toEqual(sms.sort());
  });

  test('alerts no SMS subscriber would get use no budget', async () => {
    const store = await freshStore();
    const low = await pendingAlerts(store, 1, 5, 'LOW');
    const high = await pendingAlerts(store, 1, 3, 'HIGH');
    const publisher = new RecordingPublisher();
    await deliverPending(deliveryDeps(pipelineDeps(store, publisher, 3)), [...low, ...high]);
    expect(receivedBy(phone, publisher).sort()).toEqual(['HIGH-0-0', 'HIGH-0-1', 'HIGH-0-2']);
    expect(await counter(store)).toMatchObject({ refused: 0 });
    expect((await counter(store))!.allowed).toHaveLength(3);
  });

  test('without an SMS subscriber, or with smsMaxPerHour 0, nothing is counted and every alert goes out with sms "true"', async () => {
    for (const deps of [
      (s: StateStore, p: RecordingPublisher) => ({ ...pipelineDeps(s, p), smsPolicies: undefined }),
      (s: StateStore, p: RecordingPublisher) => pipelineDeps(s, p, 0),
    ]) {
      const store = await freshStore();
      const groups = await pendingAlerts(store, 1, 12);
      const publisher = new RecordingPublisher();
      await deliverPending(deliveryDeps(deps(store, publisher)), groups);
      expect(publisher.records.map((r) => r.message.MessageAttributes.sms?.StringValue)).toEqual(Array(12).fill('true'));
      expect(await counter(store)).toBeUndefined();
    }
  });

  test('a retried alert uses no budget twice, and one refused stays refused, labelled repeat or not', async () => {
    const store = await freshStore();
    const groups = await pendingAlerts(store, 1, 4);
    const publisher = new RecordingPublisher();
    // The first delivery decides all four (2 allowed, 2 refused), then SNS takes none: one answer lost, three refused.
    let calls = 0;
    publisher.failWhen(() => (calls++ < 4 ? 'injected: SNS did not take it' : false));
    const deps = deliveryDeps(pipelineDeps(store, publisher, 2));
    await expect(deliverPending(deps, groups)).rejects.toThrow();
    const decided = await counter(store);
    expect(decided).toMatchObject({ refused: 2, untold: { HIGH: 2 } });
    expect(decided!.allowed).toHaveLength(2);

    publisher.failWhen(undefined);
    await deliverPending(deps, groups);
    expect(await counter(store)).toEqual(decided);
    const routes = Object.fromEntries(publisher.records.map((r) => [r.alert.id, r.message.MessageAttributes.sms?.StringValue]));
    expect(routes).toEqual({ 'HIGH-0-0': 'true', 'HIGH-0-1': 'true', 'HIGH-0-2': 'false', 'HIGH-0-3': 'false' });
  });
});

describe('the notice of what the budget held back', () => {
  test('racing sweeps send it once; only SMS subscriptions take it; it uses no budget; later refusals make the next one', async () => {
    const store = await freshStore();
    const groups = await pendingAlerts(store, 2, 10);
    const deps = pipelineDeps(store, new RecordingPublisher());
    await Promise.all(groups.map((g) => deliverPending(deliveryDeps(deps), [g])));

    const publishers = [new RecordingPublisher(), new RecordingPublisher(), new RecordingPublisher()];
    const reports = await Promise.all(publishers.map((p) => sweep({ ...deps, publisher: p })));
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    const notices = publishers.flatMap((p) => p.records).filter((r) => r.alert.eventType === 'SMS_BUDGET_EXCEEDED');
    expect(notices.map((r) => r.alert.headline)).toEqual([expect.stringMatching(/^10 more HIGH alerts since \d\d:\d\d UTC: see email or chat$/)]);
    const all = new RecordingPublisher();
    all.records.push(...notices);
    expect(receivedBy(phone, all)).toHaveLength(1);
    for (const policy of [email, https, chat]) expect(receivedBy(policy, all)).toEqual([]);
    expect(await counter(store)).toMatchObject({ refused: 10, told: 10, untold: {} });
    expect((await counter(store))!.allowed).toHaveLength(10);

    // Nothing new: no notice. Three more refused: one more notice, of three.
    expect((await sendSmsBudgetNotices(deps, 10)).raised).toEqual([]);
    const more = await pendingAlerts(store, 1, 3, 'HIGH', 'later');
    await deliverPending(deliveryDeps(deps), more);
    const next = new RecordingPublisher();
    await sweep({ ...deps, publisher: next });
    expect(next.records.map((r) => r.alert.headline)).toEqual([expect.stringMatching(/^3 more HIGH alerts since/)]);
  });
});
