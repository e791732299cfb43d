/**
 * An AWS SDK error as one line a user can act on. The CLI's AWS calls use the SDK's standard credential
 * chain (environment, AWS_PROFILE and ~/.aws, SSO, container or instance role) and Region resolution, as the
 * AWS CLI does, so the message names what is missing in those terms.
 */
export function awsErrorText(error: unknown, doing: string): string {
  const e = error as { name?: string; message?: string };
  const name = e?.name ?? '';
  const message = e?.message ?? String(error);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return (
      `no AWS credentials found to ${doing}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (a profile in ~/.aws), ` +
      'or sign in with `aws sso login`, then try again'
    );
  }
  if (/region is missing/i.test(message)) return `no AWS Region to ${doing}: pass --region, or set AWS_REGION (or a region in your AWS profile)`;
  if (/ExpiredToken|RequestExpired|TokenRefreshRequired/.test(name)) return `your AWS credentials have expired (${message}): refresh them (e.g. \`aws sso login\`) and try again`;
  if (/InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch/.test(name)) return `AWS did not accept your credentials to ${doing}: ${message}`;
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${message}`)) return `not allowed to ${doing}: ${message}`;
  return `could not ${doing}: ${name ? `${name}: ` : ''}${message}`;
}
