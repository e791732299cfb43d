import type { Telemetry } from '../core/telemetry';
import type { Silence } from '../state/silence-items';
import type { StateStore } from '../state/store';
import { listSilences } from './silence-store';

/** Where a pipeline gets the silences from: once per invocation, never per event. */
export interface SilenceSource {
  list(): Promise<readonly Silence[]>;
}

/** How long a container keeps the silences it read: a new (or expired) silence takes effect within this. */
export const SILENCE_CACHE_MS = 60_000;

/**
 * The silences as last read, for at most maxAgeMs (counted from the start of the read, so the list is never
 * older than that). Concurrent callers share one read; a failed read is not kept (the next call reads again,
 * and the failing call throws: the batch is retried rather than processed as if nothing were silenced).
 */
export class SilenceCache implements SilenceSource {
  private cached?: { readonly readAt: number; readonly silences: readonly Silence[] };
  private reading?: Promise<readonly Silence[]>;

  constructor(
    private readonly read: () => Promise<readonly Silence[]>,
    private readonly clock: () => Date = () => new Date(),
    readonly maxAgeMs = SILENCE_CACHE_MS,
  ) {}

  list(): Promise<readonly Silence[]> {
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

const perStore = new WeakMap<StateStore, SilenceCache>();

/**
 * The pipelines' silences: deps.silences when given (tests, replay), else one cache per store. Handlers build
 * their store once per container (handlers/runtime.ts), so that is one cache per container.
 */
export function silenceSource(deps: { readonly store: StateStore; readonly telemetry: Telemetry; readonly silences?: SilenceSource }): SilenceSource {
  if (deps.silences) return deps.silences;
  let cache = perStore.get(deps.store);
  if (!cache) {
    const { store, telemetry } = deps;
    cache = new SilenceCache(() => listSilences(store, (error) => telemetry.error('unreadable silence item skipped', { reason: error.message })));
    perStore.set(store, cache);
  }
  return cache;
}
