import { buildStack } from './stack-fixture';
import { currentTestRun, otherSuitesDone, recordedCalls } from '../support/recorded-calls';
import type { RecordedCall } from '../support/aws-call-recorder';
import type { Permission } from '../support/iam-actions';
import { conformance, functionRoles, requiredPermissions, type KeptGrant, type TemplateJson } from '../support/role-conformance';

/**
 * Every AWS call each function made in this jest run (every suite records them: test/support/
 * aws-call-recorder.ts) against the function's role in the synthesized template: each call is allowed (on
 * AWS, one that is not fails with AccessDenied, which no local stand-in would show), and each grant is used
 * by some recorded call, or kept on purpose for a reason given here. Runs after every other suite
 * (test/support/test-run.js); the second check only when the run holds every test file.
 */
const KEPT: readonly KeptGrant[] = [
  {
    actors: ['job-log', 'findings', 'api-calls', 'health', 'sweeper'],
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resource: 'log-group',
    reason: 'Lambda writes the function’s logs to its log group with the function’s role',
  },
  {
    actors: ['findings', 'api-calls', 'health'],
    actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl'],
    resource: 'event-queue',
    reason: 'the SQS event source mapping reads and deletes the queue’s records with the function’s role (what SqsEventSource grants)',
  },
  {
    actors: ['job-log', 'sweeper'],
    actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
    resource: 'failure-queue',
    reason: 'Lambda sends the record of an asynchronous invocation that failed its retries with the function’s role (what SqsDestination grants)',
  },
  {
    actors: ['job-log'],
    actions: ['dynamodb:ConditionCheckItem'],
    resource: 'table',
    reason:
      'store.writeChanges turns a write that changes nothing into a ConditionCheck; every job-log write bumps the item’s version today (run-state.ts), so no test reaches it, but a change there must not fail on AWS alone',
  },
];

const run = currentTestRun();
const template = buildStack({}).template.toJSON() as TemplateJson;
const roles = functionRoles(template);
const encryptedTopic = Object.values(template.Resources).some((r) => r.Type === 'AWS::SNS::Topic' && r.Properties?.KmsMasterKeyId !== undefined);

(run ? describe : describe.skip)('each function’s role against the AWS calls its code made in this run', () => {
  const fullRun = run?.full ?? false;
  const selfTestsRan = run?.suites.includes('test/cli/selftest.test.ts') ?? false;
  let calls: RecordedCall[];

  beforeAll(async () => {
    await otherSuitesDone(run!, 30 * 60_000);
    calls = recordedCalls(run!).filter((c) => !c.actor.startsWith('cli:'));
  }, 31 * 60_000);

  const required = (which: (c: RecordedCall) => boolean) => requiredPermissions(calls.filter(which), encryptedTopic);
  const isKept = (actor: string, p: Permission) => KEPT.some((k) => k.actors.includes(actor) && k.resource === p.resource && k.actions.includes(p.action));

  test('the template has the five functions, and the run recorded calls of each one it ran', () => {
    expect(roles.map((r) => r.actor).sort()).toEqual(['api-calls', 'findings', 'health', 'job-log', 'sweeper']);
    if (fullRun) expect([...required(() => true).keys()].sort()).toEqual(['api-calls', 'findings', 'health', 'job-log', 'sweeper']);
  });

  test('every call is allowed by the role of the function that made it (its self-test included)', () => {
    expect(
      conformance(
        roles,
        required(() => true),
        KEPT,
        false,
      ).denied,
    ).toEqual([]);
  });

  (fullRun ? test : test.skip)('every grant is used by a real path’s recorded call, or kept for a reason above', () => {
    const { unused, staleKept } = conformance(
      roles,
      required((c) => !c.selfTest),
      KEPT,
    );
    expect({ unused, staleKept }).toEqual({ unused: [], staleKept: [] });
  });

  (fullRun && selfTestsRan ? test : test.skip)(
    'each function’s self-test makes the calls its real paths make, so `macie-alerts selftest` shows any missing grant',
    () => {
      const real = required((c) => !c.selfTest);
      const selfTest = required((c) => c.selfTest === true);
      const key = (p: Permission) => `${p.action} on ${p.resource}`;
      const differences = roles.map(({ actor }) => {
        const mine = new Set((selfTest.get(actor) ?? []).map(key));
        const theirs = new Set((real.get(actor) ?? []).map(key));
        return {
          actor,
          notInSelfTest: [...theirs].filter((k) => !mine.has(k)),
          onlyInSelfTest: (selfTest.get(actor) ?? []).filter((p) => !theirs.has(key(p)) && !isKept(actor, p)).map(key),
        };
      });
      expect(differences).toEqual(roles.map(({ actor }) => ({ actor, notInSelfTest: [], onlyInSelfTest: [] })));
    },
  );
});
