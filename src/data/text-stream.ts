// Reading text files piece by piece, for files larger than memory: decoded chunks, whole lines, and
// blocks of whole CSV records (a quoted field may span lines and chunks).
import { createReadStream } from 'node:fs';
import { argError, describe } from '../errors';
import { type FilePath, pathName } from './read-file';

/** Options of the streaming readers. */
export interface StreamOptions {
  /** Bytes read per chunk (default 64 KiB); only memory use depends on it. */
  chunkSize?: number;
}

export function checkStreamOptions(fn: string, options: unknown): StreamOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) argError(fn, 'options', 'an options object', describe(options));
  const o = options as StreamOptions;
  if (o.chunkSize !== undefined && (!Number.isInteger(o.chunkSize) || o.chunkSize < 1)) argError(fn, 'options.chunkSize', 'a positive integer', describe(o.chunkSize));
  return o;
}

export function checkFilePath(fn: string, path: unknown): asserts path is FilePath {
  if (typeof path !== 'string' && !(path instanceof URL)) argError(fn, 'path', 'a file path (string or file: URL)', describe(path));
}

/** UTF-8 text of `path` in chunks (a leading byte-order mark dropped); errors name `fn` and the file. */
export async function* textChunks(fn: string, path: FilePath, chunkSize = 65536): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: chunkSize });
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      yield first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
      first = false;
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${fn}: cannot read '${pathName(path)}': ${reason}`, { cause: err });
  } finally {
    stream.destroy();
  }
}

/** The lines of the text, without their line breaks (LF, CRLF or CR); no empty last line after a final break. */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of chunks) {
    let text = carry + chunk;
    // A CR at the very end may be the first half of a CRLF split across chunks.
    const holdCr = text.endsWith('\r');
    if (holdCr) text = text.slice(0, -1);
    const parts = text.split(/\r\n|\r|\n/);
    carry = parts.pop()! + (holdCr ? '\r' : '');
    yield* parts;
  }
  if (carry.endsWith('\r')) carry = carry.slice(0, -1);
  if (carry !== '') yield carry;
}

/** Line breaks in `s` (CRLF counts once). */
export function countLineBreaks(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) count++;
    else if (c === 13) {
      count++;
      if (s.charCodeAt(i + 1) === 10) i++;
    }
  }
  return count;
}

/**
 * Blocks of whole CSV records: each block ends at a line break outside quotes, so a record (even
 * one with quoted line breaks) is never split between blocks. `line` is the 1-based line number of
 * the block's first line.
 */
export async function* csvBlocks(chunks: AsyncIterable<string>): AsyncGenerator<{ text: string; line: number }> {
  let carry = '';
  let inQuote = false;
  let line = 1;
  for await (const chunk of chunks) {
    const text = carry + chunk;
    let cut = -1;
    // Scan only the new part: the carried text was scanned already and `inQuote` is its end state.
    for (let i = carry.length; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) inQuote = !inQuote;
      else if (!inQuote && (c === 10 || (c === 13 && i + 1 < text.length && text.charCodeAt(i + 1) !== 10))) cut = i;
    }
    if (cut < 0) {
      carry = text;
      continue;
    }
    const block = text.slice(0, cut + 1);
    carry = text.slice(cut + 1);
    yield { text: block, line };
    line += countLineBreaks(block);
  }
  if (carry !== '') yield { text: carry, line };
}
