import { METRICS, METRICS_NAMESPACE, PowertoolsTelemetry } from '../../lambda/core/telemetry';

interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** Runs `emit` and returns the EMF lines Powertools wrote to stdout. */
function emfLines(emit: () => void): EmfLine[] {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    emit();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as EmfLine);
}

describe('PowertoolsTelemetry', () => {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  beforeAll(() => delete process.env.POWERTOOLS_METRICS_DISABLED);
  afterAll(() => {
    if (saved !== undefined) process.env.POWERTOOLS_METRICS_DISABLED = saved;
  });

  it('adds counts up and writes one EMF line for the plain metrics plus one per dimension value', () => {
    const telemetry = PowertoolsTelemetry.create('macie-alerts-job-log');
    const lines = emfLines(() => {
      for (let i = 0; i < 1000; i++) telemetry.countBy('JobEvents', i % 10 === 0 ? 'OTHER' : 'BUCKET_ACCESS_DENIED');
      for (let i = 0; i < 250; i++) telemetry.count('BadRecords');
      telemetry.count('EventsProcessed', 1000);
      telemetry.countBy('AlertsBySeverity', 'HIGH', 2);
      telemetry.countBy('Findings', 'HIGH');
      telemetry.countBy('AlertsByCategory', 'BUCKET_ERROR', 2);
      telemetry.flush();
    });
    // plain; eventType=BUCKET_ACCESS_DENIED; eventType=OTHER; severity=HIGH (two metrics share it); category=BUCKET_ERROR
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);

    const plain = lines.find((l) => l._aws.CloudWatchMetrics[0].Dimensions[0][0] === 'service')!;
    expect(plain).toMatchObject({ service: 'macie-alerts-job-log', BadRecords: 250, EventsProcessed: 1000 });
    expect(plain._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);

    const withDimension = (name: string, value: string) => lines.find((l) => l[name] === value && l._aws.CloudWatchMetrics[0].Dimensions[0][0] === name);
    expect(withDimension('eventType', 'BUCKET_ACCESS_DENIED')).toMatchObject({ JobEvents: 900 });
    expect(withDimension('eventType', 'OTHER')).toMatchObject({ JobEvents: 100 });
    const high = withDimension('severity', 'HIGH')!;
    expect(high).toMatchObject({ AlertsBySeverity: 2, Findings: 1 });
    // Only the dimension: CloudWatch adds up what every function emits, and no `service` value multiplies the metrics.
    expect(high._aws.CloudWatchMetrics[0].Dimensions).toEqual([['severity']]);
    expect(high.service).toBeUndefined();
    expect(withDimension('category', 'BUCKET_ERROR')).toMatchObject({ AlertsByCategory: 2 });
  });

  it('starts again from zero after a flush, and writes nothing when nothing was counted', () => {
    const telemetry = PowertoolsTelemetry.create('macie-alerts-findings');
    emfLines(() => {
      telemetry.count('BadRecords', 3);
      telemetry.countBy('Findings', 'LOW');
      telemetry.flush();
    });
    expect(emfLines(() => telemetry.flush())).toEqual([]);
    const next = emfLines(() => {
      telemetry.count('BadRecords');
      telemetry.flush();
    });
    expect(next).toHaveLength(1);
    expect(next[0].BadRecords).toBe(1);
  });

  it('declares the unit of every metric it writes', () => {
    const telemetry = PowertoolsTelemetry.create('macie-alerts-sweeper');
    const lines = emfLines(() => {
      telemetry.count('RunsCompleted');
      telemetry.countBy('ApiCallAlerts', 'DisableMacie');
      telemetry.flush();
    });
    for (const line of lines) {
      for (const m of line._aws.CloudWatchMetrics[0].Metrics) expect(m.Unit).toBe(METRICS[m.Name as keyof typeof METRICS].unit);
    }
  });
});
