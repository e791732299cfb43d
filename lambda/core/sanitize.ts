/**
 * Making untrusted text safe to show. Every string in an Alert may come from an event (bucket names, object
 * keys, job names, principals, user agents, descriptions), so renderers pass each one through these helpers
 * instead of trusting what the pipelines put there. Pipelines reuse them too (e.g. for log fields).
 */

const ELLIPSIS = '…';

/**
 * Characters never shown (controls, bidi and zero-width format characters, lone surrogates, non-characters): bidi
 * controls can make a name read as another ("Trojan Source"), zero-width ones can hide markup from our escaping.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\uFFFE\uFFFF]/gu;
const LINE_BREAKS = /\r\n|[\n\r\u2028\u2029\u0085\v\f]/g;

// Built on first use: only a text over its length cap needs it, and building it loads ICU's break data.
let segmenter: Intl.Segmenter | undefined;

/** Removes control, bidi and zero-width characters. Tabs and line breaks become spaces unless `keepNewlines`. */
export function stripUnsafeChars(text: string, options: { keepNewlines?: boolean } = {}): string {
  const normalised = String(text ?? '')
    .replace(LINE_BREAKS, options.keepNewlines ? '\n' : ' ')
    .replace(/\t/g, ' ');
  if (!options.keepNewlines) return normalised.replace(INVISIBLE, '');
  return normalised
    .split('\n')
    .map((line) => line.replace(INVISIBLE, ''))
    .join('\n');
}

/**
 * Cuts `text` to at most `max` UTF-16 units, ending with an ellipsis. Never splits a grapheme (emoji, accented
 * letter, surrogate pair); cuts at the last space when there is one in the last fifth of the budget, so a word
 * is not cut in half unless it is very long on its own.
 */
export function truncateText(text: string, max: number, ellipsis = ELLIPSIS): string {
  if (text.length <= max) return text;
  const budget = max - ellipsis.length;
  if (budget <= 0) return ellipsis.slice(0, Math.max(0, max));
  let cut = PRINTABLE_ASCII.test(text.slice(0, budget + 1)) ? text.slice(0, budget) : graphemesWithin(text, budget);
  const space = cut.lastIndexOf(' ');
  if (space > 0 && space >= budget * 0.8) cut = cut.slice(0, space);
  return cut.trimEnd() + ellipsis;
}

// Printable ASCII characters are graphemes of their own and never join the next one (Unicode's grapheme break
// rules), so a prefix of them ending one past the budget cuts exactly where the segmenter would: the cut
// skips segmenting thousands of characters, and on most texts loading ICU's segmenter data at all.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The longest run of whole graphemes of `text` from its start within `budget` UTF-16 units. */
function graphemesWithin(text: string, budget: number): string {
  let cut = '';
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  for (const { segment } of segmenter.segment(text)) {
    if (cut.length + segment.length > budget) break;
    cut += segment;
  }
  return cut;
}

/** An untrusted value on one line: invisible characters removed, whitespace collapsed, length capped. */
export function cleanLine(text: string, max: number): string {
  return truncateText(stripUnsafeChars(text).replace(/\s+/g, ' ').trim(), max);
}

/** What a line break inside an event value shows as, where the value is quoted in our own sentences. */
export const LINE_BREAK_MARK = '⏎';

/**
 * Prose that quotes event values, on one line: each line break in a value becomes a visible mark, so no line of
 * ours starts with words from an event.
 */
export function cleanProse(text: string, max: number): string {
  const lines = stripUnsafeChars(text, { keepNewlines: true })
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  return truncateText(lines.join(` ${LINE_BREAK_MARK} `), max);
}

/**
 * Our own multi-line text (advice, one step per line), which never quotes event values: lines are kept (at
 * most one blank line in a row), length capped.
 */
export function cleanParagraph(text: string, max: number): string {
  const stripped = stripUnsafeChars(text, { keepNewlines: true })
    .split('\n')
    .map((line) => line.replace(/[^\S\n]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return truncateText(stripped, max);
}

/**
 * Neutralises chat markup in an untrusted value (Slack mrkdwn has no escape character, so the characters that
 * open markup become look-alikes no client interprets). Apply after cleanLine/cleanParagraph.
 */
export function escapeChatMarkdown(text: string): string {
  return defangUrls(text)
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/\[/g, '［')
    .replace(/\]/g, '］')
    .replace(/\*/g, '∗')
    .replace(/~/g, '∼')
    .replace(/`/g, 'ˋ')
    .replace(/\|/g, '∣')
    .replace(/_/g, (m, offset: number, whole: string) =>
      /[\p{L}\p{N}]/u.test(whole[offset - 1] ?? '') && /[\p{L}\p{N}]/u.test(whole[offset + 1] ?? '') ? m : '＿',
    )
    .replace(/(^|[^\p{L}\p{N}])@/gu, '$1＠')
    .replace(/^(\s*)#/gm, '$1＃');
}

/**
 * URLs in untrusted text defanged (http -> hxxp), since clients turn them into links; AWS console and docs links
 * (isSafeConsoleUrl) are kept.
 */
export function defangUrls(text: string): string {
  // No word boundary: a URL glued to a word ("My_Jobhttps://...") is still a link to many clients. Each URL
  // ends where the next scheme starts, so two URLs in one token are both defanged.
  return text.replace(/https?:\/\/(?:(?!https?:\/\/)[^\s<>"'`])*/gi, (url) => (isSafeConsoleUrl(url) ? url : url.replace(/^http/i, 'hxxp')));
}

/** One untrusted line for plain-text forms (email, SMS): cleaned, capped, URLs defanged. */
export function plainSafeLine(text: string, max: number): string {
  return defangUrls(cleanLine(text, max));
}

