/** CSV text split into records of raw field strings, with the line each record starts on. */
export interface CsvRecords {
  rows: string[][];
  /** 1-based line number where each record starts (records with quoted newlines span several). */
  lines: number[];
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

/**
 * Splits CSV text into records by RFC 4180: fields may be wrapped in double quotes, inside which
 * delimiters and line breaks are literal and `""` is one quote. Lines end in LF, CRLF or CR. Blank
 * lines are skipped; a leading byte-order mark is dropped. A quote inside an unquoted field is kept
 * as an ordinary character (as most spreadsheet exports expect); an unclosed quote or text after a
 * closing quote throws, naming `where` and the line.
 */
export function parseCsvRecords(fn: string, where: string, text: string, delimiter: string): CsvRecords {
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  const rows: string[][] = [];
  const lines: number[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      let field: string;
      if (text.charCodeAt(i) === QUOTE) {
        quotedAny = true;
        const fieldLine = line;
        let value = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new Error(`${fn}: ${where} line ${fieldLine}: quoted field is never closed (missing '"')`);
          const chunk = text.slice(i, q);
          line += countLineBreaks(chunk);
          value += chunk;
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        const c = text.charCodeAt(i);
        if (i < n && c !== delim && c !== CR && c !== LF) {
          throw new Error(
            `${fn}: ${where} line ${line}: unexpected ${JSON.stringify(text[i])} after a closing quote ` +
              `(a quote inside a quoted field is written "")`,
          );
        }
        field = value;
      } else {
        const start = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === delim || c === CR || c === LF) break;
          i++;
        }
        field = text.slice(start, i);
      }
      fields.push(field);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      i++;
      if (c === delim) {
        // A delimiter at the very end of the text still ends in one (empty) last field.
        if (i >= n) fields.push('');
        else continue;
        break;
      }
      if (c === CR && text.charCodeAt(i) === LF) i++;
      line++;
      break;
    }
    if (fields.length === 1 && fields[0] === '' && !quotedAny) continue;
    rows.push(fields);
    lines.push(startLine);
  }
  return { rows, lines };
}

function countLineBreaks(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR) {
      count++;
      if (s.charCodeAt(i + 1) === LF) i++;
    }
  }
  return count;
}
