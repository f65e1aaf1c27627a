import { activeAddon } from '../backend/backend';
import { nativeAddon, pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { isDensePermutation } from '../tensor/shape';
import { Storage } from '../tensor/storage';
import { add, div, greater, greaterEqual, lessEqual, mul, sub } from './binary';
import { type Domain, registerOp } from './registry';
import { erf as erfScalar, erfc as erfcScalar } from './special-functions';
import { where } from './where';
import { requireFloat, toTensor } from './util';
import { zerosLike } from './creation';

type Ref = (x: number, p0: number, p1: number) => number;
type Backward = (g: Tensor, x: Tensor, y: Tensor, p0: number, p1: number) => Tensor;

interface UnaryDef {
  name: string;
  onnx: string;
  ref: Ref;
  backward: Backward;
  domain: Domain;
  code: number;
}

const defs = new Map<string, UnaryDef>();
const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function define(name: string, onnx: string, ref: Ref, backward: Backward, domain: Domain = 'any'): UnaryDef {
  const codes = activeAddonCodes();
  const def: UnaryDef = { name, onnx, ref, backward, domain, code: codes.indexOf(name) };
  defs.set(name, def);
  registerOp({
    name,
    onnx,
    kind: 'kernel',
    native: def.code >= 0,
    differentiable: true,
    checks: [
      { shapes: [[2, 3, 5]], domain, run: (x) => unaryOp(def, x, ...defaultParams(name)) },
      { label: 'scalar', shapes: [[]], domain, run: (x) => unaryOp(def, x, ...defaultParams(name)) },
      { label: 'empty', shapes: [[0, 3]], domain, run: (x) => unaryOp(def, x, ...defaultParams(name)) },
      { label: 'long', shapes: [[1031]], domain, grad: false, run: (x) => unaryOp(def, x, ...defaultParams(name)) },
    ],
  });
  return def;
}

function defaultParams(name: string): [number, number] {
  if (name === 'leakyRelu') return [0.2, 0];
  if (name === 'elu') return [1, 0];
  if (name === 'clip') return [-0.5, 0.7];
  return [0, 0];
}

// Codes come from the addon even when the js backend is active, so switching needs no re-registration.
function activeAddonCodes(): string[] {
  return nativeAddon()?.unaryOps ?? [];
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

const step = (x: Tensor): Tensor => greater(x, 0);

const negDef = define('neg', 'Neg', (x) => -x, (g) => neg(g));
const expDef = define('exp', 'Exp', Math.exp, (g, _x, y) => mul(g, y));
const logDef = define('log', 'Log', Math.log, (g, x) => div(g, x), 'positive');
const sqrtDef = define('sqrt', 'Sqrt', Math.sqrt, (g, _x, y) => div(g, mul(y, 2)), 'positive');
const absDef = define('abs', 'Abs', Math.abs, (g, x) => mul(g, sign(x)), 'awayFromZero');
const reluDef = define('relu', 'Relu', (x) => (x > 0 ? x : x === x ? 0 : x), (g, x) => mul(g, step(x)), 'awayFromZero');
const leakyReluDef = define(
  'leakyRelu',
  'LeakyRelu',
  (x, a) => (x > 0 ? x : a * x),
  (g, x, _y, a) => mul(g, where(greater(x, 0), 1, a)),
  'awayFromZero',
);
const sigmoidDef = define(
  'sigmoid',
  'Sigmoid',
  (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  (g, _x, y) => mul(g, mul(y, sub(1, y))),
);
const tanhDef = define('tanh', 'Tanh', Math.tanh, (g, _x, y) => mul(g, sub(1, mul(y, y))));
const eluDef = define(
  'elu',
  'Elu',
  (x, a) => (x > 0 ? x : a * Math.expm1(x)),
  (g, x, y, a) => mul(g, where(greater(x, 0), 1, add(y, a))),
  'awayFromZero',
);
const geluDef = define(
  'gelu',
  'Gelu',
  (x) => 0.5 * x * erfcScalar(-x * SQRT1_2),
  (g, x) => {
    const cdf = mul(add(erf(mul(x, SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x, x), -0.5)), INV_SQRT_2PI);
    return mul(g, add(cdf, mul(x, pdf)));
  },
);
const softplusDef = define(
  'softplus',
  'Softplus',
  (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  (g, x) => mul(g, sigmoid(x)),
);
const erfDef = define('erf', 'Erf', erfScalar, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
const signDef = define('sign', 'Sign', (x) => (x > 0 ? 1 : x < 0 ? -1 : x), (g) => zerosLike(g), 'awayFromZero');
const squareDef = define('square', 'Mul', (x) => x * x, (g, x) => mul(g, mul(x, 2)));
const reciprocalDef = define('reciprocal', 'Reciprocal', (x) => 1 / x, (g, _x, y) => neg(mul(g, mul(y, y))), 'positive');
const clipDef = define(
  'clip',
  'Clip',
  (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x),
  (g, x, _y, lo, hi) => mul(g, mul(greaterEqual(x, lo), lessEqual(x, hi))),
  'awayFromZero',
);

/** -x */
export function neg(x: Tensor | number): Tensor {
  return unaryOp(negDef, x, 0, 0);
}
/** e^x */
export function exp(x: Tensor | number): Tensor {
  return unaryOp(expDef, x, 0, 0);
}
/** Natural logarithm (NaN below 0, -Infinity at 0). */
export function log(x: Tensor | number): Tensor {
  return unaryOp(logDef, x, 0, 0);
}
export function sqrt(x: Tensor | number): Tensor {
  return unaryOp(sqrtDef, x, 0, 0);
}
export function abs(x: Tensor | number): Tensor {
  return unaryOp(absDef, x, 0, 0);
}
/** max(x, 0); NaN stays NaN. */
export function relu(x: Tensor | number): Tensor {
  return unaryOp(reluDef, x, 0, 0);
}
/** x for x > 0, alpha * x otherwise (alpha defaults to 0.2, as in tfjs). */
export function leakyRelu(x: Tensor | number, alpha = 0.2): Tensor {
  checkFinite('leakyRelu', 'alpha', alpha);
  return unaryOp(leakyReluDef, x, alpha, 0);
}
/** 1 / (1 + e^-x), computed without overflow. */
export function sigmoid(x: Tensor | number): Tensor {
  return unaryOp(sigmoidDef, x, 0, 0);
}
export function tanh(x: Tensor | number): Tensor {
  return unaryOp(tanhDef, x, 0, 0);
}
/** x for x > 0, alpha * (e^x - 1) otherwise. */
export function elu(x: Tensor | number, alpha = 1): Tensor {
  checkFinite('elu', 'alpha', alpha);
  return unaryOp(eluDef, x, alpha, 0);
}
/** Exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). */
export function gelu(x: Tensor | number): Tensor {
  return unaryOp(geluDef, x, 0, 0);
}
/** log(1 + e^x), computed stably for large |x|. */
export function softplus(x: Tensor | number): Tensor {
  return unaryOp(softplusDef, x, 0, 0);
}
/** The Gauss error function. */
export function erf(x: Tensor | number): Tensor {
  return unaryOp(erfDef, x, 0, 0);
}
/** -1, 0 or 1 by the sign of x (NaN stays NaN). */
export function sign(x: Tensor | number): Tensor {
  return unaryOp(signDef, x, 0, 0);
}
export function square(x: Tensor | number): Tensor {
  return unaryOp(squareDef, x, 0, 0);
}
export function reciprocal(x: Tensor | number): Tensor {
  return unaryOp(reciprocalDef, x, 0, 0);
}
/** Limits values to [min, max]; NaN stays NaN. */
export function clip(x: Tensor | number, min: number, max: number): Tensor {
  checkFinite('clip', 'min', min, true);
  checkFinite('clip', 'max', max, true);
  if (min > max) argError('clip', 'min', `a value <= max (${max})`, String(min));
  return unaryOp(clipDef, x, min, max);
}
/** tfjs name of {@link clip}. */
export const clipByValue = clip;

function checkFinite(fn: string, arg: string, v: unknown, allowInfinite = false): void {
  if (typeof v !== 'number' || Number.isNaN(v) || (!allowInfinite && !Number.isFinite(v))) {
    argError(fn, arg, allowInfinite ? 'a number' : 'a finite number', describe(v));
  }
}

/** @internal names of the unary ops and their definitions, for the ONNX exporter */
export function unaryDefs(): ReadonlyMap<string, { onnx: string }> {
  return defs;
}
