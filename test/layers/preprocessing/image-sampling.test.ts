// The resampler behind Resizing and the geometric augmentations, against tfjs's tf.image ops
// (TensorFlow's resize and ImageProjectiveTransformV3 semantics).
import * as tfjs from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import { type Affine, sampleImages } from '../../../src/layers/preprocessing/image-sampling';
import { expectArrayClose, seededValues, values } from '../../helpers/layer-check';

const [N, H, W, C] = [2, 5, 7, 3];
const data = seededValues(N * H * W * C, 11, 0, 1);
const ours = tf.tensor(data, [N, H, W, C]);
const theirs = tfjs.tensor4d(data, [N, H, W, C]);

describe('sampleImages', () => {
  const maps: Affine[] = [
    // Coefficients that never land exactly between two pixels (float32 rounding would decide ties).
    [0.913, -0.317, 1.171, 0.253, 1.109, -0.837],
    [-1.237, 0.121, 6.553, 0.057, 0.731, 2.2937],
  ];
  for (const fillMode of ['reflect', 'wrap', 'nearest', 'constant'] as const) {
    for (const interpolation of ['bilinear', 'nearest'] as const) {
      it(`matches tf.image.transform with fillMode '${fillMode}', ${interpolation}`, () => {
        const out = sampleImages('test', ours, maps, { outHeight: H, outWidth: W, interpolation, fillMode, fillValue: 0.5 });
        // One image per call: tfjs's CPU kernel only transforms the first image of a batch.
        const ref = maps.flatMap((m, i) => Array.from(tfjs.image.transform(
          tfjs.slice(theirs, [i, 0, 0, 0], [1, H, W, C]), tfjs.tensor2d([[...m, 0, 0]]), interpolation, fillMode, 0.5).dataSync()));
        expectArrayClose(values(out), ref, 1e-5, 1e-5, `${fillMode}/${interpolation}`);
      });
    }
  }

  for (const [h, w] of [[3, 4], [9, 11], [5, 7], [2, 13]] as const) {
    it(`Resizing to ${h}x${w} matches tf.image.resizeBilinear / resizeNearestNeighbor with half-pixel centres`, () => {
      const bilinear = tf.layers.resizing({ height: h, width: w }).apply(ours);
      expectArrayClose(values(bilinear), Array.from(tfjs.image.resizeBilinear(theirs, [h, w], false, true).dataSync()), 1e-5, 1e-5, 'bilinear');
      const nearest = tf.layers.resizing({ height: h, width: w, interpolation: 'nearest' }).apply(ours);
      expectArrayClose(values(nearest), Array.from(tfjs.image.resizeNearestNeighbor(theirs, [h, w], false, true).dataSync()), 0, 0, 'nearest');
    });
  }

  it('passes gradients back to the input through the same taps', () => {
    const x = tf.tensor(data, [N, H, W, C]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(sampleImages('test', t, maps, { outHeight: 4, outWidth: 6, interpolation: 'bilinear', fillMode: 'constant', fillValue: 3 })))(x);
    // d sum / d x[p] is the total weight with which pixel p is read: bump single pixels and compare.
    for (const idx of [0, 40, (2 * W + 3) * C + 1, N * H * W * C - 1]) {
      const bump = data.slice();
      bump[idx]! += 1;
      const base = tf.sum(sampleImages('test', x, maps, { outHeight: 4, outWidth: 6, interpolation: 'bilinear', fillMode: 'constant', fillValue: 3 })).item();
      const moved = tf.sum(sampleImages('test', tf.tensor(bump, [N, H, W, C]), maps, { outHeight: 4, outWidth: 6, interpolation: 'bilinear', fillMode: 'constant', fillValue: 3 })).item();
      expect(g.dataSync()[idx]).toBeCloseTo(moved - base, 4);
    }
  });
});
