/**
 * The accounts a run's errors named, exactly: which error types named each account, and whether an account
 * error of it was told (inhibition reads that). Kept on the run item in a packed form whose size is bounded by
 * Macie itself: an administrator has at most 10,000 member accounts, and each 12-digit account takes 6 bytes
 * (5 for the number, 1 for its flags), so at most about 60 KB whatever the number of buckets or events
 * (docs/scale.md). Flags: whether an account error was told, and one bit per error type that named accounts
 * (`types`, by name), so each has an exact account count. Stored, a record's flags take one byte while the run's
 * types number at most seven (bit 7: told), and a byte more per eight types after that (at most 30 types: Macie
 * logs about 15 error types, so in practice every type is counted). Account ids that are not 12 digits
 * (the log is not ours to trust) are kept by name, up to OTHER_ACCOUNTS_CAP; past it they are counted in
 * `dropped`, and every count says "at least".
 */
export interface RunAccounts {
  /** The error types a flag bit stands for, by bit. */
  readonly types: readonly string[];
  /** Account -> flags. */
  readonly flags: ReadonlyMap<string, number>;
  /** Distinct accounts not kept (not 12 digits, past OTHER_ACCOUNTS_CAP): counts are lower bounds then. */
  readonly dropped: number;
}

/** Error types with a bit of their own; in memory, bits 0-29 are types and bit 30 is TOLD. */
export const TYPE_BITS = 30;
export const TOLD = 1 << TYPE_BITS;
export const OTHER_ACCOUNTS_CAP = 100;
const ID_BYTES = 5;

/** Flag bytes per stored record for a run with `types` types: bit 7 of the first is told. Pure. */
export function flagBytes(types: number): number {
  return Math.max(1, Math.ceil((types + 1) / 8));
}

/** In-memory flags -> stored: types 0-6 in bits 0-6, told in bit 7, types 7 on from bit 8 (the layout of one byte, widened). */
function storedFlags(f: number): number {
  const types = f & (TOLD - 1);
  return ((types & 0x7f) | (f & TOLD ? 0x80 : 0)) + Math.floor(types / 0x80) * 0x100;
}

function memoryFlags(stored: number): number {
  return (stored & 0x7f) | (stored & 0x80 ? TOLD : 0) | (Math.floor(stored / 0x100) << 7);
}
const ACCOUNT_ID = /^\d{12}$/;

export const NO_ACCOUNTS: RunAccounts = { types: [], flags: new Map(), dropped: 0 };

/** Changes a run's accounts one event at a time; copies what it read on its first change only. */
export class RunAccountsBuilder {
  private types: string[] | undefined;
  private flags: Map<string, number> | undefined;
  private dropped: number;
  private others: number;

  constructor(private readonly read: RunAccounts) {
    this.dropped = read.dropped;
    this.others = [...read.flags.keys()].filter((a) => !ACCOUNT_ID.test(a)).length;
  }

  /** An error of `type` named `account`; `told`: an account error of it was told. */
  add(account: string, type: string | undefined, told = false): void {
    if (!(this.flags ?? this.read.flags).has(account) && !ACCOUNT_ID.test(account) && this.others >= OTHER_ACCOUNTS_CAP) {
      this.dropped++;
      return;
    }
    let bit = 0;
    if (type !== undefined) {
      const types = this.types ?? this.read.types;
      let i = types.indexOf(type);
      if (i < 0 && types.length < TYPE_BITS) i = this.insertType(type);
      if (i >= 0) bit = 1 << i;
    }
    // Read after the type is placed: placing it may have moved the bits.
    const was = (this.flags ?? this.read.flags).get(account);
    const next = (was ?? 0) | bit | (told ? TOLD : 0);
    if (next === was) return;
    if (was === undefined && !ACCOUNT_ID.test(account)) this.others++;
    this.flags ??= new Map(this.read.flags);
    this.flags.set(account, next);
  }

  /**
   * Types are kept by name, so the same events give the same bits in any order: a type placed before others
   * moves their bits up one.
   */
  private insertType(type: string): number {
    const types = [...(this.types ?? this.read.types)];
    let i = types.length;
    while (i > 0 && types[i - 1] > type) i--;
    types.splice(i, 0, type);
    this.types = types;
    const low = (1 << i) - 1;
    const shift = (f: number) => (f & TOLD) | (f & low) | ((f & ~low & ~TOLD & (TOLD - 1)) << 1);
    if (i < types.length - 1) this.flags = new Map([...(this.flags ?? this.read.flags)].map(([a, f]) => [a, shift(f)]));
    return i;
  }

