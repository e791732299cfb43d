import {
  BatchEntryIdsNotDistinctException,
  BatchRequestTooLongException,
  EmptyBatchRequestException,
  InvalidBatchEntryIdException,
  InvalidParameterException,
  InvalidParameterValueException,
  TooManyEntriesInBatchRequestException,
  type SNSServiceException,
} from '@aws-sdk/client-sns';
import { mockClient as sdkMockClient } from 'aws-sdk-client-mock';
import { messageRefusal, publishBatchRefusal, type SnsMessageRequest, type SnsRefusal, type SnsRefusalCode } from '../../lambda/delivery/sns-limits';
import { currentOrigin, currentTestFile, recordCall } from './aws-call-recorder';

/**
 * aws-sdk-client-mock's mockClient, holding AWS's rules: every suite mocks through this one (test/docs checks
 * that none imports the library's directly). Before a command reaches the stubbed behaviour, the call is
 * recorded for the IAM conformance tests (a mocked client never runs the SDK middleware that records the
 * others), and an SNS Publish or PublishBatch that SNS would refuse (lambda/delivery/sns-limits.ts) is
 * refused with SNS's exception, whatever the test configured: a test cannot make SNS accept what it does not.
 */
export const mockClient: typeof sdkMockClient = (client, options) => {
  const stub = sdkMockClient(client, options);
  // As aws-sdk-client-mock tells a client instance from a client class.
  const target = ((client as { send?: unknown }).send !== undefined ? client : (client as unknown as { prototype: object }).prototype) as { send: StrictSend };
  const wrap = () => {
    const stubbed = target.send;
    target.send = Object.assign(
      function strictSend(this: { constructor: { name: string } }, ...args: unknown[]) {
        const command = args[0] as { constructor: { name: string }; input: unknown };
        const call = { client: this.constructor.name, command: command.constructor.name, input: command.input };
        recordCall(currentOrigin(), call, currentTestFile());
        const refusal = snsRefusal(call.client, call.command, call.input);
        if (refusal) return Promise.reject(snsException(refusal));
        return stubbed.apply(this, args);
      },
      { [STUBBED]: stubbed },
    );
  };
  // The stub's reset and restore replace the send they made: ours comes off first and goes back on after a reset.
  const unwrap = () => {
    if (target.send[STUBBED]) target.send = target.send[STUBBED];
  };
  const { reset, restore } = stub;
  stub.reset = () => {
    unwrap();
    reset.call(stub);
    wrap();
    return stub;
  };
  stub.restore = () => {
    unwrap();
    restore.call(stub);
  };
  wrap();
  return stub;
};

const STUBBED = Symbol('stubbed send');
type StrictSend = ((...args: unknown[]) => unknown) & { [STUBBED]?: StrictSend };

function snsRefusal(client: string, command: string, input: unknown): SnsRefusal | undefined {
  if (client !== 'SNSClient') return undefined;
  if (command === 'PublishCommand') return messageRefusal(input as SnsMessageRequest);
  if (command === 'PublishBatchCommand')
    return publishBatchRefusal((input as { PublishBatchRequestEntries?: (SnsMessageRequest & { Id?: string })[] }).PublishBatchRequestEntries ?? []);
  return undefined;
}

const EXCEPTIONS: Record<SnsRefusalCode, new (options: { message: string; $metadata: object }) => SNSServiceException> = {
  InvalidParameter: InvalidParameterException,
  ParameterValueInvalid: InvalidParameterValueException,
  EmptyBatchRequest: EmptyBatchRequestException,
  TooManyEntriesInBatchRequest: TooManyEntriesInBatchRequestException,
  InvalidBatchEntryId: InvalidBatchEntryIdException,
  BatchEntryIdsNotDistinct: BatchEntryIdsNotDistinctException,
  BatchRequestTooLong: BatchRequestTooLongException,
};

/** The exception the SDK raises for SNS's answer (HTTP 400, sender fault). */
export function snsException(refusal: SnsRefusal): SNSServiceException {
  return new EXCEPTIONS[refusal.code]({ message: refusal.message, $metadata: { httpStatusCode: 400 } });
}
