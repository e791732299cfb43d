import type { PublishedRecord } from '../../lambda/delivery/recording-publisher';
import type { SnsProtocolMessages } from '../../lambda/delivery/sns-message';
import type { Scenario } from './scenarios';

/** One scenario's published alerts as Markdown, in every form a subscriber receives: the golden output and the docs' examples. */

const fence = (lang: string, text: string) => `\`\`\`${lang}\n${text.replace(/\n$/, '')}\n\`\`\``;
const pretty = (json: string) => JSON.stringify(JSON.parse(json), null, 2);

export function renderScenario(scenario: Scenario, records: readonly PublishedRecord[]): string {
  const parts = [`## ${scenario.title}`, ''];
  records.forEach(({ alert, message }, i) => {
    const forms = JSON.parse(message.Message) as SnsProtocolMessages;
    const attributes = Object.fromEntries(Object.entries(message.MessageAttributes).map(([k, v]) => [k, v.StringValue]));
    parts.push(
      `### ${i + 1}. ${alert.category}: ${alert.eventType}`,
      '',
      'Email subject:',
      fence('text', message.Subject),
      '',
      'SMS:',
      fence('text', forms.sms),
      '',
      '<details><summary>Email body, chat, JSON and message attributes</summary>',
      '',
      'Email body:',
      fence('text', forms.email),
      '',
      'Chat (Amazon Q Developer custom notification):',
      fence('json', pretty(forms.https)),
      '',
      'JSON (default, sqs, lambda, email-json):',
      fence('json', pretty(forms.default)),
      '',
      'Message attributes:',
      fence('json', JSON.stringify(attributes, null, 2)),
      '',
      '</details>',
      '',
    );
  });
  return parts.join('\n');
}

export const EXAMPLES_HEADER = [
  '# Alert examples',
  '',
  'Every alert below was published by the real pipelines, run on DynamoDB Local with fixed inputs and a test',
  'clock (`test/golden/scenarios.ts`), exactly as SNS subscribers receive it. `npm run docs:alerts` writes this',
  'page and the golden files in `test/golden/output/`; `test/golden/alerts.golden.test.ts` fails when either',
  'differs from what the pipelines publish. What the forms are and how to choose among them:',
  '[Alerts](alerts.md).',
  '',
].join('\n');
