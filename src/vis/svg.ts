// A tiny SVG builder: every attribute value and text node goes through one escaping function, so
// layer names such as `a<b` or `"x"&y` cannot break the document.

/** Escapes text for XML character data and double-quoted attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Attribute values; undefined ones are left out. */
export type Attrs = Record<string, string | number | undefined>;

/** Numbers in coordinates: two decimals at most, so documents stay small and diffable. */
export function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** An element whose attributes are escaped; `children` are already-built markup (use {@link text} for text). */
export function el(tag: string, attrs: Attrs = {}, children: string | readonly string[] = []): string {
  const attrText = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v as string)}"`)
    .join('');
  const body = typeof children === 'string' ? children : children.join('');
  return body === '' ? `<${tag}${attrText}/>` : `<${tag}${attrText}>${body}</${tag}>`;
}

/** A `<text>` element with escaped content. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** A standalone `<svg>` root (no XML declaration, so it can also be inlined into HTML). */
export function svgRoot(width: number, height: number, body: readonly string[], title?: string): string {
  const head = title === undefined ? '' : el('title', {}, escapeXml(title));
  return el(
    'svg',
    { xmlns: SVG_NS, width: Math.ceil(width), height: Math.ceil(height), viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`, 'font-family': 'Helvetica, Arial, sans-serif' },
    [head, ...body],
  );
}

/** Shortens a label to `max` characters with an ellipsis (the full text goes in a `<title>`). */
export function clip(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, Math.max(1, max - 1))}…`;
}
