import { details, type AlertCategory, type AlertDetail } from '../core/alert';
import { macieFindingLink, macieJobLink } from '../core/links';
import { maxSeverity, type Severity } from '../core/severity';
import type { FindingDetail } from './finding-events';
import { findingTypeInfo, unknownFindingTypeInfo, type FindingTypeInfo } from './finding-types';

/** What every finding alert shares: the type's words, severity, sample labels, links, common fields. */

export const UNKNOWN_BUCKET = '(unknown bucket)';

export function typeInfo(finding: Pick<FindingDetail, 'type'>, kind: FindingTypeInfo['kind']): { info: FindingTypeInfo; known: boolean } {
  const info = findingTypeInfo(finding.type);
  return info ? { info, known: true } : { info: unknownFindingTypeInfo(finding.type, kind), known: false };
}

/** Unknown (future) types are never quieter than MEDIUM: we cannot tell the reader what they mean. */
export function alertSeverity(finding: Pick<FindingDetail, 'severity'>, known: boolean): Severity {
  return known ? finding.severity : maxSeverity(finding.severity, 'MEDIUM');
}

export const iso = (at: string) => new Date(at).toISOString();

export function findingLinks(finding: Pick<FindingDetail, 'region' | 'id'>, jobId?: string) {
  return [
    { label: 'Finding in the Macie console', url: macieFindingLink(finding.region, finding.id) },
    ...(jobId ? [{ label: 'Job in the Macie console', url: macieJobLink(finding.region, jobId) }] : []),
  ];
}

export function commonFields(finding: Pick<FindingDetail, 'type' | 'accountId' | 'region' | 'sample'>, category: AlertCategory) {
  return { category, eventType: finding.type, accountId: finding.accountId, region: finding.region, sample: finding.sample === true };
}

/**
 * The last details of every finding alert: where the finding is and whether it is Macie's sample. Its id is
 * on the alert (findingId), which every rendering shows once.
 */
export function findingIdentityDetails(finding: Pick<FindingDetail, 'accountId' | 'region' | 'id' | 'sample'>): AlertDetail[] {
  return details([
    ['Account', finding.accountId],
    ['Region', finding.region],
    ['Sample', finding.sample ? 'yes (SAMPLE finding)' : undefined],
  ]);
}
