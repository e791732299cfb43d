import { RevealWindowCodec } from '../../lambda/api-calls/reveal-window';
import { EventMarkerCodec } from '../../lambda/eventbridge/event-marker';
import { FindingsGroupCodec } from '../../lambda/findings/findings-group';
import { PolicyFindingCodec } from '../../lambda/findings/policy-finding';
import { CorruptItemError, type ItemCodec } from '../../lambda/state/codec';
import type { Item } from '../../lambda/state/store';

/**
 * The items the earlier per-event pipelines wrote (apply-event-once) are what a deployed table holds when
 * this version arrives: each codec must read them, and write them back unchanged.
 */
const earlier: Record<string, readonly [ItemCodec<unknown>, Item & { pk: string; sk: string }]> = {
  'findings group': [
    FindingsGroupCodec,
    {
      pk: 'JOB#job-1',
      sk: 'FGROUP#2024-04-14T17:09:30.000Z#bucket-a#SensitiveData:S3Object/Financial',
      findingType: 'SensitiveData:S3Object/Financial',
      bucket: 'bucket-a',
      accountId: '111122223333',
      origin: 'job',
      jobId: 'job-1',
      runDate: '2024-04-14T17:09:30.000Z',
      sample: false,
      count: 3,
      bySeverity: { HIGH: 1, MEDIUM: 2 },
      firstAt: '2024-04-14T17:11:30.000Z',
      lastAt: '2024-04-14T17:12:30.000Z',
      firstFindingId: 'f-1',
      lastFindingId: 'f-3',
      lastAlertAt: '2024-04-14T17:11:30.000Z',
      alerts: 1,
      version: 4,
      pendingAlerts: new Set(['sd:job-1:2024-04-14T17:09:30.000Z:bucket-a:SensitiveData:S3Object/Financial:first']),
      expiresAt: 1_900_000_000,
    },
  ],
  'policy finding': [
    PolicyFindingCodec,
    {
      pk: 'FINDING#f-9',
      sk: 'FINDING',
      findingType: 'Policy:IAMUser/S3BucketPublic',
      bucket: 'team-share',
      accountId: '111122223333',
      sample: false,
      lastCount: 5,
      firstAt: '2024-04-14T17:11:30.000Z',
      lastAt: '2024-04-15T23:11:30.000Z',
      lastAlertAt: '2024-04-15T17:11:30.000Z',
      lastAlertCount: 4,
      alerts: 2,
      version: 5,
      expiresAt: 1_900_000_000,
    },
  ],
  'reveal window': [
    RevealWindowCodec,
    {
      pk: 'PRINCIPAL#arn:aws:sts::111122223333:assumed-role/Admin/JohnDoe',
      sk: 'REVEALS',
      principalArn: 'arn:aws:sts::111122223333:assumed-role/Admin/JohnDoe',
      principalType: 'AssumedRole',
      windowStart: '2024-04-14T10:00:00.000Z',
      count: 2,
      findingIds: ['f1', 'f2'],
      lastAt: '2024-04-14T10:03:00.000Z',
      lastAlertAt: '2024-04-14T10:00:00.000Z',
      alerts: 1,
      version: 2,
      expiresAt: 1_900_000_000,
    },
  ],
  'event marker (owning its alert)': [
    EventMarkerCodec,
    {
      pk: 'EVENT#eb-1',
      sk: 'EVENT',
      kind: 'api-call',
      appliedAt: '2024-04-14T10:00:01.000Z',
      expiresAt: 1_900_000_000,
      ownerPk: 'EVENT#eb-1',
      ownerSk: 'EVENT',
      version: 1,
      pendingAlerts: new Set(['api:ct-1']),
    },
  ],
};

describe.each(Object.entries(earlier))('%s', (_name, [codec, item]) => {
  it('reads the item the earlier version wrote and writes it back unchanged', () => {
    const decoded = codec.decode(item);
    expect(codec.encode(decoded)).toEqual(item);
  });

  it('names the item when a field is not what this version writes', () => {
    const broken = { ...item, [Object.keys(item)[2]]: 42 };
    expect(() => codec.decode(broken)).toThrow(CorruptItemError);
    expect(() => codec.decode(broken)).toThrow(`${item.pk} / ${item.sk} is not readable`);
  });
});

test('an event marker names the owner of its alerts', () => {
  expect(
    EventMarkerCodec.decode({
      pk: 'EVENT#finding:f-1:1',
      sk: 'EVENT',
      kind: 'finding',
      eventId: 'eb-7',
      appliedAt: 'x',
      ownerPk: 'JOB#j',
      ownerSk: 'FGROUP#r#b#t',
    }),
  ).toMatchObject({
    eventId: 'eb-7',
    owner: { pk: 'JOB#j', sk: 'FGROUP#r#b#t' },
  });
});
