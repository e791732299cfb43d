import {
  chatSafeLine,
  cleanLine,
  cleanParagraph,
  cleanProse,
  defangUrls,
  escapeChatMarkdown,
  gsm7Length,
  isGsm7,
  isSafeConsoleUrl,
  smsSize,
  stripUnsafeChars,
  toGsm7,
  truncateGsm7,
  truncateText,
} from '../../lambda/core/sanitize';

describe('stripUnsafeChars', () => {
  it('removes controls, bidi overrides and zero-width characters, turns line breaks into spaces', () => {
    expect(stripUnsafeChars('a\u0000b\u0007c\r\nd\u202Ee\u2066f\u2069\u200Bg\u200Dh\uFEFFi\u00ADj\tk')).toBe('abc defghij k');
  });
  it('keeps line breaks when asked, normalising \\r\\n and U+2028', () => {
    expect(stripUnsafeChars('one\r\ntwo\u2028three\u0007', { keepNewlines: true })).toBe('one\ntwo\nthree');
  });
});

describe('truncateText', () => {
  it('leaves short text alone', () => {
    expect(truncateText('short', 10)).toBe('short');
  });
  it('cuts at a word boundary and adds an ellipsis within the limit', () => {
    expect(truncateText('the quick brown fox jumps', 18)).toBe('the quick brown…');
  });
  it('cuts a single long word when it has to', () => {
    expect(truncateText('abcdefghijklmnop', 6)).toBe('abcde…');
  });
  it('never splits an emoji or a combining sequence', () => {
    const out = truncateText('ab🔥🔥🔥', 5);
    expect(out).toBe('ab🔥…');
    expect(truncateText('e\u0301e\u0301e\u0301e\u0301', 4)).toBe('e\u0301…');
  });
  it('cuts where the grapheme segmenter cuts, ASCII text included (which it cuts without segmenting)', () => {
    // The oracle: the cut made by segmenting every text, as truncateText did before its ASCII shortcut.
    const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
    const oracle = (text: string, max: number) => {
      if (text.length <= max) return text;
      const budget = max - 1;
      let cut = '';
      for (const { segment } of segmenter.segment(text)) {
        if (cut.length + segment.length > budget) break;
        cut += segment;
      }
      const space = cut.lastIndexOf(' ');
      if (space > 0 && space >= budget * 0.8) cut = cut.slice(0, space);
      return `${cut.trimEnd()}…`;
    };
    // Each mutation puts a character that joins or splits graphemes at, just before or just after the cut.
    const joiners = ['\u0301', '\u200d', '\ufe0f', '\r\n', '\n', '\t', '🔥', '\ud83c', '\u0e33', '\u1100\u1161', 'é', ' ', '~'];
    const base = 'the quick brown fox jumps over the lazy dog 0123456789';
    let compared = 0;
    for (const max of [2, 5, 10, 17, 30]) {
      for (let at = Math.max(0, max - 4); at <= max + 2; at++) {
        for (const j of joiners) {
          const text = base.slice(0, at) + j + base.slice(at);
          expect(truncateText(text, max)).toBe(oracle(text, max));
          compared++;
        }
      }
      expect(truncateText(base, max)).toBe(oracle(base, max));
    }
    expect(compared).toBeGreaterThan(300);
  });
});

describe('cleanLine / cleanParagraph', () => {
  it('collapses whitespace to one line and caps the length', () => {
    expect(cleanLine('  a \n\n b\t\tc  ', 100)).toBe('a b c');
    expect(cleanLine('x'.repeat(2000), 50)).toHaveLength(50);
  });
  it('keeps at most one blank line in our own multi-line text', () => {
    expect(cleanParagraph('one\n\n\n\n two \u0007\nthree', 100)).toBe('one\n\ntwo\nthree');
  });
});

describe('cleanProse', () => {
  it('puts prose that quotes event values on one line, every kind of line break shown as a mark', () => {
    expect(cleanProse('Found in report.csv\r\nWhat to do\u2028Nothing\u0085now\u2029\v\fend.', 200)).toBe(
      'Found in report.csv ⏎ What to do ⏎ Nothing ⏎ now ⏎ end.',
    );
    expect(cleanProse('  no breaks  at\tall ', 200)).toBe('no breaks at all');
    expect(cleanProse('x'.repeat(300), 100)).toHaveLength(100);
  });
});

