import type { ReplayProgress } from './replay';

/**
 * What a replay says on standard error while it runs. On a terminal, one line redrawn in place and erased at
 * the end. Elsewhere (a file, a pipe, a CI log), where a redrawn line would pile up, a line every few seconds,
 * and only for a long input: a short replay, like the demo, says nothing but its output.
 */
export const PROGRESS_INTERVAL_MS = 5_000;
/** Below this many events a replay takes seconds: no progress lines off a terminal. */
export const LONG_INPUT_EVENTS = 1_000;
const TTY_REDRAW_MS = 100;

export interface ProgressOptions {
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Alerts published so far. */
  readonly alerts: () => number;
  readonly now?: () => number;
}

export function replayProgress({ stderr, alerts, now = Date.now }: ProgressOptions): ReplayProgress {
  let last = now();
  if (stderr.isTTY) {
    return (processed, total) => {
      const at = now();
      if (processed < total && processed > 0 && at - last < TTY_REDRAW_MS) return;
      last = at;
      stderr.write(processed >= total ? '\r\x1b[K' : `\r\x1b[Kreplaying: ${count(processed)}/${count(total)} events, ${plural(alerts(), 'alert')}`);
    };
  }
  return (processed, total) => {
    const at = now();
    if (total < LONG_INPUT_EVENTS || processed >= total || at - last < PROGRESS_INTERVAL_MS) return;
    last = at;
    stderr.write(`macie-alerts: replayed ${count(processed)} of ${count(total)} events, ${plural(alerts(), 'alert')} so far\n`);
  };
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}
