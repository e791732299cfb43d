/**
 * What an AWS Region name looks like (us-east-1, us-gov-west-1, us-isob-east-1). One pattern for the CDK
 * app's `regions` setting (lib/context-settings.ts) and the replay CLI's --region (src/cli/args.ts), so both
 * accept the same names. It lives here, not in lib/, because the published CLI ships src/ but not lib/ (and
 * lib/ pulls in aws-cdk-lib, a dev dependency).
 */
export const REGION_NAME = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$/;
