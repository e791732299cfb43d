import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AlertCategory } from './alert';
import type { Severity } from './severity';

/**
 * What the core says about itself: structured log lines and counters. In Lambda, Powertools (JSON logs,
 * CloudWatch EMF metrics); in the replay CLI and tests, a recorder (stdout stays clean for alerts).
 */
export interface Telemetry {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  count(metric: PlainMetricName, value?: number): void;
  /** A metric with its one dimension (METRICS[metric].dimension), whose value must come from a fixed set. */
  countBy<M extends DimensionedMetricName>(metric: M, dimensionValue: DimensionValueOf<M>, value?: number): void;
}

export const METRICS_NAMESPACE = 'MacieAlerts';

/**
 * The dimensions a metric may have, each from a fixed set so that no event can mint new (paid) metrics: never
 * bucket, job, account or principal names.
 */
export type MetricDimension = 'eventType' | 'severity' | 'category' | 'apiCall';
interface DimensionValues {
  readonly eventType: string;
  readonly severity: Severity;
  readonly category: AlertCategory;
  readonly apiCall: string;
}
/** The value a dimension takes for whatever is outside its fixed set. */
export const OTHER_DIMENSION_VALUE = 'OTHER';

export interface MetricSpec {
  readonly unit: 'Count';
  readonly dimension?: MetricDimension;
  readonly description: string;
}

/**
 * Every metric the pipeline emits (namespace MacieAlerts), the one list alarms, the dashboard and docs/operations.md
 * use. A metric with a dimension carries only that one, so CloudWatch adds up every function's.
 */
