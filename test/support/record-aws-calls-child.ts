import { AWS_CALLS_ACTOR_ENV, AWS_CALLS_SOURCE_ENV, installSdkRecorder } from './aws-call-recorder';

/**
 * Bundled into the handlers a crash test runs in processes of their own (handler-process.ts builds them with
 * esbuild's `inject`), never into a deployed function: every AWS call of the process is its function's.
 * Records only when the process is given the run's folder (handlerEnv passes it on).
 */
const actor = process.env[AWS_CALLS_ACTOR_ENV];
if (actor)
  installSdkRecorder(
    () => ({ actor }),
    () => process.env[AWS_CALLS_SOURCE_ENV] ?? 'unknown',
  );
