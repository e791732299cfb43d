import { CorruptItemError } from '../state/codec';
import { SilenceCodec, type Silence } from '../state/silence-items';
import { ConditionalWriteConflict, notExists, unchangedSince, withOptimisticRetry, type StateStore } from '../state/store';
import { keys, SILENCE_PARTITION } from '../state/table';
import { randomSilenceId } from './silence';

/**
 * Silences in the state table: listed with one Query (the SILENCE partition), added with a conditional put
 * (ids are unique), expired Alertmanager's way: the end is set to now and the item stays, for the record,
 * until its TTL (SILENCE_RECORD_DAYS after the end).
 */

/**
 * Every silence still in the table (active, not started, or ended less than SILENCE_RECORD_DAYS ago), by id.
 * Items past their TTL are left out even before DynamoDB deletes them. An item that is not a silence this
 * version can read is skipped and reported: one hand-edited item must not stop every alert.
 */
export async function listSilences(store: StateStore, onUnreadable: (error: CorruptItemError) => void = () => undefined): Promise<Silence[]> {
  const silences: Silence[] = [];
  for (const item of await store.listPrefix(SILENCE_PARTITION, 'S-')) {
    try {
      silences.push(SilenceCodec.decode(item));
    } catch (error) {
      if (!(error instanceof CorruptItemError)) throw error;
      onUnreadable(error);
    }
  }
  return silences.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export type NewSilence = Omit<Silence, 'id' | 'version'>;

/** Writes a new silence under a fresh id (another id is drawn if that one exists) and returns it. */
export async function addSilence(store: StateStore, silence: NewSilence, newId: () => string = randomSilenceId): Promise<Silence> {
  for (let attempt = 1; ; attempt++) {
    const added: Silence = { ...silence, id: newId(), version: 1 };
    try {
      await store.write([{ kind: 'put', item: SilenceCodec.encode(added), condition: notExists }]);
      return added;
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || attempt >= 10) throw error;
    }
  }
}

export interface Expired {
  readonly silence: Silence;
  /** It had ended already (at silence.endsAt): nothing was changed. */
  readonly alreadyEnded: boolean;
}

/** Ends a silence now. Undefined when there is no silence with that id (or only one past its TTL). */
export async function expireSilence(store: StateStore, id: string, now: Date): Promise<Expired | undefined> {
  return withOptimisticRetry(async () => {
    const item = await store.get(keys.silence(id));
    if (!item) return undefined;
    const read = SilenceCodec.decode(item);
    if (Date.parse(read.endsAt) <= now.getTime()) return { silence: read, alreadyEnded: true };
    const silence: Silence = { ...read, endsAt: now.toISOString(), plannedEndsAt: read.plannedEndsAt ?? read.endsAt, version: (read.version ?? 0) + 1 };
    await store.write([{ kind: 'put', item: SilenceCodec.encode(silence), condition: unchangedSince(read) }]);
    return { silence, alreadyEnded: false };
  });
}
