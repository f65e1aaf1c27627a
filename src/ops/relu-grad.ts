import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { Tensor } from '../tensor/tensor';
import { Storage } from '../tensor/storage';
import { isDensePermutation } from '../tensor/shape';
import { copyView } from './copy';

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

/**
 * `gy * (lo <= x <= hi)`, the backward of clip(x, lo, hi), in one pass (differentiable in gy). As
 * two comparisons and two products it made four passes and three mask tensors of the activation's
 * size: MobileNetV2's ReLU6 backward was the largest item of its training step.
 * @internal
 */
export function clipGradFromInput(gy: Tensor, x: Tensor, lo: number, hi: number): Tensor {
  // A channels-last conv output seen channels-first (an imported graph's activations) is read in
  // memory order and the result keeps its strides: only gy is moved to that layout, if it is not in
  // it already (copying both to row-major cost more than the select itself).
  const keepLayout = !x.isContiguous && isDensePermutation(x.shape, x.strides);
  const xc = keepLayout ? x : x.contiguousCopy();
  let dy: Tensor;
  if (!keepLayout) dy = gy.contiguousCopy();
  else if (gy.strides.every((st, d) => st === x.strides[d])) dy = gy;
  else {
    dy = new Tensor(Storage.allocate('float32', x.size), x.shape.slice(), x.strides.slice(), 0, 'float32');
    copyView(x.shape, gy.buffer, gy, dy.buffer, { offset: 0, strides: x.strides });
  }
  const out = keepLayout
    ? new Tensor(Storage.allocate('float32', x.size), x.shape.slice(), x.strides.slice(), 0, 'float32')
    : Tensor.empty(x.shape, 'float32');
  // Memory order: a dense permutation's elements (positive strides) are x.size consecutive floats from its offset.
  const xOff = xc.offset;
  const dyOff = dy.offset;
  const addon = activeAddon();
  if (addon) {
    addon.clipGrad(dy.buffer as Float32Array, xc.buffer as Float32Array, out.buffer as Float32Array,
      pack.clipGrad({ n: x.size, dyOffset: dyOff, xOffset: xOff, outOffset: 0, lo, hi }));
  } else {
    const dd = dy.buffer;
    const xd = xc.buffer;
    const od = out.buffer;
    for (let i = 0; i < x.size; i++) {
      const v = xd[xOff + i]!;
      od[i] = v >= lo && v <= hi ? dd[dyOff + i]! : 0;
    }
  }
  return record(out, 'clipGrad', [gy], (gg) => [gy.requiresGrad ? clipGradFromInput(gg, x, lo, hi) : null]);
}