  get result(): RunAccounts {
    if (!this.flags && !this.types && this.dropped === this.read.dropped) return this.read;
    return { types: this.types ?? this.read.types, flags: this.flags ?? this.read.flags, dropped: this.dropped };
  }
}

/** How many accounts (of one error type, or any), and whether that is exact. Pure. */
export function accountCount(accounts: RunAccounts, type?: string): { readonly count: number; readonly exact: boolean } {
  if (type === undefined) return { count: accounts.flags.size, exact: accounts.dropped === 0 };
  const i = accounts.types.indexOf(type);
  if (i < 0) return { count: 0, exact: false };
  let count = 0;
  for (const f of accounts.flags.values()) if (f & (1 << i)) count++;
  return { count, exact: accounts.dropped === 0 };
}

/** The first `n` accounts by name (of one error type, or any). Pure. */
export function firstAccounts(accounts: RunAccounts, n: number, type?: string): string[] {
  const bit = type === undefined ? 0 : 1 << accounts.types.indexOf(type);
  const names = [...accounts.flags].filter(([, f]) => bit === 0 || f & bit).map(([a]) => a);
  return names.sort().slice(0, n);
}

/** The accounts an account error of which was told. */
export function toldAccountSet(accounts: RunAccounts): ReadonlySet<string> {
  return new Set([...accounts.flags].filter(([, f]) => f & TOLD).map(([a]) => a));
}

/** The stored form: 12-digit accounts as records (5 bytes, then flagBytes) sorted by account (smallest first), the rest by name. */
export interface StoredAccounts {
  readonly accountIds?: Uint8Array;
  readonly accountTypes?: string[];
  readonly otherAccounts?: Record<string, number>;
  readonly accountsDropped?: number;
}

export function packAccounts(accounts: RunAccounts): StoredAccounts {
  if (accounts.flags.size === 0 && accounts.dropped === 0) return {};
  const numeric = [...accounts.flags].filter(([a]) => ACCOUNT_ID.test(a)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const width = ID_BYTES + flagBytes(accounts.types.length);
  const packed = new Uint8Array(numeric.length * width);
  numeric.forEach(([account, flags], i) => {
    let id = Number(account);
    for (let b = ID_BYTES - 1; b >= 0; b--) {
      packed[i * width + b] = id % 256;
      id = Math.floor(id / 256);
    }
    let stored = storedFlags(flags);
    for (let b = ID_BYTES; b < width; b++) {
      packed[i * width + b] = stored & 0xff;
      stored = Math.floor(stored / 256);
    }
  });
  const others = [...accounts.flags].filter(([a]) => !ACCOUNT_ID.test(a)).map(([a, f]): [string, number] => [a, storedFlags(f)]);
  return {
    ...(numeric.length > 0 ? { accountIds: packed } : {}),
    ...(accounts.types.length > 0 ? { accountTypes: [...accounts.types] } : {}),
    ...(others.length > 0 ? { otherAccounts: Object.fromEntries(others) } : {}),
    ...(accounts.dropped > 0 ? { accountsDropped: accounts.dropped } : {}),
  };
}

/** The stored form read back; `toldBefore`: accounts an item of the layout before this one listed as told. */
export function unpackAccounts(stored: StoredAccounts, toldBefore: readonly string[] = []): RunAccounts {
  const flags = new Map<string, number>();
  const ids = stored.accountIds;
  const width = ID_BYTES + flagBytes(stored.accountTypes?.length ?? 0);
  if (ids) {
    for (let i = 0; i + width <= ids.length; i += width) {
      let id = 0;
      for (let b = 0; b < ID_BYTES; b++) id = id * 256 + ids[i + b];
      let f = 0;
      for (let b = width - 1; b >= ID_BYTES; b--) f = f * 256 + ids[i + b];
      flags.set(String(id).padStart(12, '0'), memoryFlags(f));
    }
  }
  for (const [account, f] of Object.entries(stored.otherAccounts ?? {})) flags.set(account, memoryFlags(f));
  for (const account of toldBefore) flags.set(account, (flags.get(account) ?? 0) | TOLD);
  return { types: stored.accountTypes ?? [], flags, dropped: stored.accountsDropped ?? 0 };
}
