import { formatCount, type Alert } from '../core/alert';
import type { Severity } from '../core/severity';
import { chatSafeLine, chatSafeParagraph, chatSafeProse, cleanLine, isSafeConsoleUrl } from '../core/sanitize';
import { possibleRepeatLine, type PossibleRepeat } from './possible-repeat';

/**
 * An Amazon Q Developer in chat applications (formerly AWS Chatbot) custom notification. A message that does
 * not match this shape is silently not posted, so the type is the schema.
 */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/**
 * Upper bound on the serialized notification. Slack caps a section block's text at 3,000 characters and
 * truncates long messages, Teams rejects messages over about 28 KB; 4,000 characters keeps the whole
 * notification (title, description, next steps) readable in one screen on both, whatever the alert holds.
 */
export const CHAT_MAX_CHARS = 4000;

const SEVERITY_MARK: Record<Severity, string> = { HIGH: '🔴', MEDIUM: '🟠', LOW: '🟡', INFO: '🔵' };

interface Budget {
  description: number;
  step: number;
  steps: number;
  resources: number;
  context: number;
}

const BUDGETS: readonly Budget[] = [
  { description: 2000, step: 300, steps: 5, resources: 10, context: 200 },
  { description: 1200, step: 200, steps: 4, resources: 5, context: 120 },
  { description: 600, step: 150, steps: 3, resources: 3, context: 80 },
  { description: 300, step: 100, steps: 2, resources: 0, context: 60 },
];

/**
 * The chat form of an alert; every string from the alert is cleaned and its markup neutralised. A possible
 * repeat says so in the first paragraph of the description.
 */
export function renderChat(alert: Alert, repeat?: PossibleRepeat): ChatNotification {
  for (const budget of BUDGETS) {
    const notification = build(alert, budget, repeat);
    if (JSON.stringify(notification).length <= CHAT_MAX_CHARS) return notification;
  }
  return build(alert, { description: 200, step: 80, steps: 1, resources: 0, context: 40 }, repeat);
}

function build(alert: Alert, budget: Budget, repeat: PossibleRepeat | undefined): ChatNotification {
  const headline = chatSafeLine(alert.headline, 200) || chatSafeLine(alert.eventType, 80) || 'Macie alert';
  const sample = alert.sample ? ' SAMPLE' : '';
  const title = `${SEVERITY_MARK[alert.severity] ?? ''} ${alert.severity}${sample}: ${headline}`.trim();

  const paragraphs = [
    repeat ? possibleRepeatLine(repeat) : '',
    alert.sample ? 'SAMPLE: this alert comes from a sample finding, not from your data.' : '',
    chatSafeProse(alert.whatHappened, budget.description / 2),
    chatSafeProse(alert.whatItMeans, budget.description / 4),
    where(alert) + (alert.count > 1 ? ` (${formatCount(alert.count)} events)` : ''),
  ].filter(Boolean);
  const description = paragraphs.join('\n\n');

  const links = alert.links.filter((l) => isSafeConsoleUrl(l.url)).map((l) => `${chatSafeLine(l.label, 60)}: ${l.url}`);
  const nextSteps = [chatSafeParagraph(alert.whatToDo, budget.step), ...links].filter(Boolean).slice(0, budget.steps);

  const keywords = [alert.severity, alert.category, chatSafeLine(alert.eventType, 60), ...(alert.sample ? ['SAMPLE'] : [])];

  const relatedResources = alert.affected.flatMap((group) => group.items.map((item) => `${group.kind}: ${chatSafeLine(item, 120)}`)).slice(0, budget.resources);

  const context: Record<string, string> = {
    alertId: chatSafeLine(alert.id, budget.context),
    severity: alert.severity,
    category: alert.category,
    accountId: cleanLine(alert.accountId, 20),
    region: cleanLine(alert.region, 20),
    occurredAt: cleanLine(alert.occurredAt, 40),
    count: String(alert.count),
    sample: String(alert.sample),
  };
  if (alert.job) context.jobId = chatSafeLine(alert.job.id, budget.context);
  if (alert.job?.name) context.jobName = chatSafeLine(alert.job.name, budget.context);
  if (alert.job?.runDate) context.runDate = cleanLine(alert.job.runDate, 40);
  if (alert.findingId) context.findingId = chatSafeLine(alert.findingId, budget.context);

  return {
    version: '1.0',
    source: 'custom',
    id: cleanLine(alert.id, 200),
    content: { textType: 'client-markdown', title, description, nextSteps, keywords },
    metadata: {
      threadId: cleanLine(alert.threadId, 200) || cleanLine(alert.id, 200),
      summary: `${alert.severity}${sample}: ${headline}`,
      eventType: chatSafeLine(alert.eventType, 100),
      relatedResources,
      additionalContext: context,
    },
  };
}

function where(alert: Alert): string {
  const parts = [`Account ${chatSafeLine(alert.accountId, 20)}`, chatSafeLine(alert.region, 20)];
  if (alert.job) parts.push(`job ${chatSafeLine(alert.job.name ?? alert.job.id, 120)}`);
  return parts.filter(Boolean).join(', ');
}
