import { describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../src/summary/crc32c';
import { crc32cRef } from '../helpers/tfevents-reader';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the standard check values', () => {
    expect(crc32c(bytes('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI) vectors: 32 zero bytes, 32 0xff bytes, 0..31 ascending.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('agrees with a bitwise implementation on random data', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) & 0xff);
    for (const n of [1, 7, 64, 1000]) expect(crc32c(data.subarray(0, n))).toBe(crc32cRef(data.subarray(0, n)));
  });

  it('masks as TFRecord does: rotate right 15 and add 0xa282ead8', () => {
    const crc = 0xe3069283;
    const expected = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 2 ** 32;
    expect(maskedCrc32c(bytes('123456789'))).toBe(expected);
  });
});
