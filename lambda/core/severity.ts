/** The one severity scale of every alert, and the numbers subscribers filter on (attribute severityScore). */
export const SEVERITIES = ['INFO', 'LOW', 'MEDIUM', 'HIGH'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityScore(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

export function maxSeverity(...severities: Severity[]): Severity {
  return severities.reduce<Severity>((max, s) => (severityScore(s) > severityScore(max) ? s : max), 'INFO');
}

/** A denied attempt is one level less urgent than the same call succeeding (never below INFO). */
export function lowerSeverity(severity: Severity): Severity {
  return SEVERITIES[Math.max(0, severityScore(severity) - 1)];
}

export function atLeast(severity: Severity, minimum: Severity): boolean {
  return severityScore(severity) >= severityScore(minimum);
}

/**
 * The severities with a count, most severe first: the order every "by severity" breakdown is written in.
 * Each caller formats the pairs itself (the alerts word them differently: "3 high", "3 HIGH", "HIGH 3").
 */
export function severitiesPresent(counts: Readonly<Partial<Record<string, number>>>): [Severity, number][] {
  const present: [Severity, number][] = [];
  for (const s of [...SEVERITIES].reverse()) {
    const n = counts[s];
    if (n) present.push([s, n]);
  }
  return present;
}
