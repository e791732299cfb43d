import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * What the core says about itself: structured log lines and counters. In Lambda, Powertools (JSON logs,
 * CloudWatch EMF metrics); in the replay CLI and tests, a recorder (stdout stays clean for alerts).
 */
export interface Telemetry {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  count(metric: MetricName, value?: number): void;
}

/** Every metric the pipeline emits (namespace MacieAlerts); alarms and dashboards use these names. */
export type MetricName =
  | 'BadRecords'
  | 'BadBatches'
  | 'EventsProcessed'
  | 'EventsDuplicate'
  | 'EventsIgnored'
  | 'AlertsPublished'
  | 'AlertsSuppressed'
  | 'AlertsSilenced'
  | 'AlertsAlreadySent'
  | 'PublishFailures';

export const METRICS_NAMESPACE = 'MacieAlerts';

export class PowertoolsTelemetry implements Telemetry {
  constructor(
    readonly logger: Logger,
    readonly metrics: Metrics,
  ) {}

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
  count(metric: MetricName, value = 1): void {
    this.metrics.addMetric(metric, MetricUnit.Count, value);
  }
  /** Call at the end of each invocation (handlers do, in finally). */
  flush(): void {
    this.metrics.publishStoredMetrics();
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
  readonly counters: Partial<Record<MetricName, number>> = {};

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
  count(metric: MetricName, value = 1): void {
    this.counters[metric] = (this.counters[metric] ?? 0) + value;
  }
}
