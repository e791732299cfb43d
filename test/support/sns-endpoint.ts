import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gsm7Length } from '../../lambda/core/sanitize';
import { POSSIBLE_DUPLICATE_ATTRIBUTE, possibleRepeatLine, possibleRepeatSms } from '../../lambda/delivery/possible-repeat';
import { SMS_MAX_SEPTETS } from '../../lambda/delivery/render-sms';
import { publishBatchRefusal, type SnsAttributeValue, type SnsMessageRequest } from '../../lambda/delivery/sns-limits';

/**
 * A stand-in for SNS on the wire: an HTTP endpoint that answers PublishBatch as SNS does (the query
 * protocol @aws-sdk/client-sns 3.x speaks: a form-encoded request, an XML answer) and records every entry it
 * takes. It refuses what SNS refuses (sizes, subjects, the JSON message structure, attributes, batch ids:
 * lambda/delivery/sns-limits.ts) with SNS's error codes, before any hook sees the call. Point a client at it
 * with AWS_ENDPOINT_URL_SNS (or `endpoint`). Hooks decide, per call, what SNS does: take it and answer,
 * answer with an error, or go silent before or after taking it.
 */
export interface SnsEntry {
  /** 1-based number of the PublishBatch call that carried it. */
  readonly call: number;
  readonly entryId: string;
  readonly subject?: string;
  /** The per-protocol bodies (MessageStructure json). */
  readonly messages: Record<string, string>;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface SnsCall {
  readonly number: number;
  readonly entries: readonly SnsEntry[];
}

/** An error answer, as SNS gives one (e.g. 400 Throttled, 500 InternalError). */
export interface SnsErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message?: string;
}

export interface SnsHooks {
  /** As a call arrives, before anything is taken. `drop`: close the connection without an answer. */
  arrived?(call: SnsCall): Promise<'take' | 'drop' | SnsErrorAnswer> | 'take' | 'drop' | SnsErrorAnswer;
  /** Once the entries are taken (recorded). `drop`: close without an answer; `stall`: never answer. */
  taken?(call: SnsCall): Promise<'answer' | 'drop' | 'stall'> | 'answer' | 'drop' | 'stall';
}

