import { LONG_INPUT_EVENTS, PROGRESS_INTERVAL_MS, replayProgress } from '../../src/cli/progress';

/** A replay's progress on standard error, driven by a clock the test moves. */
function drive(isTTY: boolean, total: number, steps: readonly [atMs: number, processed: number, alerts: number][]): string {
  let now = 0;
  let alerts = 0;
  let written = '';
  const progress = replayProgress({ stderr: { write: (t: string) => (written += t), isTTY }, alerts: () => alerts, now: () => now });
  progress(0, total);
  for (const [at, processed, published] of steps) {
    now = at;
    alerts = published;
    progress(processed, total);
  }
  return written;
}

describe('replay progress', () => {
  test('off a terminal, a long input gets a line every few seconds with events and alerts, and no line once done', () => {
    const total = 50_000;
    const written = drive(false, total, [
      [1_000, 2_000, 1],
      [PROGRESS_INTERVAL_MS, 9_000, 2],
      [PROGRESS_INTERVAL_MS + 1_000, 11_000, 2],
      [2 * PROGRESS_INTERVAL_MS + 10, 20_000, 5],
      [3 * PROGRESS_INTERVAL_MS + 20, total, 9],
    ]);
    expect(written).toBe(
      'macie-alerts: replayed 9,000 of 50,000 events, 2 alerts so far\n' + 'macie-alerts: replayed 20,000 of 50,000 events, 5 alerts so far\n',
    );
  });

  test('off a terminal, a short input says nothing, however long it takes', () => {
    expect(
      drive(false, LONG_INPUT_EVENTS - 1, [
        [60_000, 500, 3],
        [120_000, 900, 4],
      ]),
    ).toBe('');
  });

  test('on a terminal, one line redrawn in place and erased at the end', () => {
    const written = drive(true, 412, [
      [50, 100, 0],
      [200, 120, 1],
      [400, 412, 3],
    ]);
    expect(written).toBe('\r\x1b[Kreplaying: 0/412 events, 0 alerts' + '\r\x1b[Kreplaying: 120/412 events, 1 alert' + '\r\x1b[K');
  });
});
