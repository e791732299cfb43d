import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { MacieAlertsProps } from '../../lib/macie-alerts';
import { buildStack, TEAM, TENANT } from './stack-fixture';

// A time given as a Duration is checked in the unit of its context key, which the message names.
describe('bad props fail the synth with the setting and the value', () => {
  it.each<[string, MacieAlertsProps, RegExp]>([
    ['minFindingSeverity', { pipelineSettings: { minFindingSeverity: 'SEVERE' as never } }, /Invalid setting minFindingSeverity="SEVERE"/],
    [
      'repeatInterval over a week',
      { pipelineSettings: { repeatInterval: Duration.days(8) } },
      /Invalid setting repeatIntervalMinutes=11520: expected a number greater than 0 and at most 10080/,
    ],
    ['stateRetention of zero', { pipelineSettings: { stateRetention: Duration.days(0) } }, /Invalid setting stateRetentionDays=0/],
    ['severityOverrides', { pipelineSettings: { severityOverrides: { JOB_CANCELLED: 'BAD' as never } } }, /severityOverrides\.JOB_CANCELLED="BAD"/],
    ['digestHourUtc', { pipelineSettings: { digestHourUtc: 24 } }, /Invalid setting digestHourUtc=24: expected a whole hour from 0 to 23 \(UTC\), or off/],
    [
      'digest with short retention',
      { pipelineSettings: { digestHourUtc: 6, stateRetention: Duration.days(1) } },
      /Invalid setting stateRetentionDays=1: the daily digest \(digestHourUtc=6\) reads alerts up to 3 days old/,
    ],
    ['email endpoint', { emailSubscribers: [{ endpoint: 'not-an-email' }] }, /Invalid setting emailSubscribers="not-an-email"/],
    ['sms endpoint', { smsSubscribers: [{ endpoint: '2065550100' }] }, /Invalid setting smsSubscribers="2065550100": expected a phone number in E.164/],
    ['https endpoint', { httpsSubscribers: [{ endpoint: 'http://insecure.example.com' }] }, /Invalid setting httpsSubscribers="http:\/\/insecure.example.com"/],
    ['subscriber severity', { emailSubscribers: [{ endpoint: 'a@example.com', minSeverity: 'URGENT' as never }] }, /emailSubscribers.minSeverity="URGENT"/],
    ['chatMinSeverity', { chatMinSeverity: 'LOUD' as never }, /Invalid setting chatMinSeverity="LOUD"/],
    ['sweeperRate of zero', { sweeperRate: Duration.minutes(0) }, /Invalid setting sweeperRateMinutes=0/],
    ['sweeperRate not whole minutes', { sweeperRate: Duration.seconds(150) }, /Invalid setting sweeperRateMinutes=2.5/],
    ['logRetention', { logRetention: 45 as logs.RetentionDays }, /Invalid setting logRetentionDays=45: expected one of 1, 3/],
    ['logLevel', { logLevel: 'TRACE' as never }, /Invalid setting logLevel="TRACE"/],
    ['removalPolicy', { removalPolicy: RemovalPolicy.SNAPSHOT }, /Invalid setting removalPolicy="snapshot"/],
    ['teams channel', { teams: { tenantId: TENANT, teamId: TEAM, channelId: '19:abc@thread.tacv2' } }, /Invalid setting teams.channelId="19:abc@thread.tacv2"/],
    ['findingsBatchSize', { findingsBatchSize: 20_000 }, /Invalid setting findingsBatchSize=20000: expected a whole number from 1 to 10000/],
    [
      'findingsBatchingWindow of zero',
      { findingsBatchingWindow: Duration.seconds(0) },
      /Invalid setting findingsBatchWindowSeconds=0: Lambda needs a batching window of at least 1 second for a batch size above 10 \(findingsBatchSize=100\)/,
    ],
    ['findingsMaxConcurrency', { findingsMaxConcurrency: 1 }, /Invalid setting findingsMaxConcurrency=1: expected a whole number from 2 to 1000/],
    ['apiCallsBatchSize', { apiCallsBatchSize: 11 }, /Invalid setting apiCallsBatchWindowSeconds=0: .*apiCallsBatchSize=11/],
  ])('%s', (_name, props, message) => {
    expect(() => buildStack(props)).toThrow(message);
  });
});
