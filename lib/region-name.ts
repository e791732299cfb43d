/**
 * What an AWS Region name looks like (us-east-1, us-gov-west-1, us-isob-east-1). One pattern for the CDK
 * app's `regions` setting (lib/context-settings.ts) and the replay CLI's --region (src/cli/args.ts), so both
 * accept the same names. No CDK import, so the CLI loads it without aws-cdk-lib.
 */
export const REGION_NAME = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$/;
