import type { StateStore, WriteOp } from '../../lambda/state/store';

/** A clock the test moves; pass `now` to the store too, so TTLs and the sweeper agree on "now". */
export class TestClock {
  constructor(public at: Date) {}
  readonly now = () => this.at;
  advance(ms: number) {
    this.at = new Date(this.at.getTime() + ms);
  }
  set(iso: string) {
    this.at = new Date(iso);
  }
}

/** A store whose next write matching `when` first lets `race` run (once): another writer landing between a read and a write. */
export function racingStore(store: StateStore, when: (ops: readonly WriteOp[]) => boolean, race: () => Promise<unknown>): StateStore & { raced: boolean } {
  const racing = Object.create(store) as StateStore & { raced: boolean };
  racing.raced = false;
  racing.write = async (ops) => {
    if (!racing.raced && when(ops)) {
      racing.raced = true;
      await race();
    }
    return store.write(ops);
  };
  return racing;
}

/**
 * A store whose DynamoDB requests `refuse` may fail with the error it returns (as DynamoDB would fail them):
 * a fault DynamoDB Local does not time, such as a conflict with a concurrent transaction. `refused` counts them.
 */
export function refusingStore(store: StateStore, refuse: (input: Record<string, unknown>) => Error | undefined): StateStore & { refused: number } {
  const send = store.doc.send.bind(store.doc);
  const refusing = Object.create(store) as StateStore & { refused: number };
  refusing.refused = 0;
  const doc = Object.assign(Object.create(store.doc), {
    send: async (command: { input: Record<string, unknown> }) => {
      const error = refuse(command.input);
      if (error) {
        refusing.refused++;
        throw error;
      }
      return send(command as never);
    },
  });
  Object.defineProperty(refusing, 'doc', { value: doc });
  return refusing;
}
