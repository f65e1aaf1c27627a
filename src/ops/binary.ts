import { activeAddon } from '../backend/backend';
import { nativeAddon, pack } from '../backend/binding';
import { record } from '../autograd/tape';
import type { DType } from '../tensor/dtype';
import { broadcastShapes, broadcastStrides, isDensePermutation, shapesEqual } from '../tensor/shape';
import { Storage } from '../tensor/storage';
import { Tensor } from '../tensor/tensor';
import { cast } from './cast';
import { sumTo } from './reduce';
import { type Domain, registerOp } from './registry';
import { log } from './unary';
import { forEachRow, lastStride, toTensor } from './util';

type Ref = (a: number, b: number) => number;
type Backward = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];

interface BinaryDef {
  name: string;
  onnx: string;
  ref: Ref;
  backward: Backward | null;
  /** int32 op int32 stays int32 (add, sub, mul, maximum, minimum); otherwise the result is float32. */
  keepsInt: boolean;
  code: number;
}

const codes = nativeAddon()?.binaryOps ?? [];

/**
 * Inputs remapped for an op's finite-difference check: ops with jumps (the modulo ops) check their
 * gradient only on a band of inputs that crosses none, and their other checks compare values only.
 */
type GradBand = (a: Tensor, b: Tensor) => [Tensor, Tensor];

function define(name: string, onnx: string, ref: Ref, backward: Backward | null, keepsInt: boolean, domain: Domain = 'any',
  gradBand?: GradBand): BinaryDef {
  const def: BinaryDef = { name, onnx, ref, backward, keepsInt, code: codes.indexOf(name) };
  const run = (a: Tensor, b: Tensor): Tensor => binaryOp(def, a, b);
  const grad = gradBand ? false : undefined;
  registerOp({
    name,
    onnx,
    kind: 'kernel',
    native: def.code >= 0,
    differentiable: backward !== null,
    checks: [
      { label: 'same shape', shapes: [[3, 4], [3, 4]], domain, run, grad },
      { label: 'row broadcast', shapes: [[2, 3, 5], [5]], domain, run, grad },
      { label: 'row broadcast first', shapes: [[7], [3, 9, 7]], domain, run, grad },
      // Channels-last pixels times a per-channel row: blocks of 42 rows and a partial one.
      { label: 'many short rows', shapes: [[2, 40, 24], [1, 1, 24]], domain, run, grad: false },
      { label: 'column broadcast', shapes: [[4, 1], [4, 6]], domain, run, grad },
      { label: 'both broadcast', shapes: [[2, 1, 3], [1, 4, 1]], domain, run, grad },
      { label: 'scalar', shapes: [[3, 2], []], domain, run, grad },
      { label: 'rank 0', shapes: [[], []], domain, run, grad },
      { label: 'empty', shapes: [[0, 3], [1, 3]], domain, run, grad },
      { label: 'long', shapes: [[2, 1031], [2, 1031]], domain, run, grad: false },
      ...(gradBand
        ? [{ label: 'gradient between jumps', shapes: [[3, 4], [4]], domain, run: (a: Tensor, b: Tensor) => run(...gradBand(a, b)) }]
        : []),
      ...(keepsInt
        ? [{ label: 'int32', shapes: [[3, 4], [4]], dtypes: ['int32', 'int32'] as DType[], intRange: [-9, 10] as [number, number], run }]
        : []),
    ],
  });
  return def;
}

