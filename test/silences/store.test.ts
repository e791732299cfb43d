import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { SilenceCache, SILENCE_CACHE_MS } from '../../lambda/silences/cache';
import { addSilence, expireSilence, listSilences, type NewSilence } from '../../lambda/silences/silence-store';
import { SILENCE_RECORD_DAYS } from '../../lambda/state/silence-items';
import type { StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { freshStore } from '../support/dynamodb';

const NOW = new Date('2024-06-03T10:00:00.000Z');
const inDays = (d: number, from = NOW) => new Date(from.getTime() + d * 86_400_000);

function draft(match: NewSilence['match'], endsAt = inDays(7)): NewSilence {
  return { match, startsAt: NOW.toISOString(), endsAt: endsAt.toISOString(), author: 'alice', reason: 'migration', createdAt: NOW.toISOString() };
}

/** A store whose clock (for the TTL check on read) is set by the test (NOW unless changed). */
async function storeAt(clock: { now: Date } = { now: NOW }): Promise<StateStore> {
  return freshStore(() => clock.now);
}

describe('silences in the state table (DynamoDB Local)', () => {
  test('added, listed with one Query, expired: the item stays with its end moved to now and its TTL a week later', async () => {
    const clock = { now: NOW };
    const store = await storeAt(clock);
    const a = await addSilence(store, draft({ bucket: 'logs-*' }));
    const b = await addSilence(store, draft({ accountId: '111122223333' }));
    const before = store.requests.reads;
    const listed = await listSilences(store);
    expect(store.requests.reads - before).toBe(1);
    expect(listed.map((s) => s.id)).toEqual([a.id, b.id].sort());
    expect(listed.find((s) => s.id === a.id)).toEqual({ ...draft({ bucket: 'logs-*' }), id: a.id, version: 1 });

    const item = await store.get(keys.silence(a.id));
    expect(item).toMatchObject({ pk: 'SILENCE', sk: a.id, expiresAt: Math.floor(inDays(7 + SILENCE_RECORD_DAYS).getTime() / 1000) });

    const later = inDays(1);
    const expired = await expireSilence(store, a.id, later);
    expect(expired).toEqual({
      silence: { ...listed.find((s) => s.id === a.id), endsAt: later.toISOString(), plannedEndsAt: inDays(7).toISOString(), version: 2 },
      alreadyEnded: false,
    });
    expect(await store.get(keys.silence(a.id))).toMatchObject({
      endsAt: later.toISOString(),
      expiresAt: Math.floor(inDays(1 + SILENCE_RECORD_DAYS).getTime() / 1000),
    });
    // Expiring it again changes nothing and says so; an unknown id is undefined.
    expect(await expireSilence(store, a.id, inDays(2))).toMatchObject({ alreadyEnded: true, silence: { endsAt: later.toISOString(), version: 2 } });
    expect(await expireSilence(store, 'S-NONE', later)).toBeUndefined();
  });

  test('past its TTL a silence is gone from the list even before DynamoDB deletes it (the check on read)', async () => {
    const clock = { now: NOW };
    const store = await storeAt(clock);
    const s = await addSilence(store, draft({ jobId: 'job-1' }, inDays(1)));
    const ttl = Math.floor(inDays(1 + SILENCE_RECORD_DAYS).getTime() / 1000) * 1000;
    clock.now = new Date(ttl - 1);
    expect((await listSilences(store)).map((x) => x.id)).toEqual([s.id]);
    // TTLs are whole epoch seconds: past its TTL from the next second on (as the write conditions judge it).
    clock.now = new Date(ttl + 999);
    expect((await listSilences(store)).map((x) => x.id)).toEqual([s.id]);
    clock.now = new Date(ttl + 1000);
    expect(await listSilences(store)).toEqual([]);
    expect(await expireSilence(store, s.id, clock.now)).toBeUndefined();
  });

  test('ids are unique: an id that exists is drawn again', async () => {
    const store = await storeAt();
    const ids = ['S-AAAA', 'S-AAAA', 'S-AAAA', 'S-BBBB'];
    const first = await addSilence(store, draft({ jobId: 'a' }), () => ids.shift()!);
    const second = await addSilence(store, draft({ jobId: 'b' }), () => ids.shift()!);
    expect([first.id, second.id]).toEqual(['S-AAAA', 'S-BBBB']);
    expect((await listSilences(store)).map((s) => s.match.jobId)).toEqual(['a', 'b']);
  });

  test('an item that is not a silence this version can read is skipped and reported, never fatal', async () => {
    const store = await storeAt();
    const good = await addSilence(store, draft({ jobId: 'a' }));
    await store.doc.send(new PutCommand({ TableName: store.tableName, Item: { pk: 'SILENCE', sk: 'S-BAD1', id: 'S-BAD1', match: 'everything' } }));
    const unreadable: string[] = [];
    expect((await listSilences(store, (e) => unreadable.push(e.message))).map((s) => s.id)).toEqual([good.id]);
    expect(unreadable).toEqual([expect.stringContaining('silence item SILENCE / S-BAD1 is not readable')]);
  });
});

describe('the per-container cache: at most 60 s old', () => {
  test('a silence added after a read is seen at 60 s, not at 59.999 s (DynamoDB Local)', async () => {
    const store = await storeAt();
    let t = NOW.getTime();
    const cache = new SilenceCache(
      () => listSilences(store),
      () => new Date(t),
    );
    expect(await cache.list()).toEqual([]);
    const s = await addSilence(store, draft({ bucket: 'logs-*' }));
    t += SILENCE_CACHE_MS - 1;
    expect(await cache.list()).toEqual([]);
    t += 1;
    expect((await cache.list()).map((x) => x.id)).toEqual([s.id]);
  });

  test('one read while fresh, shared by concurrent callers; a failed read is not kept; a clock that went back reads again', async () => {
    let t = 0;
    let reads = 0;
    let fail = false;
    const cache = new SilenceCache(
      async () => {
        reads++;
        await new Promise((r) => setTimeout(r, 5));
        if (fail) throw new Error('throttled');
        return [];
      },
      () => new Date(t),
    );
    await Promise.all([cache.list(), cache.list(), cache.list()]);
    expect(reads).toBe(1);
    t = 30_000;
    await cache.list();
    expect(reads).toBe(1);
    t = 60_000;
    fail = true;
    await expect(cache.list()).rejects.toThrow('throttled');
    fail = false;
    await cache.list();
    expect(reads).toBe(3);
    t = 10_000;
    await cache.list();
    expect(reads).toBe(4);
  });
});
