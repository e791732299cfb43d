import { APPLIED_EVENTS_CAP, appliedSet, digestKey, digestOf, withApplied } from '../../lambda/job-log/applied-events';

describe('applied log events: a bounded set of digests', () => {
  test('remembers every id up to the cap, then drops the oldest first', () => {
    const ids = Array.from({ length: APPLIED_EVENTS_CAP + 3 }, (_, i) => `3195310660696698337880902507980421114328961542${String(i).padStart(10, '0')}`);
    const stored = withApplied(withApplied(undefined, ids.slice(0, APPLIED_EVENTS_CAP).map(digestOf)), ids.slice(APPLIED_EVENTS_CAP).map(digestOf));
    const set = appliedSet(stored);
    expect(set.size).toBe(APPLIED_EVENTS_CAP);
    expect(stored.byteLength).toBe(APPLIED_EVENTS_CAP * 8);
    expect([0, 1, 2].map((i) => set.has(digestKey(digestOf(ids[i]))))).toEqual([false, false, false]);
    expect([3, APPLIED_EVENTS_CAP, APPLIED_EVENTS_CAP + 2].map((i) => set.has(digestKey(digestOf(ids[i]))))).toEqual([true, true, true]);
  });

  test('reads the binary attribute as DynamoDB returns it (a Uint8Array view, not a Buffer)', () => {
    const digests = ['a', 'b'].map(digestOf);
    const raw = new Uint8Array(Buffer.concat(digests));
    expect(appliedSet(raw)).toEqual(new Set(digests.map(digestKey)));
    expect(appliedSet(undefined).size).toBe(0);
  });
});
