import { parseSettings } from '../../lib/context-settings';
import { parseArgs, UsageError } from '../../src/cli/args';

/** The CLI's --region and the app's `regions` setting share one pattern: a name one accepts, the other does too. */
describe('Region names', () => {
  const replayRegion = (region: string) => parseArgs(['replay', '--region', region, 'samples/']);

  it.each(['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'cn-north-1'])(
    '%s is accepted by both',
    (region) => {
      expect(replayRegion(region)).toMatchObject({ kind: 'replay', options: { region } });
      expect(parseSettings({ regions: region }).regions).toEqual([region]);
    },
  );

  it.each(['Ireland', 'eu-west', 'us-east-1a', 'EU-WEST-1', 'eu-west-12'])('%s is refused by both', (region) => {
    expect(() => replayRegion(region)).toThrow(UsageError);
    expect(() => replayRegion(region)).toThrow(`--region "${region}" is not a Region name`);
    expect(() => parseSettings({ regions: region })).toThrow(`"${region}" is not a Region name`);
  });
});
