import { activeAddon } from '../backend/backend';
import { nativeAddon, pack } from '../backend/binding';
import { isGradEnabled, record } from '../autograd/tape';
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { isDensePermutation } from '../tensor/shape';
import { Storage } from '../tensor/storage';
import { add, div, greater, greaterEqual, less, mul, sub } from './binary';
import { clipGradFromInput } from './relu-grad';
import { type Domain, type OpCheck, registerOp } from './registry';
import { erf as erfScalar, erfc as erfcScalar } from './special-functions';
import { type OnnxEmitter, type UnaryActivation, type UnaryOnnx, type UnaryParam, addUnaryEntry } from './unary-table';
import { where } from './where';
import { requireFloat, toTensor } from './util';
import { zerosLike } from './creation';

// Every elementwise op of one input, each defined once below: its float64 reference, its backward
// rule written with ops, how the registry test samples it, its ONNX operator (and the composite
// older opsets need) and, for activations, the names layers and ONNX recurrent ops know it by.
// Adding an op here is all the TypeScript side needs: src/index.ts re-exports this file, and the
// layers, the ONNX importer and the exporter read the table (src/ops/unary-table.ts) this file
// fills. The native kernel is found by name in the addon's `unaryOps`: it takes a line in
// native/kernels/elementwise/op_tables.h and a TF_UNARY_KERNEL in elementwise_body.cpp there.

type Ref = (x: number, p0: number, p1: number) => number;
type Backward = (g: Tensor, x: Tensor, y: Tensor, p0: number, p1: number) => Tensor;

/** How one unary op is written down. */
interface UnarySpec {
  /** float64 reference, the js backend's kernel and the native kernel's yardstick. */
  readonly ref: Ref;
  readonly backward: Backward;
  /** Where the registry test samples inputs (away from kinks; default 'any'). */
  readonly domain?: Domain;
  /** The kernel's p0, p1 (none by default). */
  readonly params?: readonly UnaryParam[];
  /** Rejects parameter combinations the op does not define (beyond each being a number). */
  readonly checkParams?: (fn: string, p0: number, p1: number) => void;
  readonly onnx?: UnaryOnnx;
  /** Present for ops that layers accept as `activation`. */
  readonly activation?: UnaryActivation;
  /** Registry checks beyond the standard shapes (other parameters, saturated ranges). */
  readonly checks?: readonly OpCheck[];
  /**
   * For step functions, whose jumps no domain avoids: the standard checks compare values only and
   * this maps the sampled inputs onto a band without a jump for the gradient check.
   */
  readonly gradBand?: (x: Tensor) => Tensor;
}

