import { record } from '../autograd/tape';
import { argError, describe } from '../errors';
import { type DType, isDType } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { registerOp } from './registry';
import { toTensor } from './util';

/**
 * Converts to another dtype. float32 -> int32 truncates toward zero (as tfjs and ONNX Cast do);
 * NaN and out-of-range values become 0 / saturate to the int32 range.
 */
export function cast(xIn: Tensor | number, dtype: DType): Tensor {
  const x = toTensor('cast', 'x', xIn);
  if (!isDType(dtype)) argError('cast', 'dtype', "'float32' or 'int32'", describe(dtype));
  if (x.dtype === dtype) return x;
  const src = x.contiguousCopy();
  const out = Tensor.empty(x.shape, dtype);
  const s = src.buffer;
  const o = out.buffer;
  const off = src.offset;
  if (dtype === 'int32') {
    for (let i = 0; i < out.size; i++) {
      const v = s[off + i]!;
      o[i] = v !== v ? 0 : v >= 2147483647 ? 2147483647 : v <= -2147483648 ? -2147483648 : Math.trunc(v);
    }
    return out;
  }
  for (let i = 0; i < out.size; i++) o[i] = s[off + i]!;
  return record(out, 'cast', [x], () => [null]);
}

registerOp({
  name: 'cast',
  onnx: 'Cast',
  kind: 'kernel',
  native: false,
  differentiable: false,
  checks: [
    { shapes: [[3, 4]], run: (x) => cast(x, 'int32') },
    { shapes: [[3, 4]], dtypes: ['int32'], intRange: [-5, 5], run: (x) => cast(x, 'float32') },
  ],
});
