// ShuffleNet v2's block: Concat, the Reshape-Transpose-Reshape channel shuffle and the channel
// Slices run as one channels-last ChannelShuffle step with sliced views, and predict what the
// imported graph predicts.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../src/onnx/import';
import { ImportedModelPlanner } from '../../../src/onnx/compile/planner';
import { channelShuffle } from '../../../src/onnx/compile/fuse-channel-shuffle';
import { tensor } from '../../../src/ops/creation';
import { transpose } from '../../../src/ops/views';
import type { LayersModel } from '../../../src/models/layers-model';
import type { Tensor } from '../../../src/tensor/tensor';
import { buildOnnx } from '../../helpers/onnx-graph';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
}

function randomTensor(shape: number[], seed: number): Tensor {
  const r = rng(seed);
  return tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r), shape);
}

/** Two branches of C/2 channels, concatenated, shuffled in `groups`, split in halves (the second through a conv), joined and shuffled again. */
function shuffleBlock(c: number, groups: number, sliceAxis: number): Uint8Array {
  const r = rng(7);
  const conv = (name: string, cin: number, cout: number) => [
    { name: `${name}_w`, shape: [cout, cin, 1, 1], data: Array.from({ length: cout * cin }, () => r()) },
    { name: `${name}_b`, shape: [cout], data: Array.from({ length: cout }, () => r()) },
  ];
  const h = c / 2;
  return buildOnnx({
    inputs: [{ name: 'x', shape: ['n', c, 5, 6] }],
    outputs: ['y'],
    initializers: [
      ...conv('ca', c, h), ...conv('cb', c, h), ...conv('cd', h, h),
      { name: 'shape5', shape: [5], data: [0, groups, c / groups, 5, 6], dtype: 'int64' },
      { name: 'shape4', shape: [4], data: [0, c, 5, 6], dtype: 'int64' },
      { name: 's0', shape: [1], data: [0], dtype: 'int64' },
      { name: 'sh', shape: [1], data: [h], dtype: 'int64' },
      { name: 'sc', shape: [1], data: [c], dtype: 'int64' },
      { name: 'axis', shape: [1], data: [sliceAxis], dtype: 'int64' },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'ca_w', 'ca_b'], outputs: ['a0'] },
      { op: 'Relu', inputs: ['a0'], outputs: ['a'] },
      { op: 'Conv', inputs: ['x', 'cb_w', 'cb_b'], outputs: ['b'] },
      { op: 'Concat', inputs: ['a', 'b'], outputs: ['cat'], attrs: { axis: 1 } },
      { op: 'Reshape', inputs: ['cat', 'shape5'], outputs: ['r5'] },
      { op: 'Transpose', inputs: ['r5'], outputs: ['t5'], attrs: { perm: [0, 2, 1, 3, 4] } },
      { op: 'Reshape', inputs: ['t5', 'shape4'], outputs: ['shuf'] },
      { op: 'Slice', inputs: ['shuf', 's0', 'sh', 'axis'], outputs: ['lo'] },
      { op: 'Slice', inputs: ['shuf', 'sh', 'sc', 'axis'], outputs: ['hi'] },
      { op: 'Conv', inputs: ['hi', 'cd_w', 'cd_b'], outputs: ['d0'] },
      { op: 'Relu', inputs: ['d0'], outputs: ['d'] },
      { op: 'Concat', inputs: ['lo', 'd'], outputs: ['cat2'], attrs: { axis: 1 } },
      // The next block's shuffle: its Concat's first part is a slice view of the first shuffle.
      { op: 'Reshape', inputs: ['cat2', 'shape5'], outputs: ['q5'] },
      { op: 'Transpose', inputs: ['q5'], outputs: ['u5'], attrs: { perm: [0, 2, 1, 3, 4] } },
      { op: 'Reshape', inputs: ['u5', 'shape4'], outputs: ['y'] },
    ],
  });
}

function predict(model: LayersModel, x: Tensor): Float32Array {
  return Float32Array.from((model.predictOnBatch(x) as Tensor).dataSync());
}

describe('channel shuffle in the inference plan', () => {
  for (const [c, groups, axis] of [[16, 2, 1], [24, 3, -3]] as const) {
    it(`C=${c} in ${groups} groups, slices on axis ${axis}: one channels-last step, outputs equal the imported graph's`, () => {
      const bytes = shuffleBlock(c, groups, axis);
      const compiled = importOnnx(bytes);
      const plain = importOnnx(bytes, { compile: false });
      for (const batch of [1, 3]) {
        const x = randomTensor([batch, c, 5, 6], batch);
        const a = predict(compiled, x);
        const b = predict(plain, x);
        let diff = 0;
        let scale = 1e-3;
        b.forEach((v, i) => {
          diff = Math.max(diff, Math.abs(a[i]! - v));
          scale = Math.max(scale, Math.abs(v));
        });
        expect(diff / scale).toBeLessThan(1e-5);
        const stats = (compiled.inferencePlanner as ImportedModelPlanner).stats([x])!;
        expect(stats.channelShuffles).toBe(2);
        // In 2 groups the Concat of the two branches is written shuffled in the same step.
        expect(stats.concatShuffles).toBe(groups === 2 ? 2 : 0);
        // Into channels-last at the input and back at the output only: the shuffle and slices stay channels-last.
        expect(stats.layoutConversions).toBe(2);
      }
    });
  }

  it('channelShuffle: channels-last equals the channels-first permutation, output channel j from input (j % g) * C/g + j / g', () => {
    const x = randomTensor([2, 12, 3, 4], 11);
    const first = channelShuffle(x, 3, false);
    const last = channelShuffle(transpose(x, [0, 2, 3, 1]), 3, true);
    expect(Array.from(transpose(last, [0, 3, 1, 2]).dataSync())).toEqual(Array.from(first.dataSync()));
    const xd = x.dataSync();
    const yd = first.dataSync();
    for (let j = 0; j < 12; j++) expect(yd[j * 12]).toBe(xd[((j % 3) * 4 + Math.floor(j / 3)) * 12]);
  });
});
