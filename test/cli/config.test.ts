import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings';
import { ConfigError, settingsFromConfig } from '../../src/cli/config';
import { readInputs } from '../../src/cli/inputs';

/** `replay --config`: the settings, and silences to try on recorded events. */
describe('replay --config silences', () => {
  const config = (value: unknown) => settingsFromConfig('c.json', value);

  test('in the words of silence add; from defaults to any time before until, author to replay, ids to S-1, S-2...', () => {
    const parsed = config({
      knownErrors: 'alert',
      silences: [
        { bucket: 'legacy-*', until: '2024-06-07', reason: 'migration' },
        {
          id: 's-7kq2',
          account: '111122223333',
          type: 'ACCOUNT_DISASSOCIATED',
          from: '2024-06-01T00:00:00Z',
          until: '2024-06-07T12:00:00+02:00',
          author: 'alice',
          reason: 'moving',
        },
      ],
    });
    expect(parsed.settings).toEqual({ ...DEFAULT_SETTINGS, knownErrors: 'alert' });
    expect(parsed.silences).toEqual([
      {
        id: 'S-1',
        match: { bucket: 'legacy-*' },
        startsAt: '1970-01-01T00:00:00.000Z',
        endsAt: '2024-06-07T00:00:00.000Z',
        author: 'replay',
        reason: 'migration',
        createdAt: '1970-01-01T00:00:00.000Z',
      },
      {
        id: 'S-7KQ2',
        match: { accountId: '111122223333', type: 'ACCOUNT_DISASSOCIATED' },
        startsAt: '2024-06-01T00:00:00.000Z',
        endsAt: '2024-06-07T10:00:00.000Z',
        author: 'alice',
        reason: 'moving',
        createdAt: '2024-06-01T00:00:00.000Z',
      },
    ]);
    expect(config({}).silences).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    ['not an array', { silences: { bucket: 'b' } }, '"silences" must be an array'],
    ['not an object', { silences: ['b'] }, 'silences[0]: expected an object'],
    ['an unknown field', { silences: [{ bucket: 'b', until: '2024-06-07', reason: 'r', for: '7d' }] }, 'silences[0]: unknown field "for"'],
    ['no matcher', { silences: [{ until: '2024-06-07', reason: 'r' }] }, 'silences[0]: a silence needs at least one matcher'],
    ['no until', { silences: [{ bucket: 'b', reason: 'r' }] }, 'silences[0]: "until" must be an ISO 8601 time'],
    ['a bad until', { silences: [{ bucket: 'b', until: 'soon', reason: 'r' }] }, 'silences[0]: "until" must be an ISO 8601 time'],
    ['from after until', { silences: [{ bucket: 'b', from: '2024-06-08', until: '2024-06-07', reason: 'r' }] }, 'silences[0]: "from" must be before "until"'],
    ['no reason', { silences: [{ bucket: 'b', until: '2024-06-07' }] }, 'silences[0]: "reason" is required'],
    ['a type never silenced', { silences: [{ type: 'DisableMacie', until: '2024-06-07', reason: 'r' }] }, 'DisableMacie alerts cannot be silenced'],
    ['a bad id', { silences: [{ id: 'seven', bucket: 'b', until: '2024-06-07', reason: 'r' }] }, 'is not a silence id'],
    [
      'the same id twice',
      {
        silences: [
          { id: 'S-A', bucket: 'b', until: '2024-06-07', reason: 'r' },
          { id: 'S-A', bucket: 'c', until: '2024-06-07', reason: 'r' },
        ],
      },
      'silences[1]: id S-A is used twice',
    ],
    ['a number where text goes', { silences: [{ account: 111122223333, until: '2024-06-07', reason: 'r' }] }, 'silences[0]: "account" must be a string'],
  ])('%s: a ConfigError naming the file, the silence and the field', (_name, value, message) => {
    let error: unknown;
    try {
      config(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^--config c\.json: /);
    expect((error as Error).message).toContain(message);
  });

  test('a directory being replayed never reads its settings files as events: the --config file, and any *.config.json', () => {
    const root = mkdtempSync(join(tmpdir(), 'replay-config-'));
    const event = JSON.stringify({
      adminAccountId: '123456789012',
      jobId: 'j',
      eventType: 'JOB_CREATED',
      occurredAt: '2024-06-03T00:00:00Z',
      description: 'd',
      jobName: 'J',
    });
    writeFileSync(join(root, 'a.json'), event);
    writeFileSync(join(root, 'settings.json'), JSON.stringify({ knownErrors: 'alert' }));
    writeFileSync(join(root, 'team.config.json'), JSON.stringify({ silences: [] }));
    const read = readInputs([root], { skip: join(root, 'settings.json') });
    expect(read.files).toEqual([join(root, 'a.json')]);
    expect(read.problems).toEqual([]);
    // Named explicitly, a file is read whatever its name (and a settings object is no event).
    expect(readInputs([join(root, 'team.config.json')]).problems).toHaveLength(1);
  });
});
