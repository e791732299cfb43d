import { DescribeStacksCommand, type CloudFormationClient, type Output } from '@aws-sdk/client-cloudformation';
import { awsErrorText } from './aws-errors';

/**
 * A deployed stack's outputs, for the commands that act on a stack (`silence`, `redrive`): read with the
 * caller's AWS credentials (cloudformation:DescribeStacks), and found by the name the construct gives them.
 */

/** No such stack (CloudFormation says the same when the credentials cannot see it). */
export class StackNotFound extends Error {
  constructor(stackName: string, region: string | undefined) {
    super(`stack "${stackName}" was not found${region ? ` in ${region}` : ''}: check --stack (the name \`cdk deploy\` printed, e.g. MacieAlerts-eu-west-1) and --region`);
    this.name = 'StackNotFound';
  }
}

/** Any other failure to read the stack, already worded for the user. */
export class StackLookupFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackLookupFailed';
  }
}

export async function stackOutputs(client: CloudFormationClient, stackName: string): Promise<readonly Output[]> {
  const region = await client.config.region().catch(() => undefined);
  try {
    const stack = (await client.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    if (!stack) throw new StackNotFound(stackName, region);
    return stack.Outputs ?? [];
  } catch (error) {
    if (error instanceof StackNotFound) throw error;
    const e = error as { name?: string; message?: string };
    if (e?.name === 'ValidationError' && /does not exist/.test(e.message ?? '')) throw new StackNotFound(stackName, region);
    throw new StackLookupFailed(awsErrorText(error, `read stack "${stackName}" (cloudformation:DescribeStacks)`));
  }
}

/**
 * An output by the name the construct gives it, in either form CDK writes: the name itself (an output of the
 * stack), or the construct's path, the name and an 8-character hash (MacieAlertsStateTableNameDAAD2577) for
 * an output made inside a construct, whatever the construct's id. Two hashed matches are an error: which one
 * was meant cannot be told.
 */
export function findOutput(outputs: readonly Output[], name: string): Output | undefined {
  const exact = outputs.find((o) => o.OutputKey === name);
  if (exact) return exact;
  const hashed = new RegExp(`^[A-Za-z0-9]*${name}[0-9A-F]{8}$`);
  const matches = outputs.filter((o) => o.OutputKey !== undefined && hashed.test(o.OutputKey));
  if (matches.length > 1) {
    throw new StackLookupFailed(`the stack has ${matches.length} outputs named ${name} (${matches.map((o) => o.OutputKey).join(', ')}): one MacieAlerts construct per stack, please`);
  }
  return matches[0];
}
