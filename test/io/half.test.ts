import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat, decodeHalfArray, encodeHalfArray, floatToBfloat16, floatToHalf, halfToFloat } from '../../src/io/half';

describe('half and bfloat16 conversions', () => {
  it('round-trips every finite half bit pattern exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const exp = (h >> 10) & 0x1f;
      if (exp === 31 && (h & 0x3ff) !== 0) continue;
      expect(floatToHalf(halfToFloat(h))).toBe(h);
    }
  });

  it('rounds to nearest even like numpy', () => {
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    expect(floatToHalf(2 ** -24)).toBe(1);
    expect(floatToHalf(2 ** -26)).toBe(0);
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.33325195, 7);
  });

  it('converts bfloat16 with round to nearest even', () => {
    expect(floatToBfloat16(1)).toBe(0x3f80);
    expect(bfloat16ToFloat(0x3f80)).toBe(1);
    expect(floatToBfloat16(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bfloat16ToFloat(floatToBfloat16(NaN)))).toBe(true);
    expect(bfloat16ToFloat(floatToBfloat16(-Infinity))).toBe(-Infinity);
  });

  it('encodes and decodes arrays', () => {
    const v = [0, -1.5, 3.140625, 1e-3, 70000];
    const back = decodeHalfArray(encodeHalfArray(v));
    expect(Array.from(back.slice(0, 3))).toEqual([0, -1.5, 3.140625]);
    expect(back[3]).toBeCloseTo(1e-3, 5);
    expect(back[4]).toBe(Infinity);
    const bf = decodeHalfArray(encodeHalfArray(v, 'bfloat16'), 'bfloat16');
    expect(bf[1]).toBe(-1.5);
    expect(bf[4]).toBe(70144);
  });
});
