import { AckCodec, type Ack } from '../state/ack-items';
import { CorruptItemError } from '../state/codec';
import { ConditionalWriteConflict, notExists, unchangedSince, withOptimisticRetry, type StateStore } from '../state/store';
import { SilenceCodec, type Silence } from '../state/silence-items';
import { keys, SILENCE_PARTITION } from '../state/table';
import { randomAckId } from './ack';

/** Acknowledgements in the state table, as the silences (silence-store.ts): one Query, conditional put, expire in place. */
export async function listAcks(store: StateStore, onUnreadable: (error: CorruptItemError) => void = () => undefined): Promise<Ack[]> {
  const acks: Ack[] = [];
  for (const item of await store.listPrefix(SILENCE_PARTITION, 'A-')) {
    try {
      acks.push(AckCodec.decode(item));
    } catch (error) {
      if (!(error instanceof CorruptItemError)) throw error;
      onUnreadable(error);
    }
  }
  return acks.sort(byId);
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** What holds alerts back: the silences and the acknowledgements, by id. */
export interface Muting {
  readonly silences: readonly Silence[];
  readonly acks: readonly Ack[];
}

/** The silences and the acknowledgements with one Query of their partition: what the pipelines' cache reads. */
export async function listMuting(store: StateStore, onUnreadable: (error: CorruptItemError) => void = () => undefined): Promise<Muting> {
  const silences: Silence[] = [];
  const acks: Ack[] = [];
  for (const item of await store.listPartition(SILENCE_PARTITION)) {
    const sk = String(item.sk);
    try {
      if (sk.startsWith('S-')) silences.push(SilenceCodec.decode(item));
      else if (sk.startsWith('A-')) acks.push(AckCodec.decode(item));
    } catch (error) {
      if (!(error instanceof CorruptItemError)) throw error;
      onUnreadable(error);
    }
  }
  return { silences: silences.sort(byId), acks: acks.sort(byId) };
}

export type NewAck = Omit<Ack, 'id' | 'version'>;

export async function addAck(store: StateStore, ack: NewAck, newId: () => string = randomAckId): Promise<Ack> {
  for (let attempt = 1; ; attempt++) {
    const added: Ack = { ...ack, id: newId(), version: 1 };
    try {
      await store.write([{ kind: 'put', item: AckCodec.encode(added), condition: notExists }]);
      return added;
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || attempt >= 10) throw error;
    }
  }
}

/** Ends an acknowledgement now: the reminders it held resume. Undefined when there is none with that id. */
export async function expireAck(store: StateStore, id: string, now: Date): Promise<{ ack: Ack; alreadyEnded: boolean } | undefined> {
  return withOptimisticRetry(async () => {
    const item = await store.get(keys.ack(id));
    if (!item) return undefined;
    const read = AckCodec.decode(item);
    if (Date.parse(read.endsAt) <= now.getTime()) return { ack: read, alreadyEnded: true };
    const ack: Ack = { ...read, endsAt: now.toISOString(), version: (read.version ?? 0) + 1 };
    await store.write([{ kind: 'put', item: AckCodec.encode(ack), condition: unchangedSince(read) }]);
    return { ack, alreadyEnded: false };
  });
}
