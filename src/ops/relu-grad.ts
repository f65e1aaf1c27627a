import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { Tensor } from '../tensor/tensor';

/**
 * `gy * (y > 0)` in one pass, `y` being the output of a relu fused into a GEMM or convolution
 * (differentiable in gy). One native select instead of `greater` then `mul` saves a pass over the
 * activation and the temporary mask tensor in every dense or conv relu backward.
 * @internal
 */
export function reluGradFromOutput(gy: Tensor, y: Tensor): Tensor {
  const dy = gy.contiguousCopy();
  const yc = y.contiguousCopy();
  const out = Tensor.empty(y.shape, 'float32');
  const addon = activeAddon();
  if (addon) {
    addon.conv2dReluGrad(dy.buffer as Float32Array, yc.buffer as Float32Array, out.buffer as Float32Array,
      pack.conv2dReluGrad({ n: y.size, dyOffset: dy.offset, yOffset: yc.offset, outOffset: 0 }));
  } else {
    const dd = dy.buffer;
    const yd = yc.buffer;
    const od = out.buffer;
    for (let i = 0; i < y.size; i++) od[i] = yd[yc.offset + i]! > 0 ? dd[dy.offset + i]! : 0;
  }
  return record(out, 'reluGrad', [gy], (gg) => [gy.requiresGrad ? reluGradFromOutput(gg, y) : null]);
}
