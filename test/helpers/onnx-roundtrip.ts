// Export a model to ONNX, check its structure, run it in onnxruntime-node and compare with the
// model's own predictOnBatch. Shared by the export tests (and, later, the import round trip).
import { expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import * as tf from '../../src';
import type { LayersModel, Tensor } from '../../src';
import { exportOnnxBytes, type ExportOnnxOptions } from '../../src/onnx/export';
import { checkOnnxModel } from '../../src/onnx/check-model';
import { seededValues } from './layer-check';

export interface OnnxRoundTripOptions extends ExportOnnxOptions {
  /** Largest absolute difference allowed between ORT's and our outputs (default 1e-4). */
  atol?: number;
}

export interface OnnxRoundTripResult {
  bytes: Uint8Array;
  /** ORT's outputs per input set, in graph output order. */
  ortOutputs: { data: Float32Array | Int32Array; dims: number[] }[][];
}

function toOrt(t: Tensor): ort.Tensor {
  const data = t.dataSync();
  return data instanceof Int32Array ? new ort.Tensor('int32', Int32Array.from(data), t.shape.slice()) : new ort.Tensor('float32', Float32Array.from(data), t.shape.slice());
}

/**
 * Exports `model` (once), asserts the file passes checkOnnxModel, and for every input set runs
 * onnxruntime-node and predictOnBatch and expects equal shapes and values within `atol`.
 * Input sets of different batch sizes check the dynamic batch dimension.
 */
export async function expectOnnxMatches(model: LayersModel, inputSets: (Tensor | Tensor[])[], options: OnnxRoundTripOptions = {}): Promise<OnnxRoundTripResult> {
  const { atol = 1e-4, ...exportOptions } = options;
  const bytes = exportOnnxBytes(model, exportOptions);
  checkOnnxModel(bytes);
  const session = await ort.InferenceSession.create(bytes);
  const ortOutputs: OnnxRoundTripResult['ortOutputs'] = [];
  try {
    expect(session.inputNames.length).toBe(model.inputs.length);
    expect(session.outputNames.length).toBe(model.outputs.length);
    for (const set of inputSets) {
      const xs = Array.isArray(set) ? set : [set];
      const feeds: Record<string, ort.Tensor> = {};
      session.inputNames.forEach((name, i) => (feeds[name] = toOrt(xs[i]!)));
      const result = await session.run(feeds);
      const ours = model.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
      const expected = Array.isArray(ours) ? ours : [ours];
      const got: OnnxRoundTripResult['ortOutputs'][number] = [];
      session.outputNames.forEach((name, k) => {
        const o = result[name]!;
        const e = expected[k]!;
        const what = `output '${name}' (batch ${xs[0]!.shape[0]}, opset ${exportOptions.opset ?? 17})`;
        expect(o.dims.slice(), `${what} shape`).toEqual(e.shape.slice());
        const a = o.data as Float32Array | Int32Array;
        const ev = e.dataSync();
        let worst = 0;
        let at = -1;
        for (let i = 0; i < ev.length; i++) {
          const d = Math.abs(a[i]! - ev[i]!);
          if (!(d <= worst)) {
            worst = d;
            at = i;
          }
        }
        if (!(worst <= atol)) throw new Error(`${what}: element ${at} is ${a[at]} in ORT, ${ev[at]} here (|diff| ${worst} > ${atol})`);
        got.push({ data: a, dims: o.dims.slice() });
      });
      ortOutputs.push(got);
    }
  } finally {
    await session.release();
  }
  return { bytes, ortOutputs };
}

/**
 * Gives every weight of the model's layers deterministic random values (biases and moving
 * statistics too, so layouts and gate orders are exercised): uniform in [-scale, scale], except
 * variances and gammas, which stay in [0.5, 1.5].
 */
export function randomizeWeights(model: LayersModel, seed = 1, scale = 0.5): void {
  let s = seed;
  for (const layer of model.layers) {
    const info = layer.weightsInfo;
    if (info.length === 0) continue;
    layer.setWeights(info.map((w) => {
      const positive = /moving_variance|gamma/.test(w.name);
      const vals = seededValues(w.value.size, s++, positive ? 0.5 : -scale, positive ? 1.5 : scale);
      return tf.tensor(vals, w.value.shape.slice());
    }));
  }
}

/** A float32 tensor of deterministic values in [lo, hi). */
export function seededTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape);
}