export class RecordingSnsEndpoint {
  /** Every entry SNS took, in order: what subscribers received. */
  readonly taken: SnsEntry[] = [];
  calls = 0;
  /** Every call refused for breaking SNS's rules, with SNS's answer. */
  readonly refused: SnsErrorAnswer[] = [];
  hooks: SnsHooks = {};
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<RecordingSnsEndpoint> {
    const server = createServer();
    const endpoint = new RecordingSnsEndpoint(server);
    server.on('request', (req, res) => void endpoint.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The alert ids of the entries taken, in order (from the alertId attribute). */
  alertIds(): string[] {
    return this.taken.map((e) => e.attributes.alertId);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const action = form.get('Action');
    if (action !== 'PublishBatch')
      return answerError(res, { status: 400, code: 'InvalidAction', message: `this stand-in answers PublishBatch only, not ${action}` });
    const refusal = publishBatchRefusal(requestsOf(form));
    if (refusal) {
      const answer = { status: 400, ...refusal };
      this.refused.push(answer);
      return answerError(res, answer);
    }
    const call: SnsCall = { number: ++this.calls, entries: entriesOf(form, this.calls) };
    const arrival = (await this.hooks.arrived?.(call)) ?? 'take';
    if (arrival === 'drop') return void req.socket.destroy();
    if (arrival !== 'take') return answerError(res, arrival);
    this.taken.push(...call.entries);
    const after = (await this.hooks.taken?.(call)) ?? 'answer';
    if (after === 'drop') return void req.socket.destroy();
    if (after === 'stall') return;
    const members = call.entries.map((e) => `<member><Id>${xml(e.entryId)}</Id><MessageId>${randomUUID()}</MessageId></member>`).join('');
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${members}</Successful><Failed/></PublishBatchResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishBatchResponse>`,
    );
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** PublishBatchRequestEntries.member.N.{Id,Message,Subject,MessageAttributes.entry.M.{Name,Value.StringValue}}. */
function entriesOf(form: URLSearchParams, call: number): SnsEntry[] {
  const entries: SnsEntry[] = [];
  for (let n = 1; form.has(`PublishBatchRequestEntries.member.${n}.Id`); n++) {
    const p = `PublishBatchRequestEntries.member.${n}`;
    const attributes: Record<string, string> = {};
    for (let m = 1; form.has(`${p}.MessageAttributes.entry.${m}.Name`); m++) {
      attributes[form.get(`${p}.MessageAttributes.entry.${m}.Name`)!] = form.get(`${p}.MessageAttributes.entry.${m}.Value.StringValue`) ?? '';
    }
    const message = form.get(`${p}.Message`) ?? '';
    entries.push({
      call,
      entryId: form.get(`${p}.Id`)!,
      subject: form.get(`${p}.Subject`) ?? undefined,
      messages: form.get(`${p}.MessageStructure`) === 'json' ? (JSON.parse(message) as Record<string, string>) : { default: message },
      attributes,
    });
  }
  return entries;
}

/** The entries as SNS reads them, for its rules (every attribute type and value, the raw message). */
function requestsOf(form: URLSearchParams): (SnsMessageRequest & { Id?: string })[] {
  const requests: (SnsMessageRequest & { Id?: string })[] = [];
  for (let n = 1; form.has(`PublishBatchRequestEntries.member.${n}.Id`); n++) {
    const p = `PublishBatchRequestEntries.member.${n}`;
    const attributes: Record<string, SnsAttributeValue> = {};
    for (let m = 1; form.has(`${p}.MessageAttributes.entry.${m}.Name`); m++) {
      const a = `${p}.MessageAttributes.entry.${m}.Value`;
      const binary = form.get(`${a}.BinaryValue`);
      attributes[form.get(`${p}.MessageAttributes.entry.${m}.Name`)!] = {
        DataType: form.get(`${a}.DataType`) ?? undefined,
        StringValue: form.get(`${a}.StringValue`) ?? undefined,
        ...(binary !== null ? { BinaryValue: Buffer.from(binary, 'base64') } : {}),
      };
    }
    requests.push({
      Id: form.get(`${p}.Id`) ?? undefined,
      Message: form.get(`${p}.Message`) ?? undefined,
      Subject: form.get(`${p}.Subject`) ?? undefined,
      MessageStructure: form.get(`${p}.MessageStructure`) ?? undefined,
      MessageAttributes: attributes,
    });
  }
  return requests;
}

function answerError(res: ServerResponse, error: SnsErrorAnswer): void {
  res.writeHead(error.status, { 'content-type': 'text/xml' });
  res.end(
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${error.status < 500 ? 'Sender' : 'Receiver'}</Type>` +
      `<Code>${xml(error.code)}</Code><Message>${xml(error.message ?? error.code)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Whether a copy SNS took carries the possible-repeat label, checked in every form: the attribute, the
 * JSON forms (boolean, time and line), email and chat (the line), and SMS (the short line, unless it does
 * not fit in 160 GSM-7 characters). Throws if the forms disagree: a copy is labelled everywhere or nowhere.
 */
export function isLabelled(entry: SnsEntry): boolean {
  const attribute = entry.attributes[POSSIBLE_DUPLICATE_ATTRIBUTE] === 'true';
  const json = ['default', 'sqs', 'lambda', 'email-json'].map((k) => JSON.parse(entry.messages[k]) as Record<string, unknown>);
  const interruptedAt = json[0].deliveryInterruptedAt;
  const repeat = typeof interruptedAt === 'string' ? { interruptedAt } : undefined;
  const line = repeat ? possibleRepeatLine(repeat) : undefined;
  const chat = JSON.parse(entry.messages.https) as { content: { description: string } };
  const sms = entry.messages.sms;
  const forms = {
    attribute,
    json: json.every((j) => j.possibleDuplicate === true && line !== undefined && j.possibleDuplicateNote === line),
    email: line !== undefined && entry.messages.email.startsWith(`${line}\n`),
    chat: line !== undefined && chat.content.description.startsWith(line),
    sms: repeat !== undefined && (sms.endsWith(` | ${possibleRepeatSms(repeat)}`) || gsm7Length(`${sms} | ${possibleRepeatSms(repeat)}`) > SMS_MAX_SEPTETS),
  };
  const values = new Set(Object.values(forms));
  if (values.size !== 1) throw new Error(`copy ${entry.entryId} is labelled in some forms only: ${JSON.stringify(forms)}`);
  return attribute;
}
