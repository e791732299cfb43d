import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SEVERITIES } from '../../lambda/core/severity';
import { JavaMissingError, createStateTable } from '../../src/local/dynamodb-local';
import { testDynamoClient } from '../support/dynamodb';

/**
 * End to end, as a user runs it: `node bin/macie-alerts-cli.js replay ...` in a child process. Most runs use
 * `--endpoint/--table` with a fresh table in the DynamoDB Local jest already started (starting one per run
 * costs seconds); one run uses the embedded DynamoDB, as `npm run demo` does.
 */
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'macie-alerts-cli.js');
const SAMPLES = join(ROOT, 'samples');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number | string }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

async function withTable(): Promise<string[]> {
  const table = `replay-${randomUUID()}`;
  await createStateTable(testDynamoClient(), table);
  return ['--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!, '--table', table];
}

async function replayJson(...args: string[]): Promise<Run & { lines: Record<string, any>[] }> {
  const run = await cli(['replay', '--format', 'json', ...(await withTable()), ...args]);
  const lines =
    run.stdout === ''
      ? []
      : run.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, any>);
  return { ...run, lines };
}

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const sample = (name: string) => join(SAMPLES, name);

describe('macie-alerts replay (child process)', () => {
  test('samples/ as `npm run demo` replays it: one JSON line per alert with the contract fields, the expected alerts, byte-identical on a second run', async () => {
    const demo = ['--config', sample('demo.config.json'), SAMPLES];
    const [first, second] = await Promise.all([replayJson(...demo), replayJson(...demo)]);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout.endsWith('\n')).toBe(true);

    const lines = first.lines;
    for (const line of lines) {
      expect(SEVERITIES).toContain(line.severity);
      expect(line.severityScore).toBe(SEVERITIES.indexOf(line.severity));
      expect(line.attributes).toMatchObject({
        severity: line.severity,
        severityScore: String(line.severityScore),
        category: line.category,
        eventType: line.eventType,
        accountId: line.accountId,
        sample: 'false',
      });
      expect(line.attributes.jobId).toBe(line.jobId);
      expect(line.subject.length).toBeLessThan(100);
      expect(line.subject).toMatch(new RegExp(`^\\[${line.severity}\\] `));
      expect(line.subject).not.toMatch(/[\r\n]/);
      expect(line.sms).not.toMatch(/\n/);
      expect(line.email).toContain('What to do');
      expect(line.chat).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
      expect(typeof line.count).toBe('number');
    }
    const of = (jobId: string) => lines.filter((l) => l.jobId === jobId).map((l) => `${l.severity} ${l.eventType}`);

    // 01: the storm of 363 BUCKET_ACCESS_DENIED gives one alert, hourly "still occurring" ones, and one summary.
    const storm = lines.filter((l) => l.jobId === 'ffad0e71455f38a4c7c220f3cexample');
    const denied = storm.filter((l) => l.eventType === 'BUCKET_ACCESS_DENIED');
    expect(denied.length).toBeGreaterThanOrEqual(2);
    expect(denied.length).toBeLessThanOrEqual(4); // 2.5 h of event time: at most one repeat per hour
    expect(denied[0].email).toContain('amzn-s3-demo-tenant-0001');
    // The partner account's buckets were inhibited by its account-level error: not in the bucket alert.
    expect(denied[0].email).not.toContain('amzn-s3-demo-partner-share');
    expect(denied.slice(1).every((l) => /^\[HIGH\] Still occurring \(/.test(l.subject))).toBe(true);
    expect(storm.find((l) => l.eventType === 'ACCOUNT_ACCESS_DENIED')).toMatchObject({ severity: 'HIGH', category: 'ACCOUNT_ERROR' });
    const summary = storm.find((l) => l.eventType === 'SCHEDULED_RUN_COMPLETED');
    expect(summary).toMatchObject({ severity: 'HIGH', category: 'JOB_RUN_SUMMARY', runDate: '2024-04-14T17:09:30.574809Z' });
    expect(summary!.email).toMatch(/Errors \(BUCKET_ACCESS_DENIED\): 363/);

    // 02 and 03: quota pause and resume, user pause and cancel. A run paused by the quota is summarised at
    // least LOW, and the summary tells the pause.
    expect(of('5ad81ae2b13d7c4f9e0a6b2c8example')).toEqual([
      'HIGH JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET',
      'LOW JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED',
      'LOW JOB_COMPLETED',
    ]);
    const quotaSummary = lines.find((l) => l.jobId === '5ad81ae2b13d7c4f9e0a6b2c8example' && l.eventType === 'JOB_COMPLETED');
    expect(quotaSummary!.email).toContain(
      'that started 2024-05-29T09:02:00.000112Z was paused by the monthly quota from 2024-05-29T16:02:00.000250Z to 2024-06-01T00:04:12.000870Z (2 d 8 h 2 min), then resumed, and completed at',
    );
    expect(of('9c1e6f3a2b7d48e5a0f4c6d1bexample')).toEqual(['HIGH BUCKET_ACCESS_DENIED', 'LOW JOB_PAUSED_BY_USER', 'HIGH JOB_CANCELLED']);

    // 04: 33 findings in 3 (bucket, type) groups: 3 alerts; the run summary counts all 33.
    const burst = lines.filter((l) => l.jobId === '3ce05dbb7ec5505def334104bexample');
    expect(burst.filter((l) => l.category === 'SENSITIVE_DATA_FINDING').map((l) => l.eventType)).toEqual([
      'SensitiveData:S3Object/Personal',
      'SensitiveData:S3Object/Multiple',
      'SensitiveData:S3Object/Credentials',
    ]);
    expect(burst.find((l) => l.eventType === 'JOB_COMPLETED')!.email).toContain('Findings: 33');

    // 05: a policy finding seen 5 times in 26 hours: alerted when new and once more after 24 hours.
    const policy = lines.filter((l) => l.category === 'POLICY_FINDING');
    expect(policy.map((l) => l.findingId)).toEqual(['64b917aa3843014c91d8937ffexample', '64b917aa3843014c91d8937ffexample']);
    expect(policy[1].email).toMatch(/occurred 4 times/);

    // 06, 07, 08: a reveal of sensitive data (HIGH), a denied DisableMacie (one level lower), no buckets matched.
    const calls = lines.filter((l) => l.category === 'API_CALL');
    expect(calls.map((l) => `${l.severity} ${l.eventType} ${l.accountId}`)).toEqual([
      'HIGH GetSensitiveDataOccurrences 111122223333',
      'MEDIUM DisableMacie 123456789012',
    ]);
    expect(calls[0].email).toContain('198.51.100.252');
    expect(calls[1].subject).toMatch(/denied/i);
    expect(lines.find((l) => l.jobId === '0e7d2c4b9a8f61e3d5c7b2a40example')).toMatchObject({
      severity: 'MEDIUM',
      eventType: 'NO_BUCKETS_MATCHED_THE_CRITERIA',
    });

    // 09: three nights of a daily job with the config's silence. Night 1 alerts the locked bucket (a first
    // run) and silences the migrating ones; night 2 holds the locked bucket back (known) and alerts the new
    // one; night 3 sends only a MEDIUM summary that says what was fixed.
    const nights = lines.filter((l) => l.jobId === '7e2b9c4d1a6f83e5b0d4c2a19example');
    expect(nights.map((l) => `${l.runDate.slice(0, 10)} ${l.severity} ${l.eventType}`)).toEqual([
      '2024-06-03 HIGH BUCKET_ACCESS_DENIED',
      '2024-06-03 HIGH SCHEDULED_RUN_COMPLETED',
      '2024-06-04 HIGH BUCKET_ACCESS_DENIED',
      '2024-06-04 HIGH SCHEDULED_RUN_COMPLETED',
      '2024-06-05 MEDIUM SCHEDULED_RUN_COMPLETED',
    ]);
    expect(nights[0].email).toContain('amzn-s3-demo-locked-audit');
    expect(nights[2].email).toContain('Since the last run: new: bucket amzn-s3-demo-finance-reports');
    expect(nights[1].email).toContain(
      '2 bucket errors silenced: silence S-7KQ2 by alice@example.com until 2024-06-07T00:00:00.000Z (moving to eu-west-1, change CHG-1234)',
    );
    expect(nights[4].subject).toBe('[MEDIUM] Run of 2024-06-05 02:00 UTC completed with 1 error (nothing new, 3 not failing): Macie…');

    // 10: AWS Health says a paused job is about to expire (HIGH, naming it), sends the notice again (a copy:
    // no alert), then closes it (INFO).
    const health = lines.filter((l) => l.category === 'HEALTH');
    expect(health.map((l) => `${l.severity} ${l.eventType} ${l.jobId}`)).toEqual([
      'HIGH AWS_MACIE_JOB_IMMINENT_EXPIRATION 5b2e9d7c4a1f03e6b8d2c5a91example',
      'INFO AWS_MACIE_JOB_IMMINENT_EXPIRATION 5b2e9d7c4a1f03e6b8d2c5a91example',
    ]);
    expect(health[1].subject).toMatch(/^\[INFO\] Closed: AWS Health/);

    // The summary goes to stderr in json mode and names what was read.
    expect(first.stderr).toContain('inputs read:      10 files, ');
    expect(first.stderr).toContain('events:           432 job log events, 38 findings, 2 API calls, 3 AWS Health events');
    expect(first.stderr).toContain('silenced:         4 events matched a silence');
    expect(first.stderr).toContain("known:            2 errors failed the same way in the job's previous run");
    expect(first.stderr).toContain(`alerts published: ${lines.length} (`);
  });

  test('the same job events as a Lambda event, decoded payloads or filter-log-events output give the same alerts', async () => {
    const lambdaEvents = readFileSync(sample('03-cancelled-job.lambda-events.jsonl'), 'utf8').trim().split('\n');
    const payloads = lambdaEvents.map((l) => JSON.parse(gunzipSync(Buffer.from(JSON.parse(l).awslogs.data, 'base64')).toString('utf8')));
    const filterOutput = {
      events: payloads.flatMap((p) =>
        p.logEvents.map((e: { id: string; timestamp: number; message: string }) => ({
          logStreamName: p.logStream,
          timestamp: e.timestamp,
          message: e.message,
          eventId: e.id,
        })),
      ),
    };
    const dir = tempDir({
      'payloads.jsonl': payloads.map((p) => JSON.stringify(p)).join('\n'),
      'filter-output.json': JSON.stringify(filterOutput),
    });
    const runs = await Promise.all([
      replayJson(sample('03-cancelled-job.lambda-events.jsonl')),
      replayJson(join(dir, 'payloads.jsonl')),
      replayJson(join(dir, 'filter-output.json')),
    ]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(runs[0].lines.map((l) => l.eventType)).toEqual(['BUCKET_ACCESS_DENIED', 'JOB_PAUSED_BY_USER', 'JOB_CANCELLED']);
    expect(runs[1].stdout).toBe(runs[0].stdout);
    expect(runs[2].stdout).toBe(runs[0].stdout);
  });

  test('bad inputs are named on stderr with file, line and reason, skipped, and the exit status is 2', async () => {
    const good = readFileSync(sample('07-denied-disable-macie.json'), 'utf8');
    const badMessage = {
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/aws/macie/classificationjobs',
      logStream: 'job',
      subscriptionFilters: ['f'],
      logEvents: [{ id: '1', timestamp: 1, message: 'this is not a Macie event' }],
    };
    const dir = tempDir({
      'a-not-json.json': '{ "detail-type": ',
      'b-lines.jsonl': `${JSON.stringify({ hello: 'world' })}\n${JSON.stringify(JSON.parse(good))}\n${JSON.stringify(badMessage)}\n`,
      'c-other-source.json': JSON.stringify({ ...JSON.parse(good), 'detail-type': 'GuardDuty Finding' }),
    });
    const run = await replayJson(join(dir, 'missing.json'), dir);
    expect(run.code).toBe(2);
    const problems = run.stderr.split('\n').filter((l) => l.startsWith('macie-alerts: '));
    expect(problems).toEqual([
      `macie-alerts: skipped ${join(dir, 'missing.json')}: no such file or directory`,
      expect.stringMatching(new RegExp(`^macie-alerts: skipped ${join(dir, 'a-not-json.json')}:1: not JSON: `)),
      expect.stringMatching(new RegExp(`^macie-alerts: skipped ${join(dir, 'b-lines.jsonl')}:1: unknown shape \\(keys: hello\\)`)),
      expect.stringMatching(new RegExp(`^macie-alerts: skipped ${join(dir, 'c-other-source.json')}: EventBridge event of detail-type "GuardDuty Finding"`)),
      expect.stringMatching(new RegExp(`^macie-alerts: ${join(dir, 'b-lines.jsonl')}:3: 1 record\\(s\\) rejected by the pipeline: `)),
    ]);
    // Everything else was still processed: line 2 is a valid API call event.
    expect(run.lines.map((l) => l.eventType)).toEqual(['DisableMacie']);
    // Each count is of one thing: a value not understood is one of the values read; the pipeline's rejections apart.
    expect(run.stderr).toContain('inputs read:      3 files, 5 JSON values, 3 of them not understood; 1 path skipped (see the messages above)\n');
    expect(run.stderr).toContain('rejected:         1 event the pipeline could not read (see the messages above)\n');
  });

  test('--config settings and --min-severity change what is published and shown', async () => {
    const dir = tempDir({ 'settings.json': JSON.stringify({ severityOverrides: { NO_BUCKETS_MATCHED_THE_CRITERIA: 'HIGH' }, repeatIntervalMinutes: 30 }) });
    const run = await replayJson(
      '--config',
      join(dir, 'settings.json'),
      '--min-severity',
      'high',
      sample('07-denied-disable-macie.json'),
      sample('08-no-buckets-matched.log-event.json'),
    );
    expect(run.code).toBe(0);
    // DisableMacie (denied: MEDIUM) is published but below the filter; the override made NO_BUCKETS HIGH.
    expect(run.lines.map((l) => `${l.severity} ${l.eventType}`)).toEqual(['HIGH NO_BUCKETS_MATCHED_THE_CRITERIA']);
    expect(run.stderr).toContain('alerts published: 2 (HIGH 1, MEDIUM 1, LOW 0, INFO 0)');
    expect(run.stderr).toContain('alerts shown:     1 at or above HIGH (--min-severity); 1 below not shown');
  });

  test('--config silences are tried on the recorded events: what they match is counted, not alerted', async () => {
    const dir = tempDir({
      'try.json': JSON.stringify({
        silences: [{ job: '9c1e6f3a2b7d48e5a0f4c6d1bexample', type: 'BUCKET_ACCESS_DENIED', until: '2030-01-01', reason: 'testing' }],
      }),
    });
    const run = await replayJson('--config', join(dir, 'try.json'), sample('03-cancelled-job.lambda-events.jsonl'));
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => `${l.severity} ${l.eventType}`)).toEqual(['LOW JOB_PAUSED_BY_USER', 'HIGH JOB_CANCELLED']);
    expect(run.lines[1].email).toContain('1 bucket error silenced: silence S-1 by replay until 2030-01-01T00:00:00.000Z (testing).');
    expect(run.stderr).toContain('silenced:         1 event matched a silence');
  });

  test('option and config mistakes are explained and exit 2 without replaying anything', async () => {
    const dir = tempDir({ 'typo.json': JSON.stringify({ repeatIntervalMinute: 30 }), 'bad.json': JSON.stringify({ repeatIntervalMinutes: -5 }) });
    const runs = await Promise.all([
      cli(['replay']),
      cli(['replay', '--format', 'xml', SAMPLES]),
      cli(['replay', '--config', join(dir, 'typo.json'), SAMPLES]),
      cli(['replay', '--config', join(dir, 'bad.json'), SAMPLES]),
      cli(['replay', '--endpoint', 'http://127.0.0.1:1', SAMPLES]),
      cli(['replay', '--endpoint', 'https://dynamodb.eu-west-1.amazonaws.com', '--table', 'MacieAlerts-State', SAMPLES]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(runs.map((r) => r.stdout)).toEqual(['', '', '', '', '', '']);
    expect(runs[0].stderr).toContain('no input: give at least one file or directory');
    expect(runs[1].stderr).toContain('--format must be text or json, got "xml"');
    expect(runs[2].stderr).toContain('unknown setting "repeatIntervalMinute"');
    expect(runs[3].stderr).toContain('Invalid setting repeatIntervalMinutes=-5');
    expect(runs[4].stderr).toContain('--endpoint and --table go together');
    expect(runs[5].stderr).toContain("is not on this machine: replay only uses a local DynamoDB (DynamoDB Local), never a deployed stack's table");
  });

  test('--help prints the usage with every option', async () => {
    const run = await cli(['replay', '--help']);
    expect(run.code).toBe(0);
    for (const option of ['--format', '--config', '--min-severity', '--region', '--endpoint', '--table']) expect(run.stdout).toContain(option);
  });

  test.each([[['--version']], [['replay', '--version']], [['silence', 'add', '--version']]])('%p prints the package version and exits 0', async (argv) => {
    const run = await cli(argv);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}\n`);
  });

  test('when no input is understood nothing is started (even without Java): the reasons, one line that says so, and exit 2', async () => {
    const run = await cli(['replay', join(SAMPLES, 'no-such-file.json')], { ...process.env, PATH: '/nonexistent' });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `macie-alerts: skipped ${join(SAMPLES, 'no-such-file.json')}: no such file or directory\n` +
        'macie-alerts: nothing to replay: no JSON value could be read (see the messages above)\n',
    );
  });

  test.each<[string, Record<string, string | Buffer>, string]>([
    ['a directory with no input', { 'notes.txt': 'not an input' }, 'no input in this directory'],
    ['an empty .jsonl (as an empty .json)', { 'events.jsonl': '\n' }, 'events.jsonl: empty file: expected JSON values, one per line'],
    [
      'a binary file, named by its size and never printed',
      { 'events.json': Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x00, 0xff, 0x41]) },
      'events.json: not JSON: binary content, 7 bytes',
    ],
    ['values of which none is understood', { 'a.json': JSON.stringify([{ hello: 'world' }, 42]) }, 'none of the 2 JSON values read was understood'],
  ])('nothing to replay, %s: exit 2 and why', async (_name, files, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const run = await cli(['replay', dir]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toMatch(/^macie-alerts: nothing to replay: .+\n$/m);
    expect(run.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  test("a trail's gzipped log file gives what the EventBridge event gives; other services' records are counted and left out", async () => {
    const event = JSON.parse(readFileSync(sample('07-denied-disable-macie.json'), 'utf8'));
    const other = { ...event.detail, eventSource: 's3.amazonaws.com', eventName: 'GetBucketAcl', eventID: 'b0000000-0000-4000-8000-000000example' };
    const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
    writeFileSync(
      join(dir, '123456789012_CloudTrail_us-east-1_20241007T0835Z_a1b2.json.gz'),
      gzipSync(JSON.stringify({ Records: [other, event.detail, other] })),
    );
    const [trail, eventBridge] = await Promise.all([replayJson(dir), replayJson(sample('07-denied-disable-macie.json'))]);
    expect(trail.code).toBe(0);
    expect(trail.lines.map((l) => l.eventType)).toEqual(['DisableMacie']);
    expect(trail.stdout).toBe(eventBridge.stdout);
    expect(trail.stderr).toContain('inputs read:      1 file, 3 JSON values\n');
    expect(trail.stderr).toContain('events:           0 job log events, 0 findings, 1 API call; 2 CloudTrail records of other services left out\n');
  });

  test('bare job log events of one run, in a .jsonl file, are one batch as the subscription delivered them: one run summary, not an alert per event', async () => {
    const base = {
      adminAccountId: '123456789012',
      jobId: '3ce05dbb7ec5505def334104bexample',
      jobName: 'Quarterly_Scan',
      runDate: '2024-08-20T08:00:10.000455Z',
      description: 'd',
    };
    const bucket = (value: string) => ({ affectedAccount: '111122223333', affectedResource: { type: 'S3_BUCKET_NAME', value } });
    const run = [
      ['ONE_TIME_JOB_STARTED', {}],
      ['BUCKET_MATCHED_THE_CRITERIA', bucket('amzn-s3-demo-a')],
      ['BUCKET_MATCHED_THE_CRITERIA', bucket('amzn-s3-demo-b')],
      ['BUCKET_ACCESS_DENIED', bucket('amzn-s3-demo-a')],
      ['BUCKET_ACCESS_DENIED', bucket('amzn-s3-demo-b')],
      ['BUCKET_DOES_NOT_EXIST', bucket('amzn-s3-demo-c')],
      ['JOB_COMPLETED', {}],
    ].map(([eventType, extra], i) => ({ ...base, eventType, occurredAt: `2024-08-20T08:00:${10 + 3 * i}.000000Z`, ...(extra as object) }));
    const dir = tempDir({ 'run.jsonl': run.map((e) => JSON.stringify(e)).join('\n') });
    const replayed = await replayJson(join(dir, 'run.jsonl'));
    expect(replayed.code).toBe(0);
    expect(replayed.lines.map((l) => l.subject)).toEqual(['[HIGH] Run of 2024-08-20 08:00 UTC completed with 3 errors: Macie job Quarterly_Scan']);
  });

  test('without Java the embedded DynamoDB gives one clear line and exit 1', async () => {
    const run = await cli(['replay', sample('08-no-buckets-matched.log-event.json')], { ...process.env, PATH: '/nonexistent' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`macie-alerts: ${new JavaMissingError().message}\n`);
  });

  test('text format with the embedded DynamoDB (as npm run demo): each alert readable, then the summary', async () => {
    const run = await cli(['replay', sample('06-reveal-sensitive-data-samples.json'), sample('07-denied-disable-macie.json')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const blocks = run.stdout.split(/^={78}$/m).slice(1);
    expect(blocks).toHaveLength(3);
    expect(blocks[0]).toMatch(/^\n#1 {2}HIGH {2}API_CALL {2}GetSensitiveDataOccurrences\nSubject: \[HIGH\] .+\nSMS: {5}HIGH.+\n\n/);
    expect(blocks[0]).toContain('What happened');
    expect(blocks[1]).toMatch(/^\n#2 {2}MEDIUM {2}API_CALL {2}DisableMacie\n/);
    expect(blocks[2]).toContain('Replay summary');
    expect(blocks[2]).toContain('events:           0 job log events, 0 findings, 2 API calls');
  });
});
