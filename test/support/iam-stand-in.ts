import { AuthorizationErrorException, KMSAccessDeniedException } from '@aws-sdk/client-sns';
import { setCallGuard, type CallOrigin } from './aws-call-recorder';
import { permissionsOf, serviceOf, type Permission, type SdkCall } from './iam-actions';
import { allows, type FunctionRole } from './role-conformance';

/**
 * A stand-in for IAM in front of every AWS call a function's code makes in this process: the call goes
 * through only if the function's role (read from a synthesized template: role-conformance.ts) allows every
 * action IAM checks for it (iam-actions.ts), publishing to the encrypted topic included; otherwise it fails
 * as AWS fails it, with the message AWS gives, which names the action. Calls of no function (a test's own,
 * a CLI command's) go through. Returns what removes it.
 */
export function enforceRoles(roles: readonly FunctionRole[]): () => void {
  setCallGuard((origin, call) => {
    if (!origin || origin.actor.startsWith('cli:')) return undefined;
    const role = roles.find((r) => r.actor === origin.actor);
    const missing = needed(call).find((p) => !role?.grants.some((g) => allows(g, p)));
    return missing ? denied(origin, call, missing) : undefined;
  });
  return () => setCallGuard(undefined);
}

/** What IAM checks for the call, with what SNS asks KMS with the publisher's permissions (the topic is encrypted). */
function needed(call: SdkCall): Permission[] {
  const permissions = permissionsOf(call);
  return permissions.some((p) => p.action === 'sns:Publish')
    ? [...permissions, { action: 'kms:GenerateDataKey', resource: 'key' }, { action: 'kms:Decrypt', resource: 'key' }]
    : permissions;
}

const ACCOUNT = '111122223333';

/** AWS's refusal: AccessDeniedException (DynamoDB, 400), AuthorizationError (SNS, 403), KMSAccessDenied (SNS asking KMS, 400). */
function denied(origin: CallOrigin, call: SdkCall, missing: Permission): Error {
  const service = serviceOf(call);
  const user = `arn:aws:sts::${ACCOUNT}:assumed-role/macie-alerts-${origin.actor}-role/macie-alerts-${origin.actor}`;
  const message = `User: ${user} is not authorized to perform: ${service === 'sns' && missing.action === 'sns:Publish' ? 'SNS:Publish' : missing.action} on resource: ${missing.resource} because no identity-based policy allows the ${missing.action} action`;
  if (missing.action.startsWith('kms:')) return new KMSAccessDeniedException({ message, $metadata: { httpStatusCode: 400 } });
  if (service === 'sns') return new AuthorizationErrorException({ message, $metadata: { httpStatusCode: 403 } });
  return Object.assign(new Error(message), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}
