import type { RecordedCall } from './aws-call-recorder';
import type { Permission } from './iam-actions';

/**
 * The IAM policy docs/cli.md gives operators for the commands that reach a deployed stack, made from what
 * the CLI's suites recorded (aws-call-recorder.ts): one statement per command and kind of resource, so an
 * operator can keep only the commands they use. scripts/cli-policy.ts writes it into docs/cli.md;
 * test/cli/operator-policy.recorded.test.ts fails when the page and the recordings differ.
 */
/** The suites that run the commands: what the policy is made from. */
export const CLI_SUITES = ['test/cli/silence-cli.test.ts', 'test/cli/ack-cli.test.ts', 'test/cli/redrive.test.ts', 'test/cli/selftest.test.ts'] as const;

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: string;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** The commands, in the order the page shows them, and the name of their statements. */
const COMMANDS: readonly [actor: string, sid: string][] = [
  ['cli:silence', 'Silence'],
  ['cli:ack', 'Ack'],
  ['cli:redrive', 'Redrive'],
  ['cli:selftest', 'Selftest'],
];

/** The resources, as ARN patterns the operator fills in (the names are placeholders, in capitals). */
const RESOURCES: Readonly<Record<string, { readonly sid: string; readonly arn: string }>> = {
  stack: { sid: 'Stack', arn: 'arn:aws:cloudformation:REGION:ACCOUNT:stack/STACK/*' },
  table: { sid: 'StateTable', arn: 'arn:aws:dynamodb:REGION:ACCOUNT:table/STATE_TABLE' },
  queue: { sid: 'Queues', arn: 'arn:aws:sqs:REGION:ACCOUNT:STACK-*' },
  function: { sid: 'Functions', arn: 'arn:aws:lambda:REGION:ACCOUNT:function:STACK-*' },
};

/**
 * What a call needs beyond its own action: SQS's message move task reads and deletes the dead-letter queue's
 * messages and sends them to the source queue with the caller's permissions (SQS developer guide,
 * "Configure queue permissions for dead-letter queue redrive").
 */
function withImplied(p: Permission): Permission[] {
  if (p.action !== 'sqs:StartMessageMoveTask') return [p];
  return [p, ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:SendMessage'].map((action) => ({ action, resource: p.resource }))];
}

export function operatorPolicy(recorded: readonly RecordedCall[]): PolicyDocument {
  const statements: PolicyStatement[] = [];
  for (const [actor, sid] of COMMANDS) {
    const byResource = new Map<string, Set<string>>();
    for (const call of recorded.filter((c) => c.actor === actor)) {
      for (const p of withImplied(call)) {
        const actions = byResource.get(p.resource) ?? new Set<string>();
        actions.add(p.action);
        byResource.set(p.resource, actions);
      }
    }
    for (const [resource, actions] of [...byResource].sort(([a], [b]) => Object.keys(RESOURCES).indexOf(a) - Object.keys(RESOURCES).indexOf(b))) {
      const known = RESOURCES[resource];
      if (!known) throw new Error(`operator-policy: ${actor} uses ${[...actions].join(', ')} on ${resource}: name its ARN pattern in RESOURCES`);
      statements.push({ Sid: `${sid}${known.sid}`, Effect: 'Allow', Action: [...actions].sort(), Resource: known.arn });
    }
  }
  return { Version: '2012-10-17', Statement: statements };
}

export const POLICY_BEGIN = '<!-- operator-policy: written by `npm run cli-policy` from what the CLI tests record; do not edit -->';
export const POLICY_END = '<!-- operator-policy: end -->';

/** The policy as the page shows it: a fenced JSON block between the two markers. */
export function policyBlock(policy: PolicyDocument): string {
  return `${POLICY_BEGIN}\n\n\`\`\`json\n${JSON.stringify(policy, null, 2)}\n\`\`\`\n\n${POLICY_END}`;
}

/** The block in a page (markers included), or undefined. */
export function pageBlock(page: string): string | undefined {
  const start = page.indexOf(POLICY_BEGIN);
  const end = page.indexOf(POLICY_END);
  return start >= 0 && end > start ? page.slice(start, end + POLICY_END.length) : undefined;
}

/** The page with its block replaced. */
export function withPolicy(page: string, policy: PolicyDocument): string {
  const current = pageBlock(page);
  if (!current) throw new Error(`the page has no block between ${POLICY_BEGIN} and ${POLICY_END}`);
  return page.replace(current, policyBlock(policy));
}
