import { describe, expect, it } from 'vitest';
import { crc32, encodePng } from '../../src/summary/png';
import { crc32Ref, decodePng } from '../helpers/tfevents-reader';

describe('encodePng', () => {
  it('computes the PNG/zlib CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const a = new TextEncoder().encode('1234');
    const b = new TextEncoder().encode('56789');
    expect(crc32(a, b)).toBe(crc32Ref(new TextEncoder().encode('123456789')));
  });

  it.each([[1, 0], [3, 2], [4, 6]])('round-trips %i-channel pixels', (channels, colorType) => {
    const width = 5;
    const height = 3;
    const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37) & 0xff);
    const png = decodePng(encodePng(pixels, width, height, channels));
    expect(png).toMatchObject({ width, height, colorType });
    expect([...png.pixels]).toEqual([...pixels]);
  });

  it('rejects channel counts PNG cannot hold', () => {
    expect(() => encodePng(new Uint8Array(4), 1, 1, 2 + 3)).toThrow(/channels must be 1, 3 or 4, got 5/);
  });
});
