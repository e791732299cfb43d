/**
 * Prints one real rendering of each form, produced by the code from the test catalogue, so the README
 * examples are never hand-written: `npx tsx scripts/render-examples.ts [catalogue-name-substring]`.
 */
import { renderChat } from '../lambda/delivery/render-chat';
import { renderEmailBody, renderEmailSubject } from '../lambda/delivery/render-email';
import { renderJson } from '../lambda/delivery/render-json';
import { renderSms } from '../lambda/delivery/render-sms';
import { buildSnsMessage } from '../lambda/delivery/sns-message';
import { CATALOGUE, accountAccessDenied, hostileBucketError, sampleSensitiveData } from '../test/support/alert-catalogue';

const filter = process.argv[2];
const fence = (lang: string, text: string) => `\`\`\`${lang}\n${text.replace(/\n$/, '')}\n\`\`\`\n`;

function show(name: string, alert: (typeof CATALOGUE)[number]['alert']): void {
  const attributes = Object.fromEntries(Object.entries(buildSnsMessage(alert).MessageAttributes).map(([k, v]) => [k, v.StringValue]));
  process.stdout.write(
    [
      `## ${name}`,
      '',
      'SMS:',
      fence('text', renderSms(alert)),
      'Email subject:',
      fence('text', renderEmailSubject(alert)),
      'Email body:',
      fence('text', renderEmailBody(alert)),
      'Chat (Amazon Q Developer custom notification):',
      fence('json', JSON.stringify(renderChat(alert), null, 2)),
      'JSON (default, sqs, lambda, email-json):',
      fence('json', JSON.stringify(JSON.parse(renderJson(alert)), null, 2)),
      'Message attributes:',
      fence('json', JSON.stringify(attributes, null, 2)),
    ].join('\n'),
  );
}

if (filter) {
  for (const { name, alert } of CATALOGUE) if (name.includes(filter)) show(name, alert);
} else {
  show('account access denied', accountAccessDenied);
  show('sample finding with non-GSM names', sampleSensitiveData);
  show('hostile names', hostileBucketError);
}
