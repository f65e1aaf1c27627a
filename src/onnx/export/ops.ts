// Small emitters for the node patterns converters share: constants, layout transposes, reshapes,
// reductions whose axes moved from attribute to input across opsets, and activations.
import { type ActivationName, type OnnxEmitter, resolveActivation } from '../../activations/activations';
import type { OnnxAttr, OnnxExportContext } from './converter';
import { floatTensor, int64Tensor } from './tensor-proto';

const int = (value: number): OnnxAttr => ({ type: 'int', value });
const ints = (value: number[]): OnnxAttr => ({ type: 'ints', value });
const float = (value: number): OnnxAttr => ({ type: 'float', value });
const floats = (value: number[]): OnnxAttr => ({ type: 'floats', value });
const str = (value: string): OnnxAttr => ({ type: 'string', value });
const strs = (value: string[]): OnnxAttr => ({ type: 'strings', value });

export const attr = { int, ints, float, floats, str, strs };

// Constants repeat a lot (axes [1], shapes); one initializer per distinct value and graph.
const constCache = new WeakMap<OnnxExportContext, Map<string, string>>();

function cached(ctx: OnnxExportContext, key: string, make: () => string): string {
  let m = constCache.get(ctx);
  if (!m) constCache.set(ctx, (m = new Map()));
  let name = m.get(key);
  if (name === undefined) m.set(key, (name = make()));
  return name;
}

/** A 1-D int64 constant (shapes, axes, pads, slice bounds). */
export function constI64(ctx: OnnxExportContext, values: readonly number[], base = 'const'): string {
  return cached(ctx, `i64:${values.join(',')}`, () => ctx.addInitializer(base, int64Tensor('', [values.length], values)));
}

/** A 0-d int64 constant (a Gather index that drops the axis). */
export function scalarI64(ctx: OnnxExportContext, value: number, base = 'index'): string {
  return cached(ctx, `i64s:${value}`, () => ctx.addInitializer(base, int64Tensor('', [], [value])));
}

/** x[..., index, ...] on `axis`, dropping that axis. */
export function pick(ctx: OnnxExportContext, x: string, index: number, axis: number): string {
  return node(ctx, 'Gather', [x, scalarI64(ctx, index)], { axis: int(axis) });
}

/** A float32 constant, a scalar unless a shape is given. */
export function constF32(ctx: OnnxExportContext, values: readonly number[], shape: number[] = [], base = 'const'): string {
  return cached(ctx, `f32:${shape.join('x')}:${Array.from(Float32Array.from(values)).join(',')}`, () =>
    ctx.addInitializer(base, floatTensor('', shape, values)));
}

/** One-output node helper. */
export function node(ctx: OnnxExportContext, opType: string, inputs: string[], attributes?: Record<string, OnnxAttr>): string {
  return ctx.addNode({ opType, inputs, attributes })[0]!;
}

export function transpose(ctx: OnnxExportContext, x: string, perm: number[]): string {
  return node(ctx, 'Transpose', [x], { perm: ints(perm) });
}

/** Reshape to `shape` (0 copies the input's dim, -1 infers one), so a dynamic batch passes through. */
export function reshape(ctx: OnnxExportContext, x: string, shape: number[]): string {
  return node(ctx, 'Reshape', [x, constI64(ctx, shape, 'shape')]);
}

export function unsqueeze(ctx: OnnxExportContext, x: string, axes: number[]): string {
  return node(ctx, 'Unsqueeze', [x, constI64(ctx, axes, 'axes')]);
}

export function squeeze(ctx: OnnxExportContext, x: string, axes: number[]): string {
  return node(ctx, 'Squeeze', [x, constI64(ctx, axes, 'axes')]);
}

/**
 * ReduceMean/ReduceMax/...: axes are an attribute up to opset 17 and an input from 18
 * (ReduceSum moved at 13, so it always takes the input form here).
 */
export function reduce(ctx: OnnxExportContext, op: 'ReduceMean' | 'ReduceMax' | 'ReduceMin' | 'ReduceSum', x: string, axes: number[], keepdims: boolean): string {
  if (op === 'ReduceSum' || ctx.opset >= 18) {
    return node(ctx, op, [x, constI64(ctx, axes, 'axes')], { keepdims: int(keepdims ? 1 : 0) });
  }
  return node(ctx, op, [x], { axes: ints(axes), keepdims: int(keepdims ? 1 : 0) });
}

/** Slice along `axes` (ends may exceed the size; negative steps walk backwards). */
export function sliceOp(ctx: OnnxExportContext, x: string, starts: number[], ends: number[], axes: number[], steps?: number[]): string {
  const inputs = [x, constI64(ctx, starts, 'starts'), constI64(ctx, ends, 'ends'), constI64(ctx, axes, 'axes')];
  if (steps) inputs.push(constI64(ctx, steps, 'steps'));
  return node(ctx, 'Slice', inputs);
}

// Bounds for slicing "to the end" in either direction without knowing the size.
const INT64_MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Reverses axis `axis` (a dynamic length works: Slice clamps the bounds). */
export function reverseAxis(ctx: OnnxExportContext, x: string, axis: number): string {
  return sliceOp(ctx, x, [-1], [-INT64_MAX_SAFE], [axis], [-1]);
}

/** dims [start, end) of x's shape as a 1-D int64 value (Shape + Slice, valid from opset 13). */
export function shapeSlice(ctx: OnnxExportContext, x: string, start: number, end: number): string {
  const s = node(ctx, 'Shape', [x]);
  return sliceOp(ctx, s, [start], [end], [0]);
}

/** Concat along `axis`. */
export function concat(ctx: OnnxExportContext, xs: string[], axis: number): string {
  return node(ctx, 'Concat', xs, { axis: int(axis) });
}

/** Permutation taking channels-last [N, ...spatial, C] to channels-first [N, C, ...spatial]. */
export function toChannelsFirstPerm(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** Permutation taking channels-first back to channels-last. */
export function toChannelsLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** The exporter's side of {@link OnnxEmitter}: what op definitions use to state their ONNX form. */
export function emitter(ctx: OnnxExportContext): OnnxEmitter {
  return {
    opset: ctx.opset,
    node: (opType, inputs, attributes) => {
      const attrs: Record<string, OnnxAttr> = {};
      for (const [k, v] of Object.entries(attributes ?? {})) attrs[k] = typeof v === 'number' ? float(v) : typeof v === 'string' ? str(v) : int(v.int);
      return node(ctx, opType, inputs, attributes ? attrs : undefined);
    },
    constant: (value) => constF32(ctx, [value]),
  };
}

/**
 * Applies one of the library's activations, as its definition writes it. `axis` is where softmax
 * normalizes (the feature axis in the current layout; -1 for the usual channels-last data).
 */
export function activation(ctx: OnnxExportContext, x: string, name: ActivationName, axis = -1): string {
  return resolveActivation('exportOnnx', name).onnx(emitter(ctx), x, axis);
}
