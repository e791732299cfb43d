/**
 * Just enough of GitHub-flavoured markdown to check the docs: which lines are fenced code, the headings and
 * the anchors GitHub gives them, inline code spans, and links (inline, reference definitions and uses,
 * autolinks, bare URLs). Not a renderer: it reads the constructs these pages use.
 */

/** One line of a page, with whether it sits in a fenced code block (and that block's info string). */
export interface MarkdownLine {
  readonly text: string;
  /** 1-based, for messages. */
  readonly number: number;
  /** undefined for prose; the fence's language ('' when none) for a line inside fenced code. */
  readonly fence?: string;
}

export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
  readonly kind: 'inline' | 'definition' | 'autolink' | 'bare';
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;

export function markdownLines(text: string): MarkdownLine[] {
  const lines: MarkdownLine[] = [];
  let open: { marker: string; lang: string } | undefined;
  text.split('\n').forEach((line, i) => {
    const fence = FENCE.exec(line);
    if (open === undefined && fence) {
      open = { marker: fence[1], lang: fence[2].toLowerCase() };
      lines.push({ text: line, number: i + 1, fence: open.lang });
    } else if (open !== undefined) {
      const closes = fence !== null && fence[1][0] === open.marker[0] && fence[1].length >= open.marker.length && fence[2] === '';
      lines.push({ text: line, number: i + 1, fence: open.lang });
      if (closes) open = undefined;
    } else {
      lines.push({ text: line, number: i + 1 });
    }
  });
  return lines;
}

/** The contents of the inline code spans of a prose line. */
export function codeSpans(line: string): string[] {
  return [...line.matchAll(/(`+)(?!`)(.+?)(?<!`)\1(?!`)/g)].map((m) => m[2].trim());
}

/** A prose line with its code spans blanked out, so `[x](y)` inside code is not taken for a link. */
export function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)(?!`)(.+?)(?<!`)\1(?!`)/g, (span) => ' '.repeat(span.length));
}

/**
 * GitHub's heading anchor (github-slugger): lowercase; drop every character that is not a letter, mark,
 * number, connector punctuation (`_`), hyphen or space; spaces become hyphens. Markup is rendered first, so
 * a link keeps only its text and inline HTML tags vanish.
 */
export function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page offers: its headings' slugs, a repeated slug getting -1, -2, ... as on GitHub. */
export function anchors(text: string): Set<string> {
  // github-slugger's occurrence count: a slug already taken gets the next free -N of its base.
  const occurrences = new Map<string, number>();
  const result = new Set<string>();
  for (const line of markdownLines(text)) {
    if (line.fence !== undefined) continue;
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line.text);
    if (heading) {
      const base = githubSlug(heading[1]);
      let slug = base;
      while (occurrences.has(slug)) {
        const n = (occurrences.get(base) ?? 0) + 1;
        occurrences.set(base, n);
        slug = `${base}-${n}`;
      }
      occurrences.set(slug, 0);
      result.add(slug);
    }
    for (const named of line.text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) result.add(named[1]);
  }
  return result;
}

/** Every link of a page, outside fenced code and code spans. */
export function links(text: string): MarkdownLink[] {
  const found: MarkdownLink[] = [];
  for (const { text: raw, number, fence } of markdownLines(text)) {
    if (fence !== undefined) continue;
    let line = withoutCodeSpans(raw);
    const definition = /^ {0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+.*)?$/.exec(line);
    if (definition) {
      found.push({ target: definition[2], line: number, kind: 'definition' });
      continue;
    }
    line = line.replace(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g, (_all, target: string) => {
      found.push({ target, line: number, kind: 'inline' });
      return ' ';
    });
    line = line.replace(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi, (_all, target: string) => {
      found.push({ target, line: number, kind: 'autolink' });
      return ' ';
    });
    for (const bare of line.matchAll(/\bhttps?:\/\/[^\s<>)\]]+/g)) {
      found.push({ target: bare[0].replace(/[.,;:!?'"]+$/, ''), line: number, kind: 'bare' });
    }
  }
  return found;
}

/** The labels a page uses as `[text][label]` (or `[label][]`), which need a `[label]: url` definition. */
export function referenceUses(text: string): { label: string; line: number }[] {
  const uses: { label: string; line: number }[] = [];
  for (const { text: raw, number, fence } of markdownLines(text)) {
    if (fence !== undefined) continue;
    for (const m of withoutCodeSpans(raw).matchAll(/\[([^\]]+)\]\[([^\]]*)\]/g)) {
      uses.push({ label: (m[2] || m[1]).toLowerCase(), line: number });
    }
  }
  return uses;
}

export function referenceDefinitions(text: string): Set<string> {
  const labels = new Set<string>();
  for (const { text: raw, fence } of markdownLines(text)) {
    if (fence !== undefined) continue;
    const definition = /^ {0,3}\[([^\]]+)\]:\s*\S/.exec(raw);
    if (definition) labels.add(definition[1].toLowerCase());
  }
  return labels;
}
