// Test helpers for tf.vis: a strict XML well-formedness checker that also builds a small element
// tree (no browser is available to render the files), PNG reading, and temp directories.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng } from '../helpers/tfevents-reader';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside this element, entities decoded. */
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes character and the five predefined entity references; throws on any other `&`. */
function decode(raw: string, where: number): string {
  return raw.replace(/&([^;]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new Error(`bare '&' at ${where}`);
    if (body in ENTITIES) return ENTITIES[body]!;
    const num = /^#(\d+)$/.exec(body) ?? /^#x([0-9a-fA-F]+)$/.exec(body);
    if (num) return String.fromCodePoint(parseInt(num[1]!, body[1] === 'x' ? 16 : 10));
    throw new Error(`unknown entity &${body}; at ${where}`);
  });
}

/**
 * Parses `src` as an XML document and throws on anything not well-formed: mismatched or unclosed
 * tags, unquoted or repeated attributes, stray `<` or `&`, text or a second element outside the root.
 */
export function parseXml(src: string): XmlElement {
  let p = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const fail = (msg: string): never => {
    throw new Error(`XML: ${msg} at offset ${p}: ${JSON.stringify(src.slice(p, p + 40))}`);
  };
  if (src.startsWith('<?xml')) {
    const end = src.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    p = end + 2;
  }
  while (p < src.length) {
    if (src.startsWith('<!--', p)) {
      const end = src.indexOf('-->', p + 4);
      if (end < 0) fail('unterminated comment');
      p = end + 3;
    } else if (src.startsWith('<![CDATA[', p)) {
      if (!stack.length) fail('CDATA outside the root');
      const end = src.indexOf(']]>', p);
      if (end < 0) fail('unterminated CDATA');
      stack[stack.length - 1]!.text += src.slice(p + 9, end);
      p = end + 3;
    } else if (src.startsWith('</', p)) {
      const m = NAME.exec(src.slice(p + 2));
      if (!m) fail('bad end tag');
      const open = stack.pop();
      if (!open || open.name !== m![0]) fail(`end tag </${m![0]}> does not match <${open?.name ?? '(none)'}>`);
      p += 2 + m![0].length;
      while (/\s/.test(src[p] ?? '')) p++;
      if (src[p] !== '>') fail('end tag not closed');
      p++;
    } else if (src[p] === '<') {
      if (root && !stack.length) fail('a second root element');
      const m = NAME.exec(src.slice(p + 1));
      if (!m) fail('bad tag name');
      const el: XmlElement = { name: m![0], attrs: {}, children: [], text: '' };
      p += 1 + m![0].length;
      for (;;) {
        const ws = /^\s*/.exec(src.slice(p))![0].length;
        p += ws;
        if (src.startsWith('/>', p) || src[p] === '>') break;
        if (!ws) fail('attributes must be separated by whitespace');
        const a = NAME.exec(src.slice(p));
        if (!a) fail('bad attribute name');
        p += a![0].length;
        if (src[p] !== '=') fail(`attribute ${a![0]} has no '='`);
        p++;
        const q = src[p];
        if (q !== '"' && q !== "'") fail(`attribute ${a![0]} value is not quoted`);
        const end = src.indexOf(q!, p + 1);
        if (end < 0) fail('unterminated attribute value');
        const raw = src.slice(p + 1, end);
        if (raw.includes('<')) fail(`'<' in attribute ${a![0]}`);
        if (a![0] in el.attrs) fail(`repeated attribute ${a![0]}`);
        el.attrs[a![0]] = decode(raw, p);
        p = end + 1;
      }
      if (stack.length) stack[stack.length - 1]!.children.push(el);
      else root = el;
      if (src.startsWith('/>', p)) p += 2;
      else {
        p += 1;
        stack.push(el);
      }
    } else {
      const end = src.indexOf('<', p);
      const raw = src.slice(p, end < 0 ? src.length : end);
      if (!stack.length && raw.trim()) fail('text outside the root element');
      if (raw.includes(']]>')) fail("']]>' in text");
      if (stack.length) stack[stack.length - 1]!.text += decode(raw, p);
      p = end < 0 ? src.length : end;
    }
  }
  if (stack.length) throw new Error(`XML: unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('XML: no root element');
  return root;
}

/** Every element under (and including) `root` that matches `pred`, in document order. */
export function findAll(root: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (pred(e)) out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** All text inside `root`, element by element. */
export function allText(root: XmlElement): string[] {
  return findAll(root, () => true).map((e) => e.text).filter((t) => t !== '');
}

/** Reads a PNG after checking the signature, IHDR and every chunk CRC (see tfevents-reader). */
export function readPng(bytes: Uint8Array): ReturnType<typeof decodePng> {
  return decodePng(bytes);
}

/** A fresh temp directory and a function removing it. */
export function tempDir(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tf-vis-'));
  return { dir, file: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
