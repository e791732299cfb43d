import { errorText } from '../../lambda/core/error-text';

class ConditionalCheckFailedException extends Error {
  override name = 'ConditionalCheckFailedException';
}

describe('errorText: a thrown value as one line', () => {
  it.each([
    ['an Error', new Error('boom'), 'Error: boom'],
    [
      'an AWS SDK error class, by its name',
      new ConditionalCheckFailedException('The conditional request failed'),
      'ConditionalCheckFailedException: The conditional request failed',
    ],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'pk')"), "TypeError: Cannot read properties of undefined (reading 'pk')"],
    ['a thrown string', 'socket hang up', 'socket hang up'],
    ['a thrown object without a message', { code: 'ECONNRESET' }, '[object Object]'],
    ['undefined', undefined, 'undefined'],
  ])('%s', (_name, error, expected) => {
    expect(errorText(error)).toBe(expected);
  });
});
