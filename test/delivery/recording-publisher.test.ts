import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { buildSnsMessage } from '../../lambda/delivery/sns-message';
import { testAlert } from '../support/alerts';

describe('RecordingPublisher', () => {
  it('records each alert with the exact SNS message, in order', async () => {
    const seen: string[] = [];
    const publisher = new RecordingPublisher((r) => seen.push(r.alert.id));
    const [a, b, c] = ['a', 'b', 'c'].map((id) => testAlert(id));
    expect(await publisher.publish([a, b])).toEqual({ failed: [] });
    await publisher.publish([c]);
    expect(publisher.records).toEqual([a, b, c].map((alert) => ({ alert, message: buildSnsMessage(alert) })));
    expect(publisher.alerts.map((x) => x.id)).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(publisher.calls).toBe(2);
  });

  it('records a labelled copy with its label, rendered as SNS would carry it', async () => {
    const publisher = new RecordingPublisher();
    const [a, b] = ['a', 'b'].map((id) => testAlert(id));
    const repeat = { interruptedAt: '2024-04-14T18:00:00.000Z' };
    await publisher.publish([a, b], { repeats: new Map([['b', repeat]]) });
    expect(publisher.records).toEqual([
      { alert: a, message: buildSnsMessage(a) },
      { alert: b, message: buildSnsMessage(b, repeat), repeat },
    ]);
  });

  it('failNext(n) fails the next n alerts across calls, then publishes again', async () => {
    const publisher = new RecordingPublisher().failNext(3, 'throttled');
    const first = await publisher.publish([testAlert('a'), testAlert('b')]);
    const second = await publisher.publish([testAlert('c'), testAlert('d')]);
    expect(first.failed).toEqual([
      { alertId: 'a', reason: 'throttled' },
      { alertId: 'b', reason: 'throttled' },
    ]);
    expect(second.failed).toEqual([{ alertId: 'c', reason: 'throttled' }]);
    expect(publisher.alerts.map((x) => x.id)).toEqual(['d']);
    expect(publisher.failures.map((f) => f.alertId)).toEqual(['a', 'b', 'c']);
  });

  it('failWhen fails the alerts the predicate picks until cleared', async () => {
    const publisher = new RecordingPublisher().failWhen((alert) => (alert.id.startsWith('x') ? 'no endpoint' : false));
    const result = await publisher.publish([testAlert('x1'), testAlert('y1')]);
    expect(result.failed).toEqual([{ alertId: 'x1', reason: 'no endpoint' }]);
    publisher.failWhen(undefined);
    await publisher.publish([testAlert('x1')]);
    expect(publisher.alerts.map((x) => x.id)).toEqual(['y1', 'x1']);
  });
});