describe('escapeChatMarkdown', () => {
  it('neutralises links, mentions and emphasis with look-alikes', () => {
    expect(escapeChatMarkdown('[Click](https://evil.example/x) <!here> <@U1> @channel *b* `c` ~s~ a|b')).toBe(
      '［Click］(hxxps://evil.example/x) ‹!here› ‹＠U1› ＠channel ∗b∗ ˋcˋ ∼s∼ a∣b',
    );
  });
  it('keeps underscores inside words and e-mail addresses, escapes edge underscores and headings', () => {
    expect(escapeChatMarkdown('My_Macie_Job user@example.com _it_ -@here')).toBe('My_Macie_Job user@example.com ＿it＿ -＠here');
    expect(escapeChatMarkdown('# title\n> quote')).toBe('＃ title\n› quote');
  });
  it('does not let a zero-width character hide a mention from the escaping', () => {
    expect(chatSafeLine('@\u200Bchannel <\u200B!here>', 100)).toBe('＠channel ‹!here›');
  });
});

describe('links', () => {
  it.each([
    ['https://us-east-1.console.aws.amazon.com/macie/home?region=us-east-1#/jobs', true],
    ['https://docs.aws.amazon.com/macie/latest/user/discovery-jobs-monitor-cw-logs.html', true],
    ['http://us-east-1.console.aws.amazon.com/macie/home', false],
    ['https://console.aws.amazon.com.evil.example/macie', false],
    ['https://user:pass@console.aws.amazon.com/', false],
    ['https://console.aws.amazon.com:8443/', false],
    ['https://evil.example/aws.amazon.com', false],
    ['javascript:alert(1)//.aws.amazon.com', false],
    ['https://console.aws.amazon.com/\nforged', false],
    ['not a url', false],
  ])('isSafeConsoleUrl(%j) is %s', (url, safe) => {
    expect(isSafeConsoleUrl(url)).toBe(safe);
  });
  it('defangs a URL glued to a word and every URL of one token', () => {
    expect(defangUrls('My_Jobhttps://evil.example/x')).toBe('My_Jobhxxps://evil.example/x');
    expect(defangUrls('x)(https://a.example https://b.examplehttp://c.example')).toBe('x)(hxxps://a.example hxxps://b.examplehxxp://c.example');
  });

  it('defangs URLs in untrusted text unless they are AWS console or docs links', () => {
    expect(defangUrls('see https://evil.example/login and https://docs.aws.amazon.com/macie/ or HTTP://x.y')).toBe(
      'see hxxps://evil.example/login and https://docs.aws.amazon.com/macie/ or hxxp://x.y',
    );
  });
});

describe('GSM-7', () => {
  it('counts extension characters as two septets', () => {
    expect(gsm7Length('a^{}\\[~]|€')).toBe(1 + 9 * 2);
    expect(isGsm7('Ça coûte 5€')).toBe(false); // û is not GSM-7
    expect(isGsm7('Ça coute 5€ @ £ ¥ è é')).toBe(true);
  });
  it('transliterates typography and accents and drops what has no GSM-7 form', () => {
    expect(toGsm7('“quoted” — it’s… données coûte 🔥 日本 Łódź')).toBe('"quoted" - it\'s... données coute Lodz');
    expect(isGsm7(toGsm7('🔥 Ω€ клиенты ∗ ‹›'))).toBe(true);
  });
  it('reports UCS-2 with a 70 limit when a non-GSM character is present', () => {
    expect(smsSize('hello')).toEqual({ encoding: 'GSM-7', units: 5, limit: 160 });
    expect(smsSize('hi 🔥')).toEqual({ encoding: 'UCS-2', units: 5, limit: 70 });
  });
  it('truncates by septets without splitting an extension character or a word', () => {
    expect(truncateGsm7('alpha beta gamma delta', 15)).toBe('alpha beta...');
    const out = truncateGsm7('€€€€€€€€€€', 9);
    expect(out).toBe('€€€...');
    expect(gsm7Length(out)).toBeLessThanOrEqual(9);
  });
});
