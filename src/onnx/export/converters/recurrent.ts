// SimpleRNN, LSTM and GRU as ONNX RNN/LSTM/GRU (time-major, so batch-first data is transposed in
// and out: onnxruntime's CPU kernels reject layout = 1), Bidirectional as one bidirectional op, and
// TimeDistributed by folding time into the batch.
import { ACTIVATION_NAMES, type Activation, type ActivationName, resolveActivation } from '../../../activations/activations';
import type { Layer } from '../../../layers/layer';
import { GRU } from '../../../layers/gru';
import { LSTM } from '../../../layers/lstm';
import type { RecurrentLayer } from '../../../layers/recurrent';
import { SimpleRNN } from '../../../layers/simple-rnn';
import { Bidirectional, TimeDistributed } from '../../../layers/wrappers';
import { Dense } from '../../../layers/dense';
import type { ShapeWithBatch } from '../../../layers/symbolic-tensor';
import { getOnnxConverter } from '../converter';
import type { ConverterInput, LayerConverter, OnnxAttr, OnnxExportContext } from '../converter';
import { activation, attr, concat, constF32, constI64, node, pick, reshape, reverseAxis, shapeSlice, sliceOp, squeeze, transpose, unsqueeze } from '../ops';
import { DataType } from '../../proto';
import { flatValues } from '../tensor-proto';
import { denseCore } from './basic';
import { expectLayer, registerBuiltinConverter } from './util';

type OpType = 'RNN' | 'LSTM' | 'GRU';

/** ONNX gate g takes Keras gate KERAS_GATE[op][g]: LSTM i,o,f,c from Keras i,f,c,o; GRU z,r,h as is. */
const KERAS_GATE: Record<OpType, number[]> = { RNN: [0], LSTM: [0, 3, 1, 2], GRU: [0, 1, 2] };

function opTypeOf(layer: RecurrentLayer): OpType {
  if (layer instanceof LSTM) return 'LSTM';
  if (layer instanceof GRU) return 'GRU';
  if (layer instanceof SimpleRNN) return 'RNN';
  throw new Error(`exportOnnx: recurrent layer '${layer.name}' has class ${layer.className}, which has no ONNX recurrent op`);
}

interface DirectionWeights {
  W: Float32Array; // [G*H, F]
  R: Float32Array; // [G*H, H]
  B: Float32Array | null; // [2*G*H]: input biases then recurrent biases
}

/** One direction's weights in ONNX layout: gate rows reordered, matrices transposed. */
function directionWeights(layer: RecurrentLayer, op: OpType): DirectionWeights {
  const H = layer.units;
  const gates = KERAS_GATE[op];
  const G = gates.length;
  const kernel = flatValues(layer.kernel!);
  const rec = flatValues(layer.recurrentKernel!);
  const F = layer.kernel!.shape[0]!;
  const W = new Float32Array(G * H * F);
  const R = new Float32Array(G * H * H);
  gates.forEach((kg, g) => {
    for (let j = 0; j < H; j++) {
      const col = kg * H + j;
      for (let f = 0; f < F; f++) W[(g * H + j) * F + f] = kernel[f * G * H + col]!;
      for (let k = 0; k < H; k++) R[(g * H + j) * H + k] = rec[k * G * H + col]!;
    }
  });
  let B: Float32Array | null = null;
  if (layer.bias) {
    const bias = flatValues(layer.bias);
    B = new Float32Array(2 * G * H);
    // GRU with resetAfter keeps separate input and recurrent biases ([2, 3H]); others have one.
    const twoRows = layer instanceof GRU && layer.resetAfter;
    gates.forEach((kg, g) => {
      for (let j = 0; j < H; j++) {
        B![g * H + j] = bias[kg * H + j]!;
        if (twoRows) B![G * H + g * H + j] = bias[G * H + kg * H + j]!;
      }
    });
  }
  return { W, R, B };
}

/** The recurrent ops' activation (name, alpha, beta) for one of the library's activations. */
function onnxActivation(layer: Layer, name: ActivationName): NonNullable<Activation['rnn']> {
  const rnn = resolveActivation('exportOnnx', name).rnn;
  if (!rnn) {
    const supported = ACTIVATION_NAMES.filter((n) => resolveActivation('exportOnnx', n).rnn).join(', ');
    throw new Error(`exportOnnx: layer '${layer.name}' (${layer.className}) uses activation '${name}', which ONNX recurrent ops do not offer ` +
      `(supported: ${supported})`);
  }
  return rnn;
}

