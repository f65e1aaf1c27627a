import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/tensor';
import { decodeSafetensors, encodeSafetensors, type SafetensorsDType } from '../../src/io/safetensors';

const FIXTURES = join(__dirname, '..', 'fixtures', 'safetensors');

/** A file from a header object and a data section, independently of the encoder. */
function buildFile(header: unknown, data: Uint8Array): Uint8Array {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function headerOf(bytes: Uint8Array): Record<string, { dtype: string; data_offsets: [number, number] }> {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(Buffer.from(bytes.subarray(8, 8 + len)).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
}

const arr = (t: Tensor | undefined) => Array.from(t!.dataSync());

describe('safetensors narrow and wide dtypes', () => {
  it("reads a file written by Python's safetensors (F16, I8, U8, I64, F32, I32)", () => {
    const file = decodeSafetensors(readFileSync(join(FIXTURES, 'python-dtypes.safetensors')), 'python-dtypes.safetensors');
    expect(file.metadata['made_by']).toBe('python safetensors + numpy');
    const { tensors, dtypes } = file;
    expect(Object.fromEntries(dtypes)).toEqual({ f16: 'F16', i8: 'I8', u8: 'U8', i64: 'I64', f32: 'F32', i32: 'I32' });
    expect(tensors.get('f16')!.shape).toEqual([2, 3]);
    expect(tensors.get('f16')!.dtype).toBe('float32');
    // numpy's float16 values, widened exactly: 1e-7 is the subnormal 2^-23, pi rounds to 3.140625.
    expect(arr(tensors.get('f16'))).toEqual([0.5, -1.25, 65504, 2 ** -23, 3.140625, -0]);
    expect(tensors.get('i8')!.dtype).toBe('int32');
    expect(arr(tensors.get('i8'))).toEqual([-128, -1, 0, 127]);
    expect(arr(tensors.get('u8'))).toEqual([0, 1, 254, 255]);
    expect(tensors.get('u8')!.shape).toEqual([2, 2]);
    expect(arr(tensors.get('i64'))).toEqual([-2147483648, 0, 2147483647, 42]);
    expect(arr(tensors.get('f32'))).toEqual([1.5, -2]);
    expect(arr(tensors.get('i32'))).toEqual([7]);
  });

  it('an I64 value outside int32 is an Error naming the tensor and the value', () => {
    const bytes = readFileSync(join(FIXTURES, 'python-i64-too-big.safetensors'));
    expect(() => decodeSafetensors(bytes, 'big.safetensors')).toThrow(/big\.safetensors: .*tensor 'big' \(I64\) holds 1099511627776 at index 0, outside the int32 range/);
  });

  it('reads hand-built BF16 (the high halves of float32, odd data offset)', () => {
    // 1.0 = 0x3f80, -2.5 = 0xc020, 3.0e38 ~ 0x7f62; one U8 byte first, so BF16 starts unaligned.
    const data = new Uint8Array([9, 0x80, 0x3f, 0x20, 0xc0, 0x62, 0x7f]);
    const file = decodeSafetensors(buildFile({ b: { dtype: 'BF16', shape: [3], data_offsets: [1, 7] }, u: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, data));
    expect(arr(file.tensors.get('b')).slice(0, 2)).toEqual([1, -2.5]);
    expect(file.tensors.get('b')!.dataSync()[2]).toBeCloseTo(3.0e38, -36);
    expect(arr(file.tensors.get('u'))).toEqual([9]);
  });

  it('writes each dtype and reads it back; narrow floats round to nearest even', () => {
    const f = Tensor.fromArray(new Float32Array([1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -65520, 1e-8]), [5]);
    const i = Tensor.fromArray(new Int32Array([-128, 5, 127]), [3]);
    const u = Tensor.fromArray(new Int32Array([0, 255]), [2]);
    const w = Tensor.fromArray(new Int32Array([-2147483648, 2147483647]), [2]);
    const dtypes = new Map<string, SafetensorsDType>([['h', 'F16'], ['b', 'BF16'], ['i', 'I8'], ['u', 'U8'], ['w', 'I64']]);
    const bytes = encodeSafetensors(new Map([['h', f], ['b', f], ['i', i], ['u', u], ['w', w]]), {}, dtypes);
    const header = headerOf(bytes);
    expect(header['h']!.dtype).toBe('F16');
    expect(header['h']!.data_offsets[1] - header['h']!.data_offsets[0]).toBe(10);
    expect(header['i']!.data_offsets[1] - header['i']!.data_offsets[0]).toBe(3);
    expect(header['w']!.data_offsets[1] - header['w']!.data_offsets[0]).toBe(16);
    const back = decodeSafetensors(bytes);
    // Ties go to even: 1 + 2^-11 -> 1, 1 + 3 * 2^-11 -> 1 + 2^-9; -65520 overflows to -Infinity; 1e-8 -> 0.
    expect(arr(back.tensors.get('h'))).toEqual([1, 1, 1 + 2 ** -9, -Infinity, 0]);
    expect(arr(back.tensors.get('b'))[0]).toBe(1);
    expect(arr(back.tensors.get('i'))).toEqual([-128, 5, 127]);
    expect(arr(back.tensors.get('u'))).toEqual([0, 255]);
    expect(arr(back.tensors.get('w'))).toEqual([-2147483648, 2147483647]);
    expect(Object.fromEntries(back.dtypes)).toEqual({ h: 'F16', b: 'BF16', i: 'I8', u: 'U8', w: 'I64' });
  });

  it('refuses values outside I8 / U8 and dtypes that do not fit the tensor', () => {
    const i = Tensor.fromArray(new Int32Array([0, 128]), [2]);
    expect(() => encodeSafetensors(new Map([['q', i]]), {}, new Map([['q', 'I8']]))).toThrow(/tensor 'q' holds 128 at index 1, outside I8's range \[-128, 127\]/);
    expect(() => encodeSafetensors(new Map([['q', Tensor.fromArray(new Int32Array([-1]), [1])]]), {}, new Map([['q', 'U8']]))).toThrow(/outside U8's range \[0, 255\]/);
    const f = Tensor.fromArray(new Float32Array([1]), [1]);
    expect(() => encodeSafetensors(new Map([['x', f]]), {}, new Map([['x', 'I8']]))).toThrow(/tensor 'x' is float32; I8 stores int32 tensors/);
    expect(() => encodeSafetensors(new Map([['x', f]]), {}, new Map([['x', 'F64' as SafetensorsDType]]))).toThrow(/unknown stored dtype/);
  });

  it('a narrow dtype with the wrong byte count is reported with its width', () => {
    expect(() => decodeSafetensors(buildFile({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 4] } }, new Uint8Array(4)), 'x'))
      .toThrow(/tensor 'h' has 4 bytes for shape \[3\] \(6 expected for F16\)/);
  });
});
