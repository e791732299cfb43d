/**
 * An AWS SDK error as one line a user can act on. The CLI uses the standard credential chain (environment,
 * AWS_PROFILE and ~/.aws, SSO, container or instance role) and Region resolution, like the AWS CLI does.
 */
export function awsErrorText(error: unknown, doing: string): string {
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e?.name ?? e?.Code ?? '';
  const message = e?.message ?? String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return `no AWS credentials found (the standard chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws, SSO, an instance or container role): configure some, e.g. \`aws configure\` or \`aws sso login\`, then try again`;
  }
  if (/Region is missing/i.test(message)) return 'no AWS Region: pass --region REGION, or set AWS_REGION (or a region in your AWS profile)';
  if (/ExpiredToken|RequestExpired|TokenRefreshRequired/i.test(name) || (/expired/i.test(message) && /token|credential/i.test(message))) {
    return `your AWS credentials have expired (${message}): refresh them (e.g. \`aws sso login\`) and try again`;
  }
  if (/AccessDenied|UnauthorizedOperation|AuthorizationError|not authorized/i.test(`${name} ${message}`)) {
    return `not allowed to ${doing}: ${message}`;
  }
  if (/InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch/i.test(name))
    return `AWS did not accept your credentials while trying to ${doing}: ${message}`;
  return `could not ${doing}: ${name ? `${name}: ` : ''}${message}`;
}
