/** Maps keyed by event type or account, read by own keys only: "constructor" is an event type like any other. */

export function own<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

export function countOf(map: Readonly<Record<string, number>>, key: string): number {
  return own(map, key) ?? 0;
}

/** A mutable copy with no prototype, so no key is inherited. */
export function copyMap<T>(map: Readonly<Record<string, T>> | undefined): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, map);
}
