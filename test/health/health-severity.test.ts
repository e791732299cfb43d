import { healthSeverity, type HealthSeverityInput } from '../../lambda/health/health-severity';

const base: HealthSeverityInput = {
  eventTypeCode: 'AWS_MACIE_OPERATIONAL_ISSUE',
  eventTypeCategory: 'issue',
  statusCode: 'open',
  description: 'Increased error rates for Macie.',
};

describe('healthSeverity: how urgent an AWS Health event about Macie is', () => {
  test.each([
    ['a service issue', {}, 'MEDIUM', 'issue'],
    ['an investigation', { eventTypeCategory: 'investigation' }, 'MEDIUM', 'investigation'],
    ['a scheduled change', { eventTypeCategory: 'scheduledChange', eventTypeCode: 'AWS_MACIE_PLANNED_LIFECYCLE_EVENT' }, 'LOW', 'scheduled-change'],
    [
      'an account notification',
      { eventTypeCategory: 'accountNotification', eventTypeCode: 'AWS_MACIE_ACCOUNT_NOTIFICATION', description: 'Your Macie account has a new feature.' },
      'LOW',
      'account-notification',
    ],
    ['a category Health adds later', { eventTypeCategory: 'somethingNew' }, 'MEDIUM', 'unknown-category'],
    [
      'a job expiration by its code',
      { eventTypeCategory: 'accountNotification', eventTypeCode: 'AWS_MACIE_JOB_IMMINENT_EXPIRATION', description: '' },
      'HIGH',
      'job-expiring',
    ],
    [
      'a job cancellation by its description',
      {
        eventTypeCategory: 'accountNotification',
        eventTypeCode: 'AWS_MACIE_NOTIFICATION',
        description: 'Your paused job abc will be cancelled on December 10.',
      },
      'HIGH',
      'job-expiring',
    ],
    [
      'an expiry that is not about a job',
      { eventTypeCategory: 'accountNotification', eventTypeCode: 'AWS_MACIE_NOTIFICATION', description: 'Your trial will expire soon.' },
      'LOW',
      'account-notification',
    ],
    ['a closed event, whatever it was', { statusCode: 'closed', eventTypeCode: 'AWS_MACIE_JOB_IMMINENT_EXPIRATION' }, 'INFO', 'resolved'],
    ['an upcoming change', { statusCode: 'upcoming', eventTypeCategory: 'scheduledChange' }, 'LOW', 'scheduled-change'],
  ] as const)('%s', (_name, changes, severity, reason) => {
    expect(healthSeverity({ ...base, ...changes })).toEqual({ severity, reason });
  });
});