/** Prose quoting event values, for plain-text forms (email): one line, capped, URLs defanged. */
export function plainSafeProse(text: string, max: number): string {
  return defangUrls(cleanProse(text, max));
}

/** Our multi-line advice for plain-text forms (email): lines kept, capped, URLs defanged. */
export function plainSafeParagraph(text: string, max: number): string {
  return defangUrls(cleanParagraph(text, max));
}

/** The one-call form for chat: clean to one line, cap, then neutralise markup. */
export function chatSafeLine(text: string, max: number): string {
  return escapeChatMarkdown(cleanLine(text, max));
}

/** Prose quoting event values, for chat: one line, capped, markup neutralised. */
export function chatSafeProse(text: string, max: number): string {
  return escapeChatMarkdown(cleanProse(text, max));
}

/** Our multi-line advice for chat (next steps): lines kept, capped, markup neutralised. */
export function chatSafeParagraph(text: string, max: number): string {
  return escapeChatMarkdown(cleanParagraph(text, max));
}

/**
 * Links are built from ids by links.ts, but an Alert is data that could have been stored and read back, so
 * renderers only show a link that is https, to an AWS console host (*.aws.amazon.com), with no credentials or
 * port, and no characters that could break out of the line it sits on.
 */
export function isSafeConsoleUrl(url: string): boolean {
  if (typeof url !== 'string' || url.length > 2000 || /[\s<>"'`\\|\p{Cc}\p{Cf}]/u.test(url)) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '' || parsed.port !== '') return false;
  const host = parsed.hostname.toLowerCase();
  return host === 'aws.amazon.com' || host.endsWith('.aws.amazon.com');
}

// SMS: GSM 03.38. One character outside GSM-7 turns the whole message into UCS-2 (70 characters instead of 160);
// extension-table characters take two septets.

const GSM7_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '^{}\\[~]|€\f';
const GSM7_BASIC_SET = new Set(GSM7_BASIC);
const GSM7_EXTENSION_SET = new Set(GSM7_EXTENSION);

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM7_BASIC_SET.has(ch) && !GSM7_EXTENSION_SET.has(ch)) return false;
  return true;
}

/** Septets the text takes in GSM-7 (extension characters count 2); only meaningful when isGsm7(text). */
export function gsm7Length(text: string): number {
  let n = 0;
  for (const ch of text) n += GSM7_EXTENSION_SET.has(ch) ? 2 : 1;
  return n;
}

/** How an SMS text is encoded and how much of its one-segment budget it uses. */
export function smsSize(text: string): { encoding: 'GSM-7' | 'UCS-2'; units: number; limit: 160 | 70 } {
  if (isGsm7(text)) return { encoding: 'GSM-7', units: gsm7Length(text), limit: 160 };
  // UCS-2 counts UTF-16 units: an emoji outside the BMP takes two.
  return { encoding: 'UCS-2', units: text.length, limit: 70 };
}

const TRANSLITERATIONS: Record<string, string> = {
  '‘': "'",
  '’': "'",
  '‚': "'",
  '‛': "'",
  '′': "'",
  '´': "'",
  '`': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '″': '"',
  '«': '"',
  '»': '"',
  '‹': '<',
  '›': '>',
  '–': '-',
  '—': '-',
  '‐': '-',
  '‑': '-',
  '−': '-',
  '…': '...',
  '•': '*',
  '·': '.',
  '\u00a0': ' ',
  '\u2009': ' ',
  '\u202f': ' ',
  '\u3000': ' ',
  '×': 'x',
  '÷': '/',
  '≤': '<=',
  '≥': '>=',
  '→': '->',
  '←': '<-',
  '©': '(c)',
  '®': '(R)',
  '™': 'TM',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  œ: 'oe',
  Œ: 'OE',
  þ: 'th',
  Þ: 'Th',
  ð: 'd',
};

/**
 * Rewrites text into the GSM-7 alphabet so an SMS keeps its 160-character segment: typographic punctuation
 * becomes ASCII, accented letters lose accents GSM-7 lacks (é stays, ê becomes e), and anything else (emoji,
 * CJK, symbols) is dropped, because one such character would cut the budget to 70 for the whole message.
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const ch of text) {
    if (GSM7_BASIC_SET.has(ch) || GSM7_EXTENSION_SET.has(ch)) {
      out += ch === '\n' || ch === '\r' || ch === '\f' ? ' ' : ch;
      continue;
    }
    const mapped = TRANSLITERATIONS[ch];
    if (mapped !== undefined) {
      out += mapped;
      continue;
    }
    const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
    if (base.length > 0 && [...base].every((c) => GSM7_BASIC_SET.has(c))) out += base;
    // anything else is dropped
  }
  return out.replace(/ {2,}/g, ' ');
}

/** Cuts GSM-7 text to `maxSeptets` at a word boundary where possible, ending with "...". */
export function truncateGsm7(text: string, maxSeptets: number): string {
  if (gsm7Length(text) <= maxSeptets) return text;
  const ellipsis = '...';
  const budget = maxSeptets - ellipsis.length;
  if (budget <= 0) return ellipsis.slice(0, Math.max(0, maxSeptets));
  let cut = '';
  let used = 0;
  for (const ch of text) {
    const cost = GSM7_EXTENSION_SET.has(ch) ? 2 : 1;
    if (used + cost > budget) break;
    cut += ch;
    used += cost;
  }
  const space = cut.lastIndexOf(' ');
  if (space > 0 && space >= budget * 0.6) cut = cut.slice(0, space);
  return cut.replace(/[\s,;:|-]+$/, '') + ellipsis;
}