function binaryOp(def: BinaryDef, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  // A plain number takes the other side's dtype, so `add(intTensor, 1)` stays int32.
  const aDtype: DType = !(aIn instanceof Tensor) && bIn instanceof Tensor && Number.isInteger(aIn) ? bIn.dtype : 'float32';
  const bDtype: DType = !(bIn instanceof Tensor) && aIn instanceof Tensor && Number.isInteger(bIn) ? aIn.dtype : 'float32';
  let a = toTensor(def.name, 'a', aIn, aDtype);
  let b = toTensor(def.name, 'b', bIn, bDtype);
  const intResult = def.keepsInt && a.dtype === 'int32' && b.dtype === 'int32';
  if (!intResult) {
    if (a.dtype !== 'float32') a = cast(a, 'float32');
    if (b.dtype !== 'float32') b = cast(b, 'float32');
  }
  const same = shapesEqual(a.shape, b.shape);
  const shape = same ? a.shape.slice() : broadcastShapes(def.name, a.shape, b.shape);
  const layout = keptLayout(a, b, shape);
  if (layout && !intResult) return binaryInLayout(def, a, b, layout);
  const out = Tensor.empty(shape, intResult ? 'int32' : 'float32');
  const aView = same ? a : { offset: a.offset, strides: broadcastStrides(a.shape, a.strides, shape) };
  const bView = same ? b : { offset: b.offset, strides: broadcastStrides(b.shape, b.strides, shape) };
  const addon = activeAddon();
  if (addon && !intResult && def.code >= 0) {
    addon.binary(def.code, a.buffer as Float32Array, b.buffer as Float32Array, out.buffer as Float32Array, pack.binary({
      ndim: shape.length, aOffset: aView.offset, bOffset: bView.offset, shape, aStrides: aView.strides, bStrides: bView.strides,
    }));
  } else {
    const f = def.ref;
    const ad = a.buffer;
    const bd = b.buffer;
    const od = out.buffer;
    const len = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    const sa = lastStride(aView.strides);
    const sb = lastStride(bView.strides);
    let o = 0;
    forEachRow(shape, [aView, bView], ([ao, bo]) => {
      for (let j = 0; j < len; j++) od[o++] = f(ad[ao! + j * sa]!, bd[bo! + j * sb]!);
    });
  }
  const backward = def.backward;
  if (!backward) return out;
  return record(out, def.name, [a, b], (g) => {
    const [ga, gb] = backward(g, a, b, out);
    return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
  });
}

/**
 * The strides an elementwise result keeps: those of a transposed view of dense data (a conv's
 * channels-last output seen channels-first) when the other operand has the same strides or is one
 * element, so the op runs as one flat pass in memory order and its result (and the gradients that
 * flow back through it) stay in that layout, with no transposing walk. null: the usual contiguous
 * result.
 */
function keptLayout(a: Tensor, b: Tensor, shape: readonly number[]): readonly number[] | null {
  const pick = (x: Tensor, y: Tensor): readonly number[] | null => {
    if (x.isContiguous || x.size < 2 || !shapesEqual(x.shape, shape) || !isDensePermutation(x.shape, x.strides)) return null;
    if (y.size === 1) return x.strides;
    const sameStrides = shapesEqual(y.shape, shape) && y.strides.every((st, i) => st === x.strides[i] || shape[i] === 1);
    return sameStrides ? x.strides : null;
  };
  return pick(a, b) ?? pick(b, a);
}

/** {@link binaryOp} as one flat pass over dense data in memory order, the result with `strides`. */
function binaryInLayout(def: BinaryDef, a: Tensor, b: Tensor, strides: readonly number[]): Tensor {
  const size = a.size === 1 ? b.size : a.size;
  const shape = a.size === 1 ? b.shape : a.shape;
  const out = new Tensor(Storage.allocate('float32', size), shape.slice(), strides.slice(), 0, 'float32');
  const addon = activeAddon();
  const sa = a.size === 1 && size > 1 ? 0 : 1;
  const sb = b.size === 1 && size > 1 ? 0 : 1;
  if (addon && def.code >= 0) {
    addon.binary(def.code, a.buffer as Float32Array, b.buffer as Float32Array, out.buffer as Float32Array, pack.binary({
      ndim: 1, aOffset: a.offset, bOffset: b.offset, shape: [size], aStrides: [sa], bStrides: [sb],
    }));
  } else {
    const f = def.ref;
    const ad = a.buffer;
    const bd = b.buffer;
    const od = out.buffer;
    for (let i = 0; i < size; i++) od[i] = f(ad[a.offset + i * sa]!, bd[b.offset + i * sb]!);
  }
  const backward = def.backward;
  if (!backward) return out;
  return record(out, def.name, [a, b], (g) => {
    const [ga, gb] = backward(g, a, b, out);
    return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
  });
}

const bool = (c: boolean): number => (c ? 1 : 0);

const addDef = define('add', 'Add', (a, b) => a + b, (g) => [g, g], true);
const subDef = define('sub', 'Sub', (a, b) => a - b, (g) => [g, neg1(g)], true);
const mulDef = define('mul', 'Mul', (a, b) => a * b, (g, a, b) => [mul(g, b), mul(g, a)], true);
const divDef = define('div', 'Div', (a, b) => a / b, (g, _a, b, y) => [div(g, b), mul(div(g, b), mul(y, -1))], false, 'positive');
/**
 * IEEE 754 / C pow, which Math.pow departs from in two places: pow(1, y) is 1 for every y (NaN
 * included) and pow(-1, ±Infinity) is 1; Math.pow gives NaN for both. The native kernel follows C.
 */
