import { budgetHour, decideSmsBudget, emptyCounter, smsBudgetCodec, type SmsBudgetCounter } from '../../lambda/delivery/sms-budget';
import type { Severity } from '../../lambda/core/severity';
import { smsNoticeDue, smsNotice } from '../../lambda/sweeper/sms-budget-notice';

const at = new Date('2026-12-07T02:10:00.000Z');
const hour = budgetHour(at);
const alerts = (n: number, severity: Severity = 'HIGH', from = 0) => Array.from({ length: n }, (_, i) => ({ id: `a${from + i}`, severity }));
const counter = (over: Partial<SmsBudgetCounter> = {}): SmsBudgetCounter => ({ ...emptyCounter(hour), ...over });

describe('the SMS budget decision', () => {
  it.each<[string, SmsBudgetCounter, { id: string; severity: Severity }[], number, string[], Partial<SmsBudgetCounter>]>([
    ['room for all', counter(), alerts(3), 10, ['within-budget', 'within-budget', 'within-budget'], { allowed: ['a0', 'a1', 'a2'], refused: 0 }],
    [
      'the budget runs out inside a chunk',
      counter({ allowed: ['x1', 'x2'] }),
      alerts(3),
      3,
      ['within-budget', 'over-budget', 'over-budget'],
      { allowed: ['x1', 'x2', 'a0'], refused: 2, untold: { HIGH: 2 }, untoldSince: at.toISOString() },
    ],
    ['an id the hour let through is not counted again', counter({ allowed: ['a0'] }), alerts(1), 1, ['already-allowed'], { allowed: ['a0'], refused: 0 }],
    [
      'refusals add to the untold, keeping when they began',
      counter({ allowed: ['x'], refused: 3, told: 1, untold: { MEDIUM: 2 }, untoldSince: '2026-12-07T02:01:00.000Z' }),
      [...alerts(1, 'HIGH'), ...alerts(1, 'MEDIUM', 1)],
      1,
      ['over-budget', 'over-budget'],
      { refused: 5, told: 1, untold: { MEDIUM: 3, HIGH: 1 }, untoldSince: '2026-12-07T02:01:00.000Z' },
    ],
    ['a budget of 0 refuses all (never configured so: 0 means no budget)', counter(), alerts(1), 0, ['over-budget'], { refused: 1 }],
  ])('%s', (_name, before, candidates, max, reasons, after) => {
    const { decisions, next } = decideSmsBudget(before, candidates, max, at);
    expect(candidates.map((c) => decisions.get(c.id)?.reason)).toEqual(reasons);
    expect(candidates.map((c) => decisions.get(c.id)?.route)).toEqual(reasons.map((r) => (r === 'over-budget' ? 'false' : 'true')));
    expect(next).toMatchObject(after);
    expect(next.version).toBe(before.version + 1);
    expect(next.allowed.length).toBeLessThanOrEqual(Math.max(max, before.allowed.length));
  });

  it('keeps the counter bounded: long ids by a fixed-size key part', () => {
    const long = 'x'.repeat(5000);
    const { next } = decideSmsBudget(counter(), [{ id: long, severity: 'HIGH' }], 10, at);
    expect(Buffer.byteLength(next.allowed[0])).toBeLessThanOrEqual(200);
    expect(decideSmsBudget(next, [{ id: long, severity: 'HIGH' }], 10, at).decisions.get(long)?.reason).toBe('already-allowed');
  });

  it('round-trips through its item, and expires two days after its hour', () => {
    const c = counter({ allowed: ['a'], refused: 2, untold: { HIGH: 2 }, untoldSince: at.toISOString(), version: 3 });
    const item = smsBudgetCodec.encode(c);
    expect(item).toMatchObject({ pk: 'SMSBUDGET', sk: '2026-12-07T02' });
    expect(smsBudgetCodec.decode(item)).toEqual(c);
    expect(c.expiresAt).toBe(Date.parse('2026-12-07T03:00:00.000Z') / 1000 + 48 * 3600);
  });
});

describe('the notice of what the budget kept from SMS', () => {
  it.each<[string, Partial<SmsBudgetCounter>, string | undefined]>([
    ['nothing refused', {}, undefined],
    ['all told', { refused: 4, told: 4 }, undefined],
    ['7 HIGH untold', { refused: 7, untold: { HIGH: 7 }, untoldSince: '2026-12-07T02:10:00.000Z' }, '7 more HIGH alerts since 02:10 UTC: see email or chat'],
    ['one', { refused: 1, untold: { LOW: 1 }, untoldSince: '2026-12-07T02:59:00.000Z' }, '1 more LOW alert since 02:59 UTC: see email or chat'],
    [
      'several severities, most severe first',
      { refused: 9, told: 2, untold: { MEDIUM: 4, HIGH: 3 }, untoldSince: '2026-12-07T02:30:00.000Z' },
      '7 more alerts (3 HIGH, 4 MEDIUM) since 02:30 UTC: see email or chat',
    ],
  ])('%s', (_name, over, headline) => {
    const due = smsNoticeDue(counter(over));
    expect(due && smsNotice({ region: 'us-east-1' }, due, 10).headline).toEqual(headline);
    if (due) expect(due.alertId).toBe(`smsbudget:${hour}:${over.refused}`);
  });
});