interface UnaryDef {
  name: string;
  ref: Ref;
  backward: Backward;
  params: readonly UnaryParam[];
  checkParams: ((fn: string, p0: number, p1: number) => void) | undefined;
  code: number;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

const step = (x: Tensor): Tensor => greater(x, 0);
const stableSigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const stableSoftplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

const stepBand = (x: Tensor): Tensor => add(mul(x, 0.2), 1.25);

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round takes halves up: -2.5 -> -2 (even already), 2.5 -> 3 (odd: back to 2).
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const specs = {
  neg: { onnx: { op: 'Neg' }, ref: (x) => -x, backward: (g) => neg(g) },
  exp: { onnx: { op: 'Exp' }, ref: Math.exp, backward: (g, _x, y) => mul(g, y) },
  log: { onnx: { op: 'Log' }, ref: Math.log, backward: (g, x) => div(g, x), domain: 'positive' },
  sqrt: { onnx: { op: 'Sqrt' }, ref: Math.sqrt, backward: (g, _x, y) => div(g, mul(y, 2)), domain: 'positive' },
  abs: { onnx: { op: 'Abs' }, ref: Math.abs, backward: (g, x) => mul(g, sign(x)), domain: 'awayFromZero' },
  relu: {
    onnx: { op: 'Relu' },
    activation: { rnn: 'Relu' },
    ref: (x) => (x > 0 ? x : x === x ? 0 : x),
    backward: (g, x) => {
      const mask = step(x);
      return maskedGrad(mul(g, mask), [mask]);
    },
    domain: 'awayFromZero',
  },
  leakyRelu: {
    params: [{ name: 'alpha', value: 0.2, onnxDefault: 0.01 }],
    onnx: { op: 'LeakyRelu' },
    activation: { aliases: ['leaky_relu'], rnn: 'LeakyRelu' },
    ref: (x, a) => (x > 0 ? x : a * x),
    backward: (g, x, _y, a) => mul(g, where(greater(x, 0), 1, a)),
    domain: 'awayFromZero',
    checks: [{ label: 'alpha 0.05', shapes: [[4, 7]], domain: 'awayFromZero', run: (x) => leakyRelu(x, 0.05) }],
  },
  sigmoid: {
    onnx: { op: 'Sigmoid' },
    activation: { rnn: 'Sigmoid' },
    ref: stableSigmoid,
    backward: (g, _x, y) => mul(g, mul(y, sub(1, y))),
  },
  tanh: { onnx: { op: 'Tanh' }, activation: { rnn: 'Tanh' }, ref: Math.tanh, backward: (g, _x, y) => mul(g, sub(1, mul(y, y))) },
  elu: {
    params: [{ name: 'alpha', value: 1 }],
    onnx: { op: 'Elu' },
    activation: { rnn: 'Elu' },
    ref: (x, a) => (x > 0 ? x : a * Math.expm1(x)),
    backward: (g, x, y, a) => mul(g, where(greater(x, 0), 1, add(y, a))),
    domain: 'awayFromZero',
    checks: [{ label: 'alpha 0.7', shapes: [[4, 7]], domain: 'awayFromZero', run: (x) => elu(x, 0.7) }],
  },
  gelu: {
    onnx: {
      op: 'Gelu',
      since: 20,
      fixed: { approximate: 'none' },
      // The exact erf form, as the library computes it.
      composite: (e, x) => e.node('Mul', [e.node('Mul', [x, e.constant(0.5)]),
        e.node('Add', [e.node('Erf', [e.node('Mul', [x, e.constant(SQRT1_2)])]), e.constant(1)])]),
    },
    activation: {},
    ref: (x) => 0.5 * x * erfcScalar(-x * SQRT1_2),
    backward: (g, x) => {
      const cdf = mul(add(erf(mul(x, SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(mul(x, x), -0.5)), INV_SQRT_2PI);
      return mul(g, add(cdf, mul(x, pdf)));
    },
  },
  softplus: {
    onnx: { op: 'Softplus' },
    activation: { rnn: 'Softplus' },
    ref: stableSoftplus,
    backward: (g, x) => mul(g, sigmoid(x)),
  },
  erf: {
    onnx: { op: 'Erf' },
    ref: erfScalar,
    backward: (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))),
  },
  sign: {
    onnx: { op: 'Sign' },
    ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
    backward: (g) => zerosLike(g),
    domain: 'awayFromZero',
  },
  sin: { onnx: { op: 'Sin' }, ref: Math.sin, backward: (g, x) => mul(g, cos(x)) },
  cos: { onnx: { op: 'Cos' }, ref: Math.cos, backward: (g, x) => neg(mul(g, sin(x))) },
  tan: { onnx: { op: 'Tan' }, ref: Math.tan, backward: (g, _x, y) => mul(g, add(mul(y, y), 1)), domain: 'unit' },
  asin: { onnx: { op: 'Asin' }, ref: Math.asin, backward: (g, x) => div(g, sqrt(sub(1, mul(x, x)))), domain: 'unit' },
  acos: { onnx: { op: 'Acos' }, ref: Math.acos, backward: (g, x) => neg(div(g, sqrt(sub(1, mul(x, x))))), domain: 'unit' },
  atan: { onnx: { op: 'Atan' }, ref: Math.atan, backward: (g, x) => div(g, add(mul(x, x), 1)) },
  sinh: { onnx: { op: 'Sinh' }, ref: Math.sinh, backward: (g, x) => mul(g, cosh(x)) },
  cosh: { onnx: { op: 'Cosh' }, ref: Math.cosh, backward: (g, x) => mul(g, sinh(x)) },
  // Piecewise constant: zero gradient, as PyTorch gives; the gradient is checked on [1.05, 1.45].
  floor: { onnx: { op: 'Floor' }, ref: Math.floor, backward: (g) => zerosLike(g), gradBand: stepBand },
  ceil: { onnx: { op: 'Ceil' }, ref: Math.ceil, backward: (g) => zerosLike(g), gradBand: stepBand },
  /** Halves to the even neighbour, as ONNX Round, NumPy and PyTorch round. */
  round: { onnx: { op: 'Round', since: 11 }, ref: roundHalfEven, backward: (g) => zerosLike(g), gradBand: stepBand },
  square: {
    onnx: { composite: (e, x) => e.node('Mul', [x, x]) },
    ref: (x) => x * x,
    backward: (g, x) => mul(g, mul(x, 2)),
  },
  reciprocal: {
    onnx: { op: 'Reciprocal' },
    ref: (x) => 1 / x,
    backward: (g, _x, y) => neg(mul(g, mul(y, y))),
    domain: 'positive',
  },
  clip: {
    // No defaults: these are the registry check's bounds; ONNX's are +-Infinity.
    params: [{ name: 'min', value: -0.5, onnxDefault: -Infinity, infinite: true }, { name: 'max', value: 0.7, onnxDefault: Infinity, infinite: true }],
    checkParams: (fn, lo, hi) => {
      if (lo > hi) argError(fn, 'min', `a value <= max (${hi})`, String(lo));
    },
    // Bounds are scalar inputs from opset 11 (attributes before, which the importer also reads).
    onnx: { op: 'Clip', paramsAs: 'inputs' },
    ref: (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x),
    // g where lo <= x <= hi, else 0: one native select (a NaN in g outside the range gives 0).
    backward: (g, x, _y, lo, hi) => clipGradFromInput(g, x, lo, hi),
    domain: 'awayFromZero',
  },
  hardSwish: {
    onnx: {
      op: 'HardSwish',
      since: 14,
      // ONNX's own definition: x * HardSigmoid(x) with alpha 1/6, beta 1/2.
      composite: (e, x) => e.node('Mul', [x, e.node('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 })]),
    },
    activation: { aliases: ['hard_swish', 'hard_silu', 'hardSilu'] },
    ref: (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6,
    // 0 below -3, 1 above 3, (2x + 3) / 6 between.
    backward: (g, x) => mul(g, where(greaterEqual(x, 3), 1, mul(add(mul(x, 1 / 3), 0.5), greater(x, -3)))),
    // Kinks at +-3: the default range stays inside; the saturated ranges are checked without gradients.
    checks: [{ label: 'saturated', shapes: [[64]], grad: false, run: (x) => hardSwish(mul(x, 3)) }],
  },
  mish: {
    onnx: {
      op: 'Mish',
      since: 18,
      composite: (e, x) => e.node('Mul', [x, e.node('Tanh', [e.node('Softplus', [x])])]),
    },
    activation: {},
    ref: (x) => x * Math.tanh(stableSoftplus(x)),
    // tanh(sp(x)) + x sigmoid(x) (1 - tanh(sp(x))^2)
    backward: (g, x) => {
      const t = tanh(softplus(x));
      return mul(g, add(t, mul(mul(x, sigmoid(x)), sub(1, mul(t, t)))));
    },
    checks: [{ label: 'wide', shapes: [[64]], grad: false, run: (x) => mish(mul(x, 10)) }],
  },
  softsign: {
    onnx: { op: 'Softsign' },
    activation: { rnn: 'Softsign' },
    ref: (x) => x / (1 + Math.abs(x)),
    backward: (g, x) => {
      const d = add(abs(x), 1);
      return div(g, mul(d, d));
    },
    domain: 'awayFromZero',
  },
  hardSigmoid: {
    params: [{ name: 'alpha', value: 0.2 }, { name: 'beta', value: 0.5 }],
    onnx: { op: 'HardSigmoid' },
    activation: { aliases: ['hard_sigmoid'], rnn: 'HardSigmoid' },
    ref: (x, a, b) => Math.max(0, Math.min(1, a * x + b)),
    // alpha inside the linear part, 0 where the output is clipped.
    backward: (g, x, _y, a, b) => {
      const z = add(mul(x, a), b);
      return mul(g, mul(mul(greater(z, 0), less(z, 1)), a));
    },
    // Kinks at +-2.5 with the defaults: the default range stays inside.
    checks: [
      { label: 'alpha 0.15, beta 0.55', shapes: [[4, 7]], run: (x) => hardSigmoid(x, 0.15, 0.55) },
      { label: 'saturated', shapes: [[64]], grad: false, run: (x) => hardSigmoid(mul(x, 3)) },
    ],
  },
  selu: {
    params: [{ name: 'alpha', value: SELU_ALPHA }, { name: 'gamma', value: SELU_GAMMA }],
    onnx: { op: 'Selu' },
    activation: {},
    ref: (x, a, s) => (x > 0 ? s * x : s * a * Math.expm1(x)),
    // gamma above 0, gamma alpha e^x = y + gamma alpha below.
    backward: (g, x, y, a, s) => mul(g, where(greater(x, 0), s, add(y, a * s))),
    domain: 'awayFromZero',
    checks: [{ label: 'alpha 1.2, gamma 0.9', shapes: [[4, 7]], domain: 'awayFromZero', run: (x) => opWith('selu', x, 1.2, 0.9) }],
  },
  silu: {
    // No ONNX operator up to opset 21 (Swish arrives in 24).
    onnx: { composite: (e, x) => e.node('Mul', [x, e.node('Sigmoid', [x])]) },
    activation: { name: 'swish', aliases: ['silu'] },
    ref: (x) => x * stableSigmoid(x),
    // sigmoid(x) (1 + x (1 - sigmoid(x)))
    backward: (g, x) => {
      const s = sigmoid(x);
      return mul(g, mul(s, add(mul(x, sub(1, s)), 1)));
    },
  },
} as const satisfies Record<string, UnarySpec>;

type Specs = typeof specs;
type ActivationOf<K, S> = S extends { readonly activation: infer A } ? (A extends { readonly name: infer N extends string } ? N : K) : never;

/** The activation names unary ops give layers (see ActivationName). */
export type UnaryActivationName = { [K in keyof Specs]: ActivationOf<K, Specs[K]> }[keyof Specs];

// Codes come from the addon even when the js backend is active, so switching needs no re-registration.
function activeAddonCodes(): string[] {
  return nativeAddon()?.unaryOps ?? [];
}

function define(name: string, spec: UnarySpec): UnaryDef {
  const params = spec.params ?? [];
  const def: UnaryDef = { name, ref: spec.ref, backward: spec.backward, params, checkParams: spec.checkParams, code: activeAddonCodes().indexOf(name) };
  const domain = spec.domain ?? 'any';
  const run = (x: Tensor): Tensor => call(def, x);
  const band = spec.gradBand;
  const grad = band ? false : undefined;
  registerOp({
    name,
    onnx: spec.onnx?.op ?? null,
    kind: 'kernel',
    native: def.code >= 0,
    differentiable: true,
    checks: [
      { shapes: [[2, 3, 5]], domain, run, grad },
      { label: 'scalar', shapes: [[]], domain, run, grad },
      { label: 'empty', shapes: [[0, 3]], domain, run, grad },
      { label: 'long', shapes: [[1031]], domain, grad: false, run },
      ...(band ? [{ label: 'gradient between jumps', shapes: [[2, 3, 5]], domain: 'unit' as const, run: (x: Tensor) => run(band(x)) }] : []),
      ...(spec.checks ?? []),
    ],
  });
  addUnaryEntry({ name, params, apply: (x, p0, p1) => call(def, x, p0, p1), onnx: spec.onnx ?? null, activation: spec.activation ?? null });
  return def;
}

const defs = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, define(name, spec)])) as Record<keyof Specs, UnaryDef>;

/** Fills in defaults and checks the parameters, then runs the op. */
/**
 * `grad`, after handing the masks it was computed from back to the buffer pool when nothing recorded
 * them (a backward pass runs under noGrad). Left to the pass's end, every activation's masks of a
 * training step were alive at once, each a fresh allocation of the activation's size: MobileNetV2's
 * ReLU6 backward at batch 8 (three 38 MB masks per layer) spent most of its time faulting in pages.
 */
function maskedGrad(grad: Tensor, masks: readonly Tensor[]): Tensor {
  if (!isGradEnabled()) for (const m of masks) m.dispose();
  return grad;
}

function call(def: UnaryDef, x: Tensor | number, p0?: number, p1?: number): Tensor {
  const values = [p0, p1];
  const given = def.params.map((p, i) => {
    const v = values[i] ?? p.value;
    checkFinite(def.name, p.name, v, p.infinite ?? false);
    return v;
  });
  def.checkParams?.(def.name, given[0] ?? 0, given[1] ?? 0);
  return unaryOp(def, x, given[0] ?? 0, given[1] ?? 0);
}

/** An op by name with explicit parameters (for checks of parameters its public function fixes). */
function opWith(name: string, x: Tensor, p0: number, p1: number): Tensor {
  return call(defs[name as keyof Specs], x, p0, p1);
}

function unaryOp(def: UnaryDef, xIn: Tensor | number, p0: number, p1: number): Tensor {
  const x = toTensor(def.name, 'x', xIn);
  requireFloat(def.name, 'x', x);
  // A transposed view of dense data (conv outputs seen channels-first) is processed in memory
  // order and the result keeps its strides: no transposing copy in, and the next op (a pool, a
  // conv) still finds its preferred layout.
  const keepLayout = !x.isContiguous && isDensePermutation(x.shape, x.strides);
  const xc = keepLayout ? x : x.contiguousCopy();
  const out = keepLayout
    ? new Tensor(Storage.allocate('float32', x.size), x.shape.slice(), x.strides.slice(), 0, 'float32')
    : Tensor.empty(x.shape, 'float32');
  const addon = activeAddon();
  const xd = xc.buffer;
  const yd = out.buffer;
  if (addon && def.code >= 0) {
    addon.unary(def.code, xd as Float32Array, yd as Float32Array, pack.unary({ xOffset: xc.offset, yOffset: 0, n: out.size, p0, p1 }));
  } else {
    const f = def.ref;
    const o = xc.offset;
    for (let i = 0; i < out.size; i++) yd[i] = f(xd[o + i]!, p0, p1);
  }
  return record(out, def.name, [x], (g) => [def.backward(g, x, out, p0, p1)]);
}

/** -x */
export function neg(x: Tensor | number): Tensor {
  return call(defs.neg, x);
}
/** e^x */
export function exp(x: Tensor | number): Tensor {
  return call(defs.exp, x);
}
/** Natural logarithm (NaN below 0, -Infinity at 0). */
export function log(x: Tensor | number): Tensor {
  return call(defs.log, x);
}
export function sqrt(x: Tensor | number): Tensor {
  return call(defs.sqrt, x);
}
export function abs(x: Tensor | number): Tensor {
  return call(defs.abs, x);
}
/** max(x, 0); NaN stays NaN. */
export function relu(x: Tensor | number): Tensor {
  return call(defs.relu, x);
}
/** x for x > 0, alpha * x otherwise (alpha defaults to 0.2, as in tfjs). */
export function leakyRelu(x: Tensor | number, alpha?: number): Tensor {
  return call(defs.leakyRelu, x, alpha);
}
/** 1 / (1 + e^-x), computed without overflow. */
export function sigmoid(x: Tensor | number): Tensor {
  return call(defs.sigmoid, x);
}
export function tanh(x: Tensor | number): Tensor {
  return call(defs.tanh, x);
}
/** x for x > 0, alpha * (e^x - 1) otherwise (alpha defaults to 1). */
export function elu(x: Tensor | number, alpha?: number): Tensor {
  return call(defs.elu, x, alpha);
}
/** Exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). */
export function gelu(x: Tensor | number): Tensor {
  return call(defs.gelu, x);
}
/** log(1 + e^x), computed stably for large |x|. */
export function softplus(x: Tensor | number): Tensor {
  return call(defs.softplus, x);
}
/** The Gauss error function. */
export function erf(x: Tensor | number): Tensor {
  return call(defs.erf, x);
}
/** -1, 0 or 1 by the sign of x (NaN stays NaN). */
export function sign(x: Tensor | number): Tensor {
  return call(defs.sign, x);
}
/** Elementwise sine (radians). */
export function sin(x: Tensor | number): Tensor {
  return call(defs.sin, x);
}
/** Elementwise cosine (radians). */
export function cos(x: Tensor | number): Tensor {
  return call(defs.cos, x);
}
/** Elementwise tangent (radians). */
export function tan(x: Tensor | number): Tensor {
  return call(defs.tan, x);
}
/** Elementwise arcsine: NaN outside [-1, 1]. */
export function asin(x: Tensor | number): Tensor {
  return call(defs.asin, x);
}
/** Elementwise arccosine: NaN outside [-1, 1]. */
export function acos(x: Tensor | number): Tensor {
  return call(defs.acos, x);
}
/** Elementwise arctangent. */
export function atan(x: Tensor | number): Tensor {
  return call(defs.atan, x);
}
/** Elementwise hyperbolic sine. */
export function sinh(x: Tensor | number): Tensor {
  return call(defs.sinh, x);
}
/** Elementwise hyperbolic cosine. */
export function cosh(x: Tensor | number): Tensor {
  return call(defs.cosh, x);
}
/** Elementwise largest integer <= x (gradient 0). */
export function floor(x: Tensor | number): Tensor {
  return call(defs.floor, x);
}
/** Elementwise smallest integer >= x (gradient 0). */
export function ceil(x: Tensor | number): Tensor {
  return call(defs.ceil, x);
}
/** Elementwise nearest integer, halves to even (ONNX Round, numpy.round; gradient 0). */
export function round(x: Tensor | number): Tensor {
  return call(defs.round, x);
}
export function square(x: Tensor | number): Tensor {
  return call(defs.square, x);
}
export function reciprocal(x: Tensor | number): Tensor {
  return call(defs.reciprocal, x);
}
/** Limits values to [min, max]; NaN stays NaN. */
export function clip(x: Tensor | number, min: number, max: number): Tensor {
  if (min === undefined) argError('clip', 'min', 'a number', 'undefined');
  if (max === undefined) argError('clip', 'max', 'a number', 'undefined');
  return call(defs.clip, x, min, max);
}
/** tfjs name of {@link clip}. */
export const clipByValue = clip;
/** Hard swish (MobileNetV3): x * clip(x + 3, 0, 6) / 6. */
export function hardSwish(x: Tensor | number): Tensor {
  return call(defs.hardSwish, x);
}
/** Mish: x * tanh(softplus(x)). */
export function mish(x: Tensor | number): Tensor {
  return call(defs.mish, x);
}
/** x / (1 + |x|). */
export function softsign(x: Tensor | number): Tensor {
  return call(defs.softsign, x);
}
/** max(0, min(1, alpha * x + beta)); the defaults 0.2 and 0.5 are tfjs's (and ONNX's). */
export function hardSigmoid(x: Tensor | number, alpha?: number, beta?: number): Tensor {
  return call(defs.hardSigmoid, x, alpha, beta);
}
/** Scaled ELU with the self-normalizing constants: gamma * (x > 0 ? x : alpha * (e^x - 1)). */
export function selu(x: Tensor | number): Tensor {
  return call(defs.selu, x);
}
/** SiLU, also called swish: x * sigmoid(x). */
export function silu(x: Tensor | number): Tensor {
  return call(defs.silu, x);
}

function checkFinite(fn: string, arg: string, v: unknown, allowInfinite = false): void {
  if (typeof v !== 'number' || Number.isNaN(v) || (!allowInfinite && !Number.isFinite(v))) {
    argError(fn, arg, allowInfinite ? 'a number' : 'a finite number', describe(v));
  }
}
