import { gunzipSync } from 'node:zlib';

/**
 * The text of one replay input from its bytes: gzipped or not (CloudTrail writes `.json.gz` to S3), UTF-8 or
 * UTF-16 with its byte order mark (what PowerShell's `>` writes). Binary content is refused with its size
 * only: printing it (or a JSON parser's quote of it) would send raw bytes to the terminal.
 */
export type InputText = { readonly text: string } | { readonly reason: string };

const GZIP_MAGIC = [0x1f, 0x8b];
/** Characters JSON text never holds outside strings, where they must be escaped: a file with any is not JSON. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export function inputText(bytes: Buffer): InputText {
  let content = bytes;
  const gzipped = bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
  if (gzipped) {
    try {
      content = gunzipSync(bytes);
    } catch (error) {
      return { reason: `not JSON: gzip data that does not decompress (${(error as Error).message}); ${sizeOf(bytes)}` };
    }
  }
  const text = decode(content);
  if (text === undefined || CONTROL.test(text)) {
    return { reason: `not JSON: binary content, ${sizeOf(content)}${gzipped ? ` once decompressed, ${sizeOf(bytes)} gzipped` : ''}` };
  }
  return { text: text.replace(/^\uFEFF/, '') };
}

function decode(bytes: Buffer): string | undefined {
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function sizeOf(bytes: Buffer): string {
  return `${bytes.length.toLocaleString('en-US')} byte${bytes.length === 1 ? '' : 's'}`;
}
