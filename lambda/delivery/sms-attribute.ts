/**
 * The message attribute the SMS budget sets on every alert (sms-budget.ts), apart from the budget's state
 * code: the construct's filter policies name it, and the construct must not load the DynamoDB client.
 */
export type SmsRoute = 'true' | 'false' | 'notice';

/** The message attribute, and its value on alerts no budget decided (no SMS subscriber, budget off, not for SMS). */
export const SMS_ATTRIBUTE = 'sms';
export const SMS_UNBUDGETED: SmsRoute = 'true';
