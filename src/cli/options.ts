import { REGION_NAME } from '../../lib/region-name';

/**
 * Reading a command's options, shared by every command (args.ts for replay and redrive, silence.ts for
 * silence), so they all accept and refuse options the same way, and exit the same way.
 */

/** Exit statuses: everything understood / some input or option not understood / the command itself failed. */
export const EXIT = { ok: 0, failed: 1, notUnderstood: 2 } as const;

/** A mistake on the command line: printed with a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedOptions {
  readonly values: ReadonlyMap<string, string>;
  readonly flags: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/** `--name value`, `--name=value` and `--flag`; everything after `--` is positional. */
export function parseOptions(rest: readonly string[], valueOptions: ReadonlySet<string>, flagOptions: ReadonlySet<string>): ParsedOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(0, eq) : arg;
      if (flagOptions.has(name) && eq < 0) {
        if (flags.has(name)) throw new UsageError(`${name} given twice`);
        flags.add(name);
        continue;
      }
      if (!valueOptions.has(name)) throw new UsageError(flagOptions.has(name) ? `${name} takes no value` : `unknown option ${name}`);
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        value = rest[i + 1];
        i++;
      }
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      if (values.has(name)) throw new UsageError(`${name} given twice`);
      values.set(name, value);
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    positionals.push(arg);
  }
  return { values, flags, positionals };
}

export function regionOption(value: string | undefined): string | undefined {
  if (value !== undefined && !REGION_NAME.test(value)) throw new UsageError(`--region "${value}" is not a Region name (e.g. us-east-1)`);
  return value;
}

/** CloudFormation stack names (or ids): letters, digits and hyphens, starting with a letter, at most 128 characters. */
export function stackOption(value: string | undefined): string | undefined {
  if (value !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(value) && !value.startsWith('arn:'))
    throw new UsageError(`--stack "${value}" is not a stack name`);
  return value;
}
