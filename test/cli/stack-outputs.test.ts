import { findOutput, StackLookupFailed } from '../../src/cli/stack-outputs';

/** The one lookup every CLI command uses for a stack output, in the forms CDK names them. */
describe('findOutput', () => {
  const outputs = [
    { OutputKey: 'MacieAlertsStateTableNameDAAD2577', OutputValue: 'table-a' },
    { OutputKey: 'MacieAlertsAlertTopicArnA5CC706E', OutputValue: 'topic' },
    { OutputKey: 'FailureQueues', OutputValue: '[]' },
  ];

  it('finds an output made inside the construct by its name (path prefix and hash suffix)', () => {
    expect(findOutput(outputs, 'StateTableName')?.OutputValue).toBe('table-a');
  });

  it('finds an output made in the stack by its exact name', () => {
    expect(findOutput(outputs, 'FailureQueues')?.OutputValue).toBe('[]');
  });

  it('finds it whatever id the construct was given in a custom app', () => {
    expect(findOutput([{ OutputKey: 'SecurityAlertsStateTableName0123ABCD', OutputValue: 't' }], 'StateTableName')?.OutputValue).toBe('t');
  });

  it('does not take a longer name ending the same way, or a name without the hash', () => {
    expect(findOutput([{ OutputKey: 'MacieAlertsOldStateTableNames0123ABCD' }, { OutputKey: 'MacieAlertsStateTableNameX' }], 'StateTableName')).toBeUndefined();
  });

  it('refuses to guess between two constructs of one stack', () => {
    const two = [...outputs, { OutputKey: 'OtherStateTableName99887766', OutputValue: 'table-b' }];
    expect(() => findOutput(two, 'StateTableName')).toThrow(StackLookupFailed);
    expect(() => findOutput(two, 'StateTableName')).toThrow('2 outputs named StateTableName');
  });
});
