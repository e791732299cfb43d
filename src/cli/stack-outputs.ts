import { type CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { awsErrorText } from './aws-errors';
import { resolvedRegion } from './aws-region';

/** The stack does not exist (or is not visible with these credentials, which CloudFormation reports the same way). */
export class StackNotFound extends Error {
  constructor(stackName: string, region: string) {
    super(`stack "${stackName}" was not found in ${region}: check --stack (the name \`cdk deploy\` printed, e.g. MacieAlerts-eu-west-1) and --region`);
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

/**
 * The stack's outputs, read with the caller's credentials (CloudFormation DescribeStacks). Without a Region
 * it throws RegionMissing before the call.
 */
export async function stackOutputs(client: CloudFormationClient, stackName: string): Promise<readonly Output[]> {
  const region = await resolvedRegion(client);
  try {
    const response = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = response.Stacks?.[0];
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
 * An output by the name the construct gives it, as CDK writes it: the name itself, or the construct's path, the
 * name and a hash. Two matches is an error: which one was meant cannot be told.
 */
export function findOutput(outputs: readonly Output[], name: string): Output | undefined {
  const exact = outputs.find((o) => o.OutputKey === name);
  if (exact) return exact;
  const hashed = new RegExp(`^[A-Za-z0-9]*${name}[0-9A-F]{8}$`);
  const matches = outputs.filter((o) => o.OutputKey !== undefined && hashed.test(o.OutputKey));
  if (matches.length > 1) {
    throw new StackLookupFailed(
      `the stack has ${matches.length} outputs named ${name} (${matches.map((o) => o.OutputKey).join(', ')}): one MacieAlerts construct per stack, please`,
    );
  }
  return matches[0];
}
