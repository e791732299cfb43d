/**
 * The package's entry point, `import { MacieAlerts } from 'macie-alerts'`: the construct, the stack that holds
 * it, and the types of their settings. The rest of lib/ and lambda/ is the package's own business.
 */
export { MacieAlerts, MACIE_API_CALLS, MACIE_JOB_LOG_GROUP, type MacieAlertsProps, type SlackChannel, type TeamsChannel } from './macie-alerts';
export type { PipelineSettingsProps } from './macie-alerts-props';
export { MacieAlertsStack, type MacieAlertsStackProps } from './macie-alerts-stack';
export type { LogLevel, Subscriber, SubscriberKind } from './context-settings';
export { SettingsError, type BatchingSettings, type KnownErrors, type PipelineSettings } from '../lambda/core/settings';
export type { Severity } from '../lambda/core/severity';
export type { AlertCategory } from '../lambda/core/alert';
