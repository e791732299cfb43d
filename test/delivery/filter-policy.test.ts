import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { evaluateFilterPolicy, filterPolicyMatches, type FilterMatch, type FilterPolicy } from '../../lambda/delivery/filter-policy';

const str = (v: string): MessageAttributeValue => ({ DataType: 'String', StringValue: v });
const num = (v: number): MessageAttributeValue => ({ DataType: 'Number', StringValue: String(v) });
const high = { severityScore: num(3), category: str('API_CALL'), sample: str('false'), sms: str('true') };

describe('SNS filter policies, evaluated as SNS does for the operators this app writes', () => {
  const cases: [string, FilterPolicy, Record<string, MessageAttributeValue>, FilterMatch][] = [
    ['exact string', { category: ['API_CALL'] }, high, { matches: true }],
    ['one of several strings', { category: ['JOB_STATUS', 'API_CALL'] }, high, { matches: true }],
    ['no string matches', { category: ['JOB_STATUS'] }, high, { matches: false, failedKey: 'category' }],
    ['an attribute the message lacks matches nothing', { jobId: ['x'] }, high, { matches: false, failedKey: 'jobId' }],
    ['a string never matches a Number attribute', { severityScore: ['3'] }, high, { matches: false, failedKey: 'severityScore' }],
    ['numeric >= at the bound', { severityScore: [{ numeric: ['>=', 3] }] }, high, { matches: true }],
    [
      'numeric >= below the bound',
      { severityScore: [{ numeric: ['>=', 3] }] },
      { ...high, severityScore: num(2) },
      { matches: false, failedKey: 'severityScore' },
    ],
    ['numeric on a String attribute', { category: [{ numeric: ['>=', 0] }] }, high, { matches: false, failedKey: 'category' }],
    ['numeric range', { severityScore: [{ numeric: ['>', 1, '<=', 3] }] }, high, { matches: true }],
    ['keys are ANDed', { category: ['API_CALL'], sms: ['false'] }, high, { matches: false, failedKey: 'sms' }],
    ['$or: one branch matches', { $or: [{ category: ['TEST'] }, { severityScore: [{ numeric: ['>=', 2] }] }] }, high, { matches: true }],
    ['$or: no branch matches', { $or: [{ category: ['TEST'] }, { sms: ['notice'] }] }, high, { matches: false, failedKey: '$or' }],
    ['$or with a key beside it', { sample: ['false'], $or: [{ sms: ['notice'] }, { sms: ['true'] }] }, high, { matches: true }],
    ['$or with a key beside it that fails', { sample: ['true'], $or: [{ sms: ['notice'] }, { sms: ['true'] }] }, high, { matches: false, failedKey: 'sample' }],
    ['an operator it does not model matches nothing', { category: [{ prefix: 'API' }] }, high, { matches: false, failedKey: 'category' }],
  ];
  for (const [name, policy, attributes, expected] of cases) {
    it(name, () => {
      expect(evaluateFilterPolicy(policy, attributes)).toEqual(expected);
    });
  }

  it('no policy: everything', () => {
    expect(filterPolicyMatches(undefined, high)).toBe(true);
  });
});
