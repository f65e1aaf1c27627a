// Inference warm-up: one batch-1 pass over zeros when a model is compiled or loaded, so the first
// real predict does not pay V8's lazy compilation of the inference path (about 2 ms cold against
// 0.1 ms warm for a small MLP; a server's first wave of requests queued behind it).
import { noGrad } from '../autograd/tape';
import { zeros } from '../ops/creation';
import { tidy } from '../tensor/tensor';
import type { Layer } from '../layers/layer';
import type { LayersModel } from './layers-model';

/** Inputs larger than this (elements per input, at batch 1) are not warmed: the pass would cost more than it saves. */
const MAX_WARM_ELEMENTS = 1 << 16;

function hasStatefulLayer(layers: readonly Layer[]): boolean {
  return layers.some((l) => {
    if ((l as { stateful?: unknown }).stateful === true) return true;
    const inner = (l as { layers?: unknown }).layers;
    return Array.isArray(inner) && hasStatefulLayer(inner as Layer[]);
  });
}

/**
 * Runs `model` once in inference mode on zeros of batch 1. Skipped for imported ONNX models, for
 * models without a known input shape, with large inputs, or with stateful layers (the pass would
 * move their state). Never
 * throws and keeps no tensor: a model the zeros do not suit reports its error on the real call.
 */
export function warmUpInference(model: LayersModel): void {
  // An imported ONNX model has run its graph in importOnnx's probes already, and a pass here would
  // only compile an inference plan for batch 1 that serving may never use.
  if (model.inferencePlanner) return;
  const inputs = model.inputs;
  if (inputs.length === 0) return;
  const shapes: number[][] = [];
  for (const t of inputs) {
    const rest = t.shape.slice(1);
    if (!rest.every((d): d is number => typeof d === 'number')) return;
    const shape = [1, ...rest];
    if (shape.reduce((a, b) => a * b, 1) > MAX_WARM_ELEMENTS) return;
    shapes.push(shape);
  }
  try {
    if (hasStatefulLayer(model.layers)) return;
    tidy(() => {
      noGrad(() => model.predictOnBatch(shapes.map((s, i) => zeros(s, inputs[i]!.dtype))));
    });
  } catch {
    // The warm-up is an optimisation only; the model's own calls report any problem.
  }
}
