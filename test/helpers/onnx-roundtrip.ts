// Export a model to ONNX, check its structure, run it in onnxruntime-node and compare with the
// model's own predictOnBatch, then import the file back and compare again. Shared by the export tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import * as tf from '../../src';
import type { LayersModel, Tensor } from '../../src';
import { exportOnnxBytes, type ExportOnnxOptions } from '../../src/onnx/export';
import { checkOnnxModel } from '../../src/onnx/check-model';
import { readOnnxModel } from '../../src/onnx/read-model';
import { importOnnx } from '../../src/onnx/import';
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

let dumped = 0;

/**
 * With TENSORFORGE_ONNX_DUMP_DIR set, every exported model is also written there, so a developer
 * can run other tools over them (e.g. onnx.checker); tests never need it.
 */
function dumpForCrossCheck(model: LayersModel, bytes: Uint8Array, opset: number | undefined): void {
  const dir = process.env['TENSORFORGE_ONNX_DUMP_DIR'];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${process.pid}-${dumped++}-${model.name}-opset${opset ?? 17}.onnx`), bytes);
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
  dumpForCrossCheck(model, bytes, exportOptions.opset);
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
  // Import the export back: the imported graph must predict what the original model does.
  const back = importOnnx(bytes);
  for (const set of inputSets) {
    const xs = Array.isArray(set) ? set : [set];
    const ours = model.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
    const theirs = back.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
    const [e, g] = [ours, theirs].map((o) => (Array.isArray(o) ? o : [o]));
    expect(g!.length).toBe(e!.length);
    e!.forEach((t, k) => {
      const what = `re-imported output ${k} (batch ${xs[0]!.shape[0]}, opset ${exportOptions.opset ?? 17})`;
      expect(g![k]!.shape, `${what} shape`).toEqual(t.shape);
      const a = g![k]!.dataSync();
      const ev = t.dataSync();
      for (let i = 0; i < ev.length; i++) {
        if (!(Math.abs(a[i]! - ev[i]!) <= atol)) throw new Error(`${what}: element ${i} is ${a[i]} re-imported, ${ev[i]} here`);
      }
    });
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

/** Deterministic float inputs for every model input at the given batch size. */
export function sampleInputs(model: LayersModel, batch: number, seed: number, lo = -1, hi = 1): Tensor[] {
  return model.inputs.map((t, i) => {
    const shape = t.shape.map((d, k) => (k === 0 ? batch : d));
    if (shape.some((d) => d === null)) throw new Error(`sampleInputs: input ${i} has unknown dims [${t.shape.join(',')}]; pass inputs explicitly`);
    return seededTensor(shape as number[], seed * 31 + i, lo, hi);
  });
}

/**
 * The usual export check: random weights, then ORT vs predictOnBatch at batch sizes 1 and 3
 * (one exported file, so the batch dimension must really be dynamic).
 */
export async function expectOnnxMatchesAtBatches(model: LayersModel, options: OnnxRoundTripOptions & { seed?: number; lo?: number; hi?: number; randomize?: boolean } = {}): Promise<OnnxRoundTripResult> {
  const { seed = 7, lo, hi, randomize = true, ...rest } = options;
  if (randomize) randomizeWeights(model, seed);
  return expectOnnxMatches(model, [sampleInputs(model, 1, seed, lo, hi), sampleInputs(model, 3, seed + 1, lo, hi)], rest);
}

/** The op types of an exported model's nodes, in order. */
export function onnxOpTypes(bytes: Uint8Array): string[] {
  return readOnnxModel(bytes).graph.nodes.map((n) => n.opType);
}
