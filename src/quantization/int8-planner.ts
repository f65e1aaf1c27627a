// The inference plan of a static int8 model: the layers run in graph order as in LayersModel.forward,
// but a value that flows from one int8 layer to the next stays uint8 bytes on the consumer's grid, so
// no float tensor is written between them: max pooling compares the bytes (quantization is monotone),
// Flatten / Reshape / inference-time Dropout and noise only relabel them, and a shallow first
// convolution followed by a max pool runs as one direct kernel that pools its accumulators. Every
// value it produces equals what the layer-by-layer path computes (that path hands the same bytes
// over beside dequantized float tensors), so it is a shortcut, never a different result.
import { Tensor } from '../tensor/tensor';
import type { Layer } from '../layers/layer';
import { convOutputLength } from '../layers/convolutional';
import type { InferencePlanner, LayersModel } from '../models/layers-model';
import { qmaxPool2d } from '../ops/quant-kernels';
import { type ActivationQuant, dequantizedTensor, floatValues, quantizeActivation } from './activation-grid';
import { type FusedPool, QuantizedConv } from './quantized-conv';
import { QuantizedDense } from './quantized-dense';

/** Uint8 activations on a grid, channels last. */
interface Bytes {
  data: Uint8Array;
  shape: number[];
  grid: ActivationQuant;
}

type Value = Tensor | Bytes;

/** Layers whose inference output is their input relabelled (same values, maybe another shape). */
const RELABEL = new Set(['Flatten', 'Reshape', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'SpatialDropout1D', 'SpatialDropout2D']);
/** Layers that start masks: the plan does not carry them, so models with these run layer by layer. */
const MASKING = new Set(['Masking', 'Embedding', 'QuantizedEmbedding']);

type PoolLayer = Layer & { poolSize: number[]; strides: number[]; padding: 'valid' | 'same'; dataFormat: string };

function isPool(layer: Layer): layer is PoolLayer {
  return layer.className === 'MaxPooling2D' && (layer as PoolLayer).dataFormat === 'channelsLast';
}

function sameGrid(a: ActivationQuant, b: ActivationQuant | null): boolean {
  return !!b && a.scale === b.scale && a.zeroPoint === b.zeroPoint;
}

/** One layer call of the plan; `pool` set on a convolution that runs the following max pool too. */
interface Step {
  layer: Layer;
  input: number;
  output: number;
  pool: FusedPool | null;
  /** The uint8 output buffer of the last run, reused (the plan's bytes never leave it). */
  scratch?: Uint8Array;
}

/**
 * @internal serves the inference-mode forward passes of a static int8 model (installed by quantize,
 * convert and loadModel). Models it cannot carry (masks, several inputs or outputs per call) run
 * layer by layer.
 */
export class Int8ModelPlanner implements InferencePlanner {
  private readonly steps: Step[] | null;

  constructor(private readonly model: LayersModel) {
    this.steps = Int8ModelPlanner.plan(model);
  }

  /** True when `model` has int8 layers handing bytes to each other, which the plan keeps in integers. */
  static worthwhile(model: LayersModel): boolean {
    return model.layers.some((l) => (l instanceof QuantizedConv || l instanceof QuantizedDense) && l.outputQuant !== null);
  }

