import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildStack, TEAM, TENANT } from './stack-fixture';

function violations(props: Parameters<typeof buildStack>[0]): string[] {
  const { app, stack } = buildStack(props);
  const report = new AwsSolutionsChecks(app).validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.resourceLogicalId} ${(r.locations ?? []).join(' ')}`));
}

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged finding with defaults', () => {
    expect(violations({})).toEqual([]);
  });

  it('has no unacknowledged finding with every optional resource (subscribers, Slack, Teams, API calls)', () => {
    expect(
      violations({
        emailSubscribers: [{ endpoint: 'ops@example.com', minSeverity: 'MEDIUM' }],
        smsSubscribers: [{ endpoint: '+12065550100', minSeverity: 'HIGH' }],
        httpsSubscribers: [{ endpoint: 'https://hooks.example.com/macie' }],
        slack: { workspaceId: 'T01ABCDEF', channelId: 'C01ABCDEF' },
        teams: { tenantId: TENANT, teamId: TEAM, channelId: '19%3Aabc%40thread.tacv2' },
      }),
    ).toEqual([]);
  });
});

describe('the cdk-nag check itself', () => {
  it('reports a finding nobody acknowledged (so the clean results above mean something)', () => {
    const { app, stack } = buildStack({});
    new Queue(stack, 'UnprotectedQueue');
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});
