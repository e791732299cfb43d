import { codeSpans, markdownLines } from '../docs/markdown';

/** One step a reader of a docs section takes: run a shell block, or save a code block as a file. */
export type DocStep =
  | { readonly kind: 'run'; readonly script: string; readonly line: number }
  | { readonly kind: 'file'; readonly path: string; readonly content: string; readonly line: number };

/**
 * The steps of the section under `heading`, in page order: each `bash` block is run; any other code block is
 * a file, at the first path (`my-app/cdk.json`) the prose since the previous block names in code. A code block
 * that is neither is an error, so the page cannot show a step that is not taken.
 */
export function docSteps(page: string, heading: string): DocStep[] {
  const lines = markdownLines(page);
  const start = lines.findIndex((l) => l.fence === undefined && l.text === heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const level = /^#+/.exec(heading)![0].length;
  const steps: DocStep[] = [];
  let prose: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.fence === undefined) {
      const next = /^(#+)\s/.exec(line.text);
      if (next && next[1].length <= level) break;
      prose.push(line.text);
      continue;
    }
    // A fenced block: its lines up to the closing fence.
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j].fence !== undefined && !/^ {0,3}(`{3,}|~{3,})\s*$/.test(lines[j].text)) body.push(lines[j++].text);
    const content = `${body.join('\n')}\n`;
    if (line.fence === 'bash' || line.fence === 'sh') {
      steps.push({ kind: 'run', script: content, line: line.number });
    } else {
      const named = prose.flatMap(codeSpans).find((span) => /^[\w.-]+\/[\w./-]+$/.test(span));
      if (!named) throw new Error(`line ${line.number}: a ${line.fence || 'plain'} block with no file named before it`);
      steps.push({ kind: 'file', path: named, content, line: line.number });
    }
    prose = [];
    i = j;
  }
  return steps;
}