/** The activations attribute (f, g, h order) unless it is the op's default. */
function activationAttrs(layer: RecurrentLayer, op: OpType, directions: number): Record<string, OnnxAttr> {
  const act = layer.activation.name;
  const rec = (layer as LSTM | GRU).recurrentActivation?.name ?? 'sigmoid';
  const names: ActivationName[] = op === 'LSTM' ? [rec, act, act] : op === 'GRU' ? [rec, act] : [act];
  const defaults: ActivationName[] = op === 'LSTM' ? ['sigmoid', 'tanh', 'tanh'] : op === 'GRU' ? ['sigmoid', 'tanh'] : ['tanh'];
  if (names.every((n, i) => n === defaults[i])) return {};
  const list = names.map((n) => onnxActivation(layer, n));
  const all = Array.from({ length: directions }, () => list).flat();
  const out: Record<string, OnnxAttr> = { activations: attr.strs(all.map((a) => a.name)) };
  // Parameters are consumed in order by the activations that take them.
  const alphas = all.filter((a) => a.alpha !== undefined).map((a) => a.alpha!);
  const betas = all.filter((a) => a.beta !== undefined).map((a) => a.beta!);
  if (alphas.length) out['activation_alpha'] = attr.floats(alphas);
  if (betas.length) out['activation_beta'] = attr.floats(betas);
  return out;
}

interface RunResult {
  Y: string; // [T, dirs, B, H]
  Yh: string; // [dirs, B, H]
  Yc: string | null; // LSTM: [dirs, B, H]
}

/**
 * Per-row scales, in the op's gate-row order, of a kernel that holds int8 values (an int32 tensor
 * beside a `<name>_scale` weight, as tf.quantization's QuantizedLSTM / QuantizedGRU keep them), or
 * null for a float kernel.
 */
function int8RowScales(layer: RecurrentLayer, name: 'kernel' | 'recurrent_kernel', op: OpType): Float32Array | null {
  const k = name === 'kernel' ? layer.kernel! : layer.recurrentKernel!;
  if (k.dtype !== 'int32') return null;
  const s = layer.weightsInfo.find((w) => w.name === `${name}_scale`);
  if (!s) throw new Error(`exportOnnx: layer '${layer.name}' (${layer.className}) holds int8 ${name} values without a '${name}_scale' weight`);
  const scales = flatValues(s.value);
  const H = layer.units;
  const gates = KERAS_GATE[op];
  const out = new Float32Array(gates.length * H);
  gates.forEach((kg, g) => {
    for (let j = 0; j < H; j++) out[g * H + j] = scales[kg * H + j]!;
  });
  return out;
}

/**
 * The W or R input of the recurrent op: a float initializer, or for int8 kernels the int8 values
 * behind DequantizeLinear with one scale per gate row (per direction, concatenated), so the file
 * stores int8 and onnxruntime computes with exactly the dequantized weights the layer holds.
 */
function weightInput(ctx: OnnxExportContext, name: string, parts: Float32Array[], scales: (Float32Array | null)[], rows: number, cols: number): string {
  const dirs = parts.length;
  if (scales.every((s) => s === null)) {
    const data = new Float32Array(dirs * rows * cols);
    parts.forEach((p, d) => data.set(p, d * rows * cols));
    return ctx.addInitializer(name, { name: '', dtype: 'float32', shape: [dirs, rows, cols], data });
  }
  if (scales.some((s) => s === null)) throw new Error(`exportOnnx: ${name}: every direction must be int8 or none`);
  const perDirection = parts.map((p, d) => {
    const q = ctx.addInitializer(`${name}_quantized`, { name: '', dtype: 'int8', shape: [1, rows, cols], data: Int8Array.from(p) });
    const s = ctx.addInitializer(`${name}_scale`, { name: '', dtype: 'float32', shape: [rows], data: scales[d]! });
    const z = ctx.addInitializer(`${name}_zero_point`, { name: '', dtype: 'int8', shape: [rows], data: new Int8Array(rows) });
    return node(ctx, 'DequantizeLinear', [q, s, z], { axis: attr.int(1) });
  });
  return dirs === 1 ? perDirection[0]! : node(ctx, 'Concat', perDirection, { axis: attr.int(0) });
}