export const METRICS = {
  BadRecords: { unit: 'Count', description: 'Malformed records skipped (one warn line each; a retry cannot fix them)' },
  BadBatches: { unit: 'Count', description: 'Job log subscription payloads that could not be decoded at all (dropped)' },
  RecordsRetried: {
    unit: 'Count',
    description: 'SQS records listed in batchItemFailures (their aggregate could not be written, or its alerts not published): the queue delivers them again',
  },
  EventsProcessed: { unit: 'Count', description: 'Events applied to the state, once each' },
  EventsDuplicate: { unit: 'Count', description: 'Events delivered again and not applied again' },
  EventsIgnored: { unit: 'Count', description: 'Events the alert policy does not cover, or findings below the threshold' },
  AlertsPublished: { unit: 'Count', description: 'Alerts published to the alert topic' },
  AlertsSuppressed: { unit: 'Count', description: 'Events grouped into an earlier alert (or inhibited) instead of alerting' },
  AlertsSilenced: { unit: 'Count', description: 'Events a silence matched: counted in their run, not alerted (of AlertsSuppressed)' },
  AlertsAlreadySent: { unit: 'Count', description: 'Alerts already sent, or held by another delivery within its lease' },
  AlertsRepublished: {
    unit: 'Count',
    description: 'Copies published labelled as possible repeats (after a crashed delivery was taken over, or an SNS answer was lost)',
  },
  PublishFailures: { unit: 'Count', description: 'Alerts SNS did not take (left pending: the retry or the sweeper sends them)' },
  RunsCompleted: { unit: 'Count', description: 'Macie job runs that completed' },
  RunsCancelled: { unit: 'Count', description: 'Macie job runs that were cancelled' },
  JobEvents: { unit: 'Count', dimension: 'eventType', description: 'Macie job log events applied, by event type' },
  Findings: { unit: 'Count', dimension: 'severity', description: 'Macie findings applied, by Macie severity' },
  ApiCallAlerts: { unit: 'Count', dimension: 'apiCall', description: 'Alerts raised for Macie API calls, by call' },
  HealthAlerts: { unit: 'Count', dimension: 'severity', description: 'Alerts raised for AWS Health events about Macie, by severity' },
  AlertsBySeverity: { unit: 'Count', dimension: 'severity', description: 'Alerts published, by severity' },
  AlertsByCategory: { unit: 'Count', dimension: 'category', description: 'Alerts published, by category' },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;
type SpecOf<M extends MetricName> = (typeof METRICS)[M];
export type DimensionedMetricName = { [M in MetricName]: SpecOf<M> extends { readonly dimension: MetricDimension } ? M : never }[MetricName];
export type PlainMetricName = Exclude<MetricName, DimensionedMetricName>;
export type DimensionValueOf<M extends DimensionedMetricName> = DimensionValues[SpecOf<M>['dimension']];

export function dimensionOf(metric: DimensionedMetricName): MetricDimension {
  return METRICS[metric].dimension;
}

/**
 * Counters are added up in memory and written at flush: one EMF line for the plain metrics, and one per
 * dimension value seen (all the metrics sharing it in that line), so a batch of 1,000 events of 3 types
 * writes 4 lines, not 1,000.
 */
export class PowertoolsTelemetry implements Telemetry {
  private readonly plain = new Map<PlainMetricName, number>();
  /** `${dimension}\u0000${value}` -> metric -> count. */
  private readonly dimensioned = new Map<string, Map<DimensionedMetricName, number>>();
  /** Emits the dimensioned metrics, without the `service` dimension (see METRICS). */
  private readonly byDimension: Metrics;

  constructor(
    readonly logger: Logger,
    readonly metrics: Metrics,
  ) {
    this.byDimension = new Metrics({ namespace: METRICS_NAMESPACE });
    this.byDimension.clearDefaultDimensions();
  }

  static create(serviceName: string): PowertoolsTelemetry {
    return new PowertoolsTelemetry(new Logger({ serviceName }), new Metrics({ namespace: METRICS_NAMESPACE, serviceName }));
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.logger.info(message, fields ?? {});
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.logger.warn(message, fields ?? {});
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.logger.error(message, fields ?? {});
  }
  count(metric: PlainMetricName, value = 1): void {
    this.plain.set(metric, (this.plain.get(metric) ?? 0) + value);
  }
  countBy<M extends DimensionedMetricName>(metric: M, dimensionValue: DimensionValueOf<M>, value = 1): void {
    const key = `${dimensionOf(metric)}\u0000${dimensionValue}`;
    const counts = this.dimensioned.get(key) ?? new Map();
    this.dimensioned.set(key, counts);
    counts.set(metric, (counts.get(metric) ?? 0) + value);
  }
  /** Call at the end of each invocation (handlers do, in finally). */
  flush(): void {
    if (this.plain.size > 0) {
      for (const [metric, value] of this.plain) this.metrics.addMetric(metric, MetricUnit.Count, value);
      this.plain.clear();
      this.metrics.publishStoredMetrics();
    }
    for (const [key, counts] of this.dimensioned) {
      const [dimension, value] = key.split('\u0000');
      this.byDimension.addDimension(dimension, value);
      for (const [metric, n] of counts) this.byDimension.addMetric(metric, MetricUnit.Count, n);
      this.byDimension.publishStoredMetrics();
    }
    this.dimensioned.clear();
  }
}

export interface RecordedLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** Keeps lines and counters in memory: tests assert on them, the CLI prints a summary from them. */
export class RecordingTelemetry implements Telemetry {
  readonly lines: RecordedLine[] = [];
  readonly counters: Partial<Record<PlainMetricName, number>> = {};
  /** Dimensioned counters: metric -> dimension value -> count. */
  readonly countersBy: Partial<Record<DimensionedMetricName, Record<string, number>>> = {};

  constructor(private readonly echo?: (line: RecordedLine) => void) {}

  private record(level: RecordedLine['level'], message: string, fields: Record<string, unknown> = {}): void {
    const line = { level, message, fields };
    this.lines.push(line);
    this.echo?.(line);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.record('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.record('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.record('error', message, fields);
  }
  count(metric: PlainMetricName, value = 1): void {
    this.counters[metric] = (this.counters[metric] ?? 0) + value;
  }
  countBy<M extends DimensionedMetricName>(metric: M, dimensionValue: DimensionValueOf<M>, value = 1): void {
    const byValue: Record<string, number> = this.countersBy[metric] ?? {};
    this.countersBy[metric] = byValue;
    byValue[dimensionValue] = (byValue[dimensionValue] ?? 0) + value;
  }
}
