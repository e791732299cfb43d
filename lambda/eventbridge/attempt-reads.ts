import type { PipelineDeps } from '../pipeline-deps';
import { keyString, type Item } from '../state/store';
import type { ItemKey } from '../state/table';

/**
 * The items one attempt has read. A key asked for once is known, found or absent, so what the route read
 * (a finding's job, and the groups it guessed) is not read again for the aggregates.
 */
export class AttemptReads {
  private readonly asked = new Set<string>();
  private readonly found = new Map<string, Item>();

  /** @param withFirstRead keys to fetch along with whatever is read first (the engine's markers, on a retry) */
  constructor(
    private readonly store: PipelineDeps['store'],
    private withFirstRead: readonly ItemKey[] = [],
  ) {}

  /** Reads the keys not read yet: one BatchGetItem per 100 keys, none when every key is known. */
  async read(itemKeys: readonly ItemKey[]): Promise<void> {
    const wanted = [...this.withFirstRead, ...itemKeys];
    this.withFirstRead = [];
    const missing = [...new Map(wanted.map((k) => [keyString(k), k])).entries()].filter(([k]) => !this.asked.has(k));
    if (missing.length === 0) return;
    const got = await this.store.getMany(missing.map(([, key]) => key));
    for (const [k] of missing) this.asked.add(k);
    for (const [k, item] of got) this.found.set(k, item);
  }

  get(key: ItemKey): Item | undefined {
    return this.found.get(keyString(key));
  }

  entries(): IterableIterator<[string, Item]> {
    return this.found.entries();
  }
}
