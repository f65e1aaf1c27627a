import { describe, expect, it } from 'vitest';
import { clip, el, escapeXml, svgRoot, text } from '../../src/vis/svg';
import { allText, findAll, parseXml } from './helpers';

describe('the XML checker used by the vis tests', () => {
  it('accepts a well-formed document and decodes entities', () => {
    const root = parseXml('<?xml version="1.0"?><a x="1 &amp; 2"><b/><c>&lt;d&gt; &#65;&#x42;</c><!-- c --></a>');
    expect(root.attrs.x).toBe('1 & 2');
    expect(allText(root)).toEqual(['<d> AB']);
  });

  it.each([
    ['<a><b></a></b>', /does not match/],
    ['<a>', /unclosed <a>/],
    ['<a x=1/>', /not quoted/],
    ['<a x="1" x="2"/>', /repeated attribute/],
    ['<a>&nbsp;</a>', /unknown entity/],
    ['<a>1 & 2</a>', /bare '&'/],
    ['<a/><b/>', /second root/],
    ['<a x="<"/>', /'<' in attribute/],
    ['<a x="1"y="2"/>', /separated by whitespace/],
    ['text<a/>', /outside the root/],
  ])('rejects %s', (src, message) => {
    expect(() => parseXml(src)).toThrow(message);
  });
});

describe('svg builder', () => {
  it('escapes attribute values and text so any name stays well-formed', () => {
    const nasty = `a<b>&"c"'d`;
    const doc = svgRoot(10, 10, [el('g', { 'data-name': nasty }, text(1, 2, nasty))], nasty);
    const root = parseXml(doc);
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(findAll(root, (e) => e.name === 'g')[0]!.attrs['data-name']).toBe(nasty);
    expect(allText(root)).toEqual([nasty, nasty]);
    expect(escapeXml(nasty)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d');
  });

  it('leaves undefined attributes out, rounds numbers and clips long labels', () => {
    expect(el('rect', { x: 1.23456, y: undefined, fill: 'red' })).toBe('<rect x="1.23" fill="red"/>');
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abc', 4)).toBe('abc');
  });
});
