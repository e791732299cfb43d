import { createHash } from 'node:crypto';
import { instantOf } from '../../lambda/core/iso-time';
import { APPLIED_EVENTS_CAP, DigestSet, digestBytes, digestOf, mayHaveApplied, newestDigests } from '../../lambda/job-log/applied-events';

const digestsOf = (logEventIds: readonly string[]) => digestBytes(logEventIds.map(digestOf));

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `3195310660696698337880902507980421114328961542${String(from + i).padStart(10, '0')}`);
const has = (set: DigestSet, id: string) => set.has(digestOf(id));

describe('applied log events: digests, and when a batch must look them up', () => {
  test("stored digests are the first 8 bytes of each id's SHA-1, one after the other (the layout items already hold)", () => {
    const all = digestsOf(['a', 'b', 'c']);
    expect(all.length).toBe(24);
    expect(all.subarray(8, 16)).toEqual(createHash('sha1').update('b').digest().subarray(0, 8));
    expect(new DigestSet([all]).has(digestOf('c'))).toBe(true);
    expect(new DigestSet([all]).has(digestOf('x'))).toBe(false);
  });

  test('the newest digests: items read newest first, taken until they hold the cap, the oldest cut to fit it', () => {
    const batches = [ids(APPLIED_EVENTS_CAP - 5, 0), ids(4, APPLIED_EVENTS_CAP - 5), ids(4, APPLIED_EVENTS_CAP - 1)];
    const itemsNewestFirst = batches.map(digestsOf).reverse();
    const set = new DigestSet(newestDigests([...itemsNewestFirst, digestsOf(['older than every item'])]));
    expect(set.size).toBe(APPLIED_EVENTS_CAP);
    const all = batches.flat();
    expect(all.slice(0, 3).map((id) => has(set, id))).toEqual([false, false, false]);
    expect([all[3], all[APPLIED_EVENTS_CAP], all.at(-1)!].map((id) => has(set, id))).toEqual([true, true, true]);
    expect(has(set, 'older than every item')).toBe(false);
    expect(new DigestSet(newestDigests(itemsNewestFirst, 2)).size).toBe(2);
  });

  test('reads digests as DynamoDB returns them (a Uint8Array view, not a Buffer)', () => {
    const raw = new Uint8Array(digestsOf(['a', 'b']));
    expect(has(new DigestSet([raw]), 'b')).toBe(true);
    expect(new DigestSet().size).toBe(0);
  });

  test("only a batch with an event no newer than the run's newest may repeat one", () => {
    const run = { lastEventAt: '2024-04-14T17:11:30.574809Z' };
    const at = (...times: string[]) => times.map((t) => ({ at: instantOf(t) }));
    expect(mayHaveApplied(undefined, at('2000-01-01T00:00:00Z'))).toBe(false);
    expect(mayHaveApplied(run, at('2024-04-14T17:11:30.57481Z', '2024-04-14T19:11:30.574809+02:00'))).toBe(false);
    expect(mayHaveApplied(run, at('2024-04-14T18:00:00Z', run.lastEventAt))).toBe(true);
    expect(mayHaveApplied(run, at('2024-04-14T17:11:30Z'))).toBe(true);
  });
});
