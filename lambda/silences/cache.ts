import type { Telemetry } from '../core/telemetry';
import type { Ack } from '../state/ack-items';
import type { Silence } from '../state/silence-items';
import type { StateStore } from '../state/store';
import { listMuting, type Muting } from './ack-store';

/** Where a pipeline gets the silences from: once per invocation, never per event. */
export interface SilenceSource {
  list(): Promise<readonly Silence[]>;
}

/** Where a pipeline gets the acknowledgements from: the same way, once per invocation. */
export interface AckSource {
  list(): Promise<readonly Ack[]>;
}

/** How long a container keeps the silences it read: a new (or expired) silence takes effect within this. */
export const SILENCE_CACHE_MS = 60_000;

/**
 * The silences as last read, for at most maxAgeMs (counted from the start of the read, so the list is never
 * older than that). Concurrent callers share one read; a failed read is not kept (the next call reads again,
 * and the failing call throws: the batch is retried rather than processed as if nothing were silenced).
 */
export class SilenceCache<T = readonly Silence[]> {
  private cached?: { readonly readAt: number; readonly silences: T };
  private reading?: Promise<T>;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly clock: () => Date = () => new Date(),
    readonly maxAgeMs = SILENCE_CACHE_MS,
  ) {}

  list(): Promise<T> {
    const now = this.clock().getTime();
    if (this.cached) {
      const age = now - this.cached.readAt;
      if (age >= 0 && age < this.maxAgeMs) return Promise.resolve(this.cached.silences);
    }
    if (!this.reading) {
      this.reading = this.read()
        .then((silences) => {
          this.cached = { readAt: now, silences };
          return silences;
        })
        .finally(() => {
          this.reading = undefined;
        });
    }
    return this.reading;
  }
}

const perStore = new WeakMap<StateStore, SilenceCache<Muting>>();

/** One cache per store of the silences and acknowledgements, read with one Query (ack-store.ts, listMuting). */
function mutingCache(deps: { readonly store: StateStore; readonly telemetry: Telemetry }): SilenceCache<Muting> {
  let cache = perStore.get(deps.store);
  if (!cache) {
    const { store, telemetry } = deps;
    cache = new SilenceCache<Muting>(() => listMuting(store, (error) => telemetry.error('unreadable silence item skipped', { reason: error.message })));
    perStore.set(store, cache);
  }
  return cache;
}

/**
 * The pipelines' silences: deps.silences when given (tests, replay), else one cache per store. Handlers build
 * their store once per container (handlers/runtime.ts), so that is one cache per container.
 */
export function silenceSource(deps: { readonly store: StateStore; readonly telemetry: Telemetry; readonly silences?: SilenceSource }): SilenceSource {
  if (deps.silences) return deps.silences;
  const cache = mutingCache(deps);
  return { list: async () => (await cache.list()).silences };
}

const NO_ACK_SOURCE: AckSource = { list: async () => [] };

/**
 * The pipelines' acknowledgements: deps.acks when given, else the same cache as the silences (the same Query
 * reads both, so asking for both costs one request a minute per container).
 */
export function ackSource(deps: {
  readonly store: StateStore;
  readonly telemetry: Telemetry;
  readonly silences?: SilenceSource;
  readonly acks?: AckSource;
}): AckSource {
  if (deps.acks) return deps.acks;
  // Given its silences (a replay, a test), a pipeline is given its acknowledgements too, or has none.
  if (deps.silences) return NO_ACK_SOURCE;
  const cache = mutingCache(deps);
  return { list: async () => (await cache.list()).acks };
}