  private static plan(model: LayersModel): Step[] | null {
    const nodes = model.graphNodes;
    if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
    const steps: Step[] = [];
    const consumers = new Map<number, number>();
    for (const n of nodes) {
      if (n.listInput || n.inputs.length !== 1 || n.outputs.length !== 1 || !n.outputs[0] || n.training !== null) return null;
      if (MASKING.has(n.layer.className) || n.layer.className === 'Model' || n.layer.className === 'Sequential') return null;
      consumers.set(n.inputs[0]!.id, (consumers.get(n.inputs[0]!.id) ?? 0) + 1);
    }
    const outputId = model.outputs[0]!.id;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      const step: Step = { layer: n.layer, input: n.inputs[0]!.id, output: n.outputs[0]!.id, pool: null };
      const next = nodes[i + 1];
      const layer = n.layer;
      // A direct convolution whose only consumer is a max pool with windows inside its output runs both.
      if (layer instanceof QuantizedConv && layer.rank === 2 && layer.dataFormat === 'channelsLast' && layer.direct
        && layer.dilationRate[1] === 1 && next && isPool(next.layer) && next.layer.padding === 'valid'
        && next.inputs[0]!.id === step.output && consumers.get(step.output) === 1 && step.output !== outputId) {
        const p = next.layer;
        step.pool = { size: [p.poolSize[0]!, p.poolSize[1]!], strides: [p.strides[0]!, p.strides[1]!], outSize: [0, 0] };
        step.output = next.outputs[0]!.id;
        i++;
      }
      steps.push(step);
    }
    return steps;
  }

  run(xs: readonly Tensor[]): Tensor[] | null {
    if (!this.steps) return null;
    const values = new Map<number, Value>();
    values.set(this.model.inputs[0]!.id, xs[0]!);
    for (const step of this.steps) {
      values.set(step.output, this.runStep(step, values.get(step.input)!));
    }
    const y = values.get(this.model.outputs[0]!.id)!;
    return [y instanceof Tensor ? y : dequantizedTensor(y.data, y.shape, y.grid, false)];
  }

  private runStep(step: Step, x: Value): Value {
    const layer = step.layer;
    if (layer instanceof QuantizedConv && layer.mode === 'static' && layer.outputQuant && layer.dataFormat === 'channelsLast') {
      const shape = x instanceof Tensor ? x.shape : x.shape;
      const nhwc = layer.rank === 2 ? shape : [shape[0]!, 1, shape[1]!, shape[2]!];
      // The direct kernel quantizes a float input while copying it in.
      const xq = x instanceof Tensor && layer.direct ? floatValues(x) : this.bytesOn(x, layer.inputQuant!);
      let pool: FusedPool | null = null;
      if (step.pool) {
        const conv = layer.computeOutputShape([...shape]) as number[];
        const [ph, pw] = step.pool.size;
        const [sh, sw] = step.pool.strides;
        pool = { ...step.pool, outSize: [convOutputLength(conv[1]!, ph, sh, 'valid')!, convOutputLength(conv[2]!, pw, sw, 'valid')!] };
      }
      const y = layer.quantizedForward(xq, nhwc, pool, step.scratch);
      step.scratch = y.data;
      return { data: y.data, shape: y.shape, grid: layer.outputQuant };
    }
    if (layer instanceof QuantizedDense && layer.mode === 'static') {
      const y = layer.quantizedForward(this.bytesOn(x, layer.inputQuant!), x.shape, step.scratch);
      if (y instanceof Tensor) return y;
      step.scratch = y.data;
      return { ...y, grid: layer.outputQuant! };
    }
    if (!(x instanceof Tensor)) {
      if (isPool(layer)) return this.pool(step, layer, x);
      if (RELABEL.has(layer.className)) {
        const shape = layer.computeOutputShape(x.shape) as number[];
        return { data: x.data, shape, grid: x.grid };
      }
    }
    const input = x instanceof Tensor ? x : dequantizedTensor(x.data, x.shape, x.grid, false);
    return layer.apply(input, { training: false });
  }

  /** x's bytes on `grid`: as they are when already on it, else quantized (a float input, or another grid). */
  private bytesOn(x: Value, grid: ActivationQuant) {
    if (!(x instanceof Tensor) && sameGrid(grid, x.grid)) return { data: x.data, scale: grid.scale, zeroPoint: grid.zeroPoint };
    const t = x instanceof Tensor ? x : dequantizedTensor(x.data, x.shape, x.grid, false);
    return quantizeActivation(t, grid);
  }

  private pool(step: Step, layer: PoolLayer, x: Bytes): Bytes {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const [kh, kw] = layer.poolSize as [number, number];
    const [sh, sw] = layer.strides as [number, number];
    const geom = (size: number, k: number, s: number): [number, number] => {
      const out = convOutputLength(size, k, s, layer.padding)!;
      return [out, layer.padding === 'same' ? Math.floor(Math.max((out - 1) * s + k - size, 0) / 2) : 0];
    };
    const [oh, top] = geom(h, kh, sh);
    const [ow, left] = geom(w, kw, sw);
    const size = n * oh * ow * c;
    const out = step.scratch && step.scratch.length === size ? step.scratch : new Uint8Array(size);
    step.scratch = out;
    qmaxPool2d({ x: x.data, shape: [n, h, w, c], poolSize: [kh, kw], strides: [sh, sw], pads: [top, left], outSize: [oh, ow], out });
    return { data: out, shape: [n, oh, ow, c], grid: x.grid };
  }
}
