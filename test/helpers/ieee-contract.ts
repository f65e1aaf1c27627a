// The IEEE edge-value contract between the native and js backends, in one place: the registry test
// (test/ops/registry.test.ts) pins it and the fuzzer (fuzz/targets/ops.ts) counts anything outside
// it as a silent wrong result. RELIABILITY.md lists the same ops.

/**
 * Ops whose zero results may differ in sign between the backends: relu, tanh, elu, selu and erf of
 * -0 (each kernel's formula), and the max/min family when +0 and -0 tie (IEEE leaves the choice
 * open; the kernels keep different operands). Each is pinned in the registry test.
 */
export const ZERO_SIGN_OPS: ReadonlySet<string> = new Set(['relu', 'tanh', 'elu', 'selu', 'erf', 'maximum', 'minimum', 'max', 'min', 'maxPool2d', 'globalMaxPooling2d']);

/**
 * Ops that sum (products, windows, rows, statistics): js accumulates in float64 and rounds once,
 * native accumulates in float32 in its own order. With inputs that hold NaN, ±Infinity or values
 * beyond 1e30, an intermediate may overflow or cancel in one and not the other, so the results may
 * differ in class or value; with moderate inputs they agree within float32 rounding.
 */
export const ACCUMULATING_OPS: ReadonlySet<string> = new Set([
  'sum', 'mean', 'matmul', 'linear', 'softmax', 'logSoftmax', 'scaledDotProductAttention',
  'layerNorm', 'batchNorm', 'batchNormTraining', 'groupNorm',
  'avgPool2d', 'globalAveragePooling2d', 'upSampling2d', 'conv2d', 'conv1d', 'conv2dTranspose',
  'lstmCell', 'gruCell', 'simpleRnnCell', 'lstmSequence', 'gruSequence',
]);

/** An input value the contract counts as an edge value (the accumulating ops may differ past it). */
export function isEdgeValue(v: number): boolean {
  return !Number.isFinite(v) || Math.abs(v) > 1e30;
}