/** W, R and B inputs of the recurrent op for `layers` (one per direction, forward first). */
function recurrentWeights(ctx: OnnxExportContext, layers: RecurrentLayer[], op: OpType): { W: string; R: string; B: string } {
  const first = layers[0]!;
  const H = first.units;
  const G = KERAS_GATE[op].length;
  const F = first.kernel!.shape[0]!;
  const dirs = layers.length;
  const parts = layers.map((l) => directionWeights(l, op));
  const stack = (get: (w: DirectionWeights) => Float32Array, n: number): Float32Array => {
    const out = new Float32Array(dirs * n);
    parts.forEach((p, d) => out.set(get(p), d * n));
    return out;
  };
  const W = weightInput(ctx, 'W', parts.map((p) => p.W), layers.map((l) => int8RowScales(l, 'kernel', op)), G * H, F);
  const R = weightInput(ctx, 'R', parts.map((p) => p.R), layers.map((l) => int8RowScales(l, 'recurrent_kernel', op)), G * H, H);
  const B = parts.every((p) => p.B)
    ? ctx.addInitializer('B', { name: '', dtype: 'float32', shape: [dirs, 2 * G * H], data: stack((p) => p.B!, 2 * G * H) })
    : '';
  return { W, R, B };
}

function recurrentAttrs(layer: RecurrentLayer, op: OpType, direction: string, dirs: number): Record<string, OnnxAttr> {
  const attributes: Record<string, OnnxAttr> = {
    hidden_size: attr.int(layer.units),
    direction: attr.str(direction),
    ...activationAttrs(layer, op, dirs),
  };
  if (op === 'GRU') attributes['linear_before_reset'] = attr.int((layer as GRU).resetAfter ? 1 : 0);
  return attributes;
}

/** The op's inputs, without trailing omitted ones. */
function recurrentInputs(op: OpType, x: string, w: { W: string; R: string; B: string }, h: string | null, c: string | null): string[] {
  const inputs = [x, w.W, w.R, w.B, '', h ?? ''];
  if (op === 'LSTM') inputs.push(c ?? '');
  while (inputs[inputs.length - 1] === '') inputs.pop();
  return inputs;
}

/**
 * Emits one ONNX recurrent node over time-major `xt` [T, B, F] for `layers` (one per direction,
 * forward first). `initial` holds [dirs, B, H] initial h (and c) values, or null for zeros.
 */
function emitRecurrent(ctx: OnnxExportContext, layers: RecurrentLayer[], xt: string, direction: 'forward' | 'reverse' | 'bidirectional',
  initial: { h: string; c: string | null } | null): RunResult {
  const first = layers[0]!;
  const op = opTypeOf(first);
  const w = recurrentWeights(ctx, layers, op);
  const outs = ctx.addNode({
    opType: op,
    inputs: recurrentInputs(op, xt, w, initial?.h ?? null, initial?.c ?? null),
    outputs: op === 'LSTM' ? 3 : 2,
    attributes: recurrentAttrs(first, op, direction, layers.length),
  });
  return { Y: outs[0]!, Yh: outs[1]!, Yc: op === 'LSTM' ? outs[2]! : null };
}

/** A masked pass: per processed step [1, B, H] outputs, in processing order, and the final states. */
interface MaskedRun {
  steps: string[];
  h: string; // [1, B, H]
  c: string | null;
}

/**
 * Keras masking, exactly: the recurrence unrolled one step per time index (each a length-1 ONNX
 * recurrent node, so gate orders and activations are the op's), and at masked steps the previous
 * h (and c) kept through Where. `maskTB1` is the bool mask as [T, B, 1]. Needs a known length.
 */
function emitMasked(ctx: OnnxExportContext, layer: RecurrentLayer, xt: string, T: number, maskTB1: string,
  initial: { h: string; c: string | null } | null): MaskedRun {
  const op = opTypeOf(layer);
  const w = recurrentWeights(ctx, [layer], op);
  const attributes = recurrentAttrs(layer, op, 'forward', 1);
  const order = Array.from({ length: T }, (_, k) => (layer.goBackwards ? T - 1 - k : k));
  let h = initial?.h ?? null;
  let c = initial?.c ?? null;
  let zeros: string | null = null;
  const steps: string[] = [];
  for (const t of order) {
    const x = sliceOp(ctx, xt, [t], [t + 1], [0]);
    const outs = ctx.addNode({ opType: op, inputs: recurrentInputs(op, x, w, h, c), outputs: op === 'LSTM' ? 3 : 2, attributes });
    const m = sliceOp(ctx, maskTB1, [t], [t + 1], [0]);
    // Before the first state exists, "keep the previous state" means keep zeros.
    zeros ??= h === null ? node(ctx, 'ConstantOfShape', [node(ctx, 'Shape', [outs[1]!])]) : null;
    h = node(ctx, 'Where', [m, outs[1]!, h ?? zeros!]);
    if (op === 'LSTM') c = node(ctx, 'Where', [m, outs[2]!, c ?? zeros!]);
    steps.push(h);
  }
  return { steps, h: h!, c };
}