function ieeePow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

const powDef = define(
  'pow',
  'Pow',
  ieeePow,
  (g, a, b, y) => [mul(g, mul(b, pow(a, sub(b, 1)))), mul(g, mul(y, log(a)))],
  false,
  'positive',
);
/** Floor modulo (the sign of the divisor), as Python's %, torch.remainder and tf.math.floormod. */
function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}
// a - floor(a / b) * b and a - trunc(a / b) * b: d/da = 1, d/db = -floor(a / b) = (y - a) / b.
const modBackward: Backward = (g, a, b, y) => [g, mul(g, div(sub(y, a), b))];
// Values over [-2, 2] (signs of both operands); the gradient on a in [3.15, 3.45] (or its negative
// for fmod) and b in [1.005, 1.02], where a / b stays inside (3, 3.5) and the quotient is 3.
const modBand: GradBand = (a, b) => [add(mul(a, 0.2), 3.05), add(mul(b, 0.01), 1)];
const modDef = define('mod', 'Mod', floorMod, modBackward, true, 'any', modBand);
const fmodDef = define('fmod', 'Mod+fmod', (a, b) => a % b, modBackward, true, 'any', (a, b) => {
  const [x, y] = modBand(a, b);
  return [mul(x, -1), y];
});
const maximumDef = define(
  'maximum',
  'Max',
  (a, b) => (a !== a || b !== b ? NaN : a >= b ? a : b),
  (g, a, b) => [mul(g, greaterEqual(a, b)), mul(g, less(a, b))],
  true,
);
const minimumDef = define(
  'minimum',
  'Min',
  (a, b) => (a !== a || b !== b ? NaN : a <= b ? a : b),
  (g, a, b) => [mul(g, lessEqual(a, b)), mul(g, greater(a, b))],
  true,
);
const equalDef = define('equal', 'Equal', (a, b) => bool(a === b), null, false);
const notEqualDef = define('notEqual', 'Equal+Not', (a, b) => bool(a !== b), null, false);
const greaterDef = define('greater', 'Greater', (a, b) => bool(a > b), null, false);
const greaterEqualDef = define('greaterEqual', 'GreaterOrEqual', (a, b) => bool(a >= b), null, false);
const lessDef = define('less', 'Less', (a, b) => bool(a < b), null, false);
const lessEqualDef = define('lessEqual', 'LessOrEqual', (a, b) => bool(a <= b), null, false);

function neg1(g: Tensor): Tensor {
  return mul(g, -1);
}

/** Elementwise a + b with NumPy broadcasting. */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(addDef, a, b);
}
/** Elementwise a - b with NumPy broadcasting. */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(subDef, a, b);
}
/** Elementwise a * b with NumPy broadcasting. */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(mulDef, a, b);
}
/** Elementwise true division a / b (float32 result, even for int32 inputs). */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(divDef, a, b);
}
/** Elementwise a ** b (float32). */
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(powDef, a, b);
}
/**
 * Elementwise remainder of a / b with the sign of b (floor modulo: Python's %, torch.remainder,
 * tf.math.floormod, ONNX Mod with fmod = 0). int32 inputs give int32.
 */
export function mod(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(modDef, a, b);
}
/**
 * Elementwise remainder of a / b with the sign of a (C fmod: torch.fmod, ONNX Mod with fmod = 1).
 * int32 inputs give int32.
 */
export function fmod(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(fmodDef, a, b);
}
/** Elementwise larger of a and b; NaN if either is NaN. */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(maximumDef, a, b);
}
/** Elementwise smaller of a and b; NaN if either is NaN. */
export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(minimumDef, a, b);
}
/** 1 where a == b, else 0 (float32). */
export function equal(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(equalDef, a, b);
}
/** 1 where a != b (and where either is NaN), else 0 (float32). */
export function notEqual(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(notEqualDef, a, b);
}
/** 1 where a > b, else 0 (float32). */
export function greater(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(greaterDef, a, b);
}
/** 1 where a >= b, else 0 (float32). */
export function greaterEqual(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(greaterEqualDef, a, b);
}
/** 1 where a < b, else 0 (float32). */
export function less(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(lessDef, a, b);
}
/** 1 where a <= b, else 0 (float32). */
export function lessEqual(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp(lessEqualDef, a, b);
}
