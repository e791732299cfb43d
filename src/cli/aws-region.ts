import { awsErrorText } from './aws-errors';

/**
 * The Region a command's AWS client resolved (--region, then AWS_REGION, then the profile's region), known
 * before any call: a command with none stops there, with what to set, and exits as for a missing option.
 */
export class RegionMissing extends Error {
  constructor() {
    super('no AWS Region: pass --region REGION, or set AWS_REGION (or a region in your AWS profile)');
    this.name = 'RegionMissing';
  }
}

/** Any other failure to resolve it (a broken config file), already worded for the user. */
export class RegionUnknown extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegionUnknown';
  }
}

export async function resolvedRegion(client: { readonly config: { region(): Promise<string> } }): Promise<string> {
  let region: string | undefined;
  try {
    region = await client.config.region();
  } catch (error) {
    if (/Region is missing/i.test((error as Error)?.message ?? '')) throw new RegionMissing();
    throw new RegionUnknown(awsErrorText(error, 'find the AWS Region to use'));
  }
  if (!region) throw new RegionMissing();
  return region;
}