/** Initial states given as extra call inputs, stacked as [dirs, B, H]. */
function initialStates(ctx: OnnxExportContext, states: string[], perDirection: number): { h: string; c: string | null } | null {
  if (states.length === 0) return null;
  const dirs = states.length / perDirection;
  const gather = (k: number) => {
    const list = Array.from({ length: dirs }, (_, d) => unsqueeze(ctx, states[d * perDirection + k]!, [0]));
    return list.length === 1 ? list[0]! : concat(ctx, list, 0);
  };
  return { h: gather(0), c: perDirection > 1 ? gather(1) : null };
}

/** One direction's initial states ([1, B, H]) from the call's extra inputs. */
function directionStates(ctx: OnnxExportContext, states: string[], perDirection: number, d: number): { h: string; c: string | null } | null {
  return initialStates(ctx, states.slice(d * perDirection, (d + 1) * perDirection), perDirection);
}

function checkInput(args: ConverterInput): void {
  const shape = args.inputShapes[0]!;
  if (shape.length !== 3) throw new Error(`exportOnnx: layer '${args.layer.name}' (${args.layer.className}) needs input [batch, time, features], got rank ${shape.length}`);
}

/** The incoming mask as bool [T, B, 1], and the (known) length, for the unrolled masked path. */
function maskedSetup(ctx: OnnxExportContext, args: ConverterInput, mask: () => string): { T: number; maskTB1: string } {
  const T = args.inputShapes[0]![1];
  if (typeof T !== 'number') {
    throw new Error(`exportOnnx: layer '${args.layer.name}' (${args.layer.className}) receives a mask (from Masking or Embedding maskZero) ` +
      'and its sequence length is unknown; masked recurrent layers are exported step by step, which needs a fixed length (give the input a time dimension)');
  }
  const maskTB1 = node(ctx, 'Cast', [unsqueeze(ctx, transpose(ctx, mask(), [1, 0]), [2])], { to: attr.int(DataType.BOOL) });
  return { T, maskTB1 };
}

/** SimpleRNN, LSTM and GRU. */
export const convertRecurrent: LayerConverter = (args, ctx) => {
  const layer = args.layer as RecurrentLayer;
  const op = opTypeOf(layer);
  checkInput(args);
  const xt = transpose(ctx, args.inputs[0]!, [1, 0, 2]);
  const states = args.inputs.slice(1);
  if (args.mask) {
    const { T, maskTB1 } = maskedSetup(ctx, args, args.mask);
    const run = emitMasked(ctx, layer, xt, T, maskTB1, directionStates(ctx, states, layer.stateCount, 0));
    const h = squeeze(ctx, run.h, [0]);
    const out = layer.returnSequences ? transpose(ctx, concat(ctx, run.steps, 0), [1, 0, 2]) : h;
    if (!layer.returnState) return [out];
    return op === 'LSTM' ? [out, h, squeeze(ctx, run.c!, [0])] : [out, h];
  }
  const run = emitRecurrent(ctx, [layer], xt, layer.goBackwards ? 'reverse' : 'forward', initialStates(ctx, states, layer.stateCount));
  const h = pick(ctx, run.Yh, 0, 0);
  let out: string;
  if (layer.returnSequences) {
    // ONNX gives a reverse pass's outputs in input order; Keras lists them in processing order.
    let seq = pick(ctx, run.Y, 0, 1); // [T, B, H]
    if (layer.goBackwards) seq = reverseAxis(ctx, seq, 0);
    out = transpose(ctx, seq, [1, 0, 2]);
  } else {
    out = h;
  }
  if (!layer.returnState) return [out];
  return run.Yc ? [out, h, pick(ctx, run.Yc, 0, 0)] : [out, h];
};

export const convertBidirectional: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, Bidirectional);
  checkInput(args);
  const fw = layer.forwardLayer;
  const bw = layer.backwardLayer;
  const n = fw.stateCount;
  const states = args.inputs.slice(1);
  const merge = (a: string, b: string, featureAxis: number): string => {
    switch (layer.mergeMode) {
      case 'concat':
        return concat(ctx, [a, b], featureAxis);
      case 'sum':
        return node(ctx, 'Add', [a, b]);
      case 'mul':
        return node(ctx, 'Mul', [a, b]);
      case 'ave':
        return node(ctx, 'Mul', [node(ctx, 'Add', [a, b]), constF32(ctx, [0.5])]);
    }
  };
  let xt = transpose(ctx, args.inputs[0]!, [1, 0, 2]);
  if (args.mask) {
    const { T, maskTB1 } = maskedSetup(ctx, args, args.mask);
    const f = emitMasked(ctx, fw, xt, T, maskTB1, directionStates(ctx, states, n, 0));
    const b = emitMasked(ctx, bw, xt, T, maskTB1, directionStates(ctx, states, n, 1));
    const sq = (v: string) => squeeze(ctx, v, [0]);
    // The layer reverses the backward sequence back into time order before merging.
    const out = fw.returnSequences
      ? transpose(ctx, merge(concat(ctx, f.steps, 0), concat(ctx, b.steps.slice().reverse(), 0), 2), [1, 0, 2])
      : merge(sq(f.h), sq(b.h), 1);
    if (!fw.returnState) return [out];
    const st = (r: MaskedRun) => (r.c ? [sq(r.h), sq(r.c)] : [sq(r.h)]);
    return [out, ...st(f), ...st(b)];
  }
  // With an inner layer that goes backwards the two passes swap roles; on the time-reversed
  // input they are an ordinary forward/backward pair (and Keras merges in that reversed order).
  if (fw.goBackwards) xt = reverseAxis(ctx, xt, 0);
  const run = emitRecurrent(ctx, [fw, bw], xt, 'bidirectional', initialStates(ctx, states, n));
  let out: string;
  if (fw.returnSequences) {
    out = transpose(ctx, merge(pick(ctx, run.Y, 0, 1), pick(ctx, run.Y, 1, 1), 2), [1, 0, 2]);
  } else {
    out = merge(pick(ctx, run.Yh, 0, 0), pick(ctx, run.Yh, 1, 0), 1);
  }
  if (!fw.returnState) return [out];
  const st = (d: number) => (run.Yc ? [pick(ctx, run.Yh, d, 0), pick(ctx, run.Yc, d, 0)] : [pick(ctx, run.Yh, d, 0)]);
  return [out, ...st(0), ...st(1)];
};

/**
 * The wrapped layer on [batch * time, ...]: Dense runs directly on the rank-3 input (MatMul
 * broadcasts over the leading axes); other layers see time folded into the batch and back.
 */
export const convertTimeDistributed: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, TimeDistributed);
  const inner = layer.layer;
  const shape = args.inputShapes[0]!;
  const x = args.inputs[0]!;
  if (inner instanceof Dense) {
    return [activation(ctx, denseCore(ctx, inner, x, shape.length), inner.activation.name)];
  }
  const converter = getOnnxConverter(inner.className);
  if (!converter) throw new Error(`exportOnnx: layer '${inner.name}' (class ${inner.className}) inside TimeDistributed '${layer.name}' has no ONNX converter`);
  const rest = shape.slice(2);
  const folded = rest.every((d) => typeof d === 'number')
    ? reshape(ctx, x, [-1, ...(rest as number[])])
    : node(ctx, 'Reshape', [x, concat(ctx, [constI64(ctx, [-1]), shapeSlice(ctx, x, 2, shape.length)], 0)]);
  const innerIn: ShapeWithBatch = [null, ...rest];
  const innerOut = inner.computeOutputShape(innerIn) as ShapeWithBatch;
  const ys = converter({ layer: inner, inputs: [folded], inputShapes: [innerIn], inputDtypes: args.inputDtypes, outputShapes: [innerOut], mask: null }, ctx);
  if (ys.length !== 1) throw new Error(`exportOnnx: TimeDistributed '${layer.name}' needs a single-output layer, ${inner.name} has ${ys.length}`);
  const outRest = innerOut.slice(1);
  const target = outRest.every((d) => typeof d === 'number')
    ? concat(ctx, [shapeSlice(ctx, x, 0, 2), constI64(ctx, outRest as number[])], 0)
    : concat(ctx, [shapeSlice(ctx, x, 0, 2), shapeSlice(ctx, ys[0]!, 1, innerOut.length)], 0);
  return [node(ctx, 'Reshape', [ys[0]!, target])];
};

registerBuiltinConverter('SimpleRNN', convertRecurrent);
registerBuiltinConverter('LSTM', convertRecurrent);
registerBuiltinConverter('GRU', convertRecurrent);
registerBuiltinConverter('Bidirectional', convertBidirectional);
registerBuiltinConverter('TimeDistributed', convertTimeDistributed);
