// Chainable op methods (`a.matmul(b).relu()`). They live at the ops level, above the ops they call,
// so the tensor module imports no op; src/index.ts loads this module once for its side effect.
import { Tensor } from '../tensor/tensor';
import type { DType } from '../tensor/dtype';
import * as binary from './binary';
import * as unary from './unary';
import * as reduce from './reduce';
import * as views from './views';
import { cast } from './cast';
import { contiguous } from './copy';
import { matmul } from './matmul';
import { softmax, logSoftmax } from './softmax';
import { gather, pad } from './movement';
import { backward } from '../autograd/backward';

type Operand = Tensor | number;

declare module '../tensor/tensor' {
  interface Tensor {
    add(b: Operand): Tensor;
    sub(b: Operand): Tensor;
    mul(b: Operand): Tensor;
    div(b: Operand): Tensor;
    pow(b: Operand): Tensor;
    mod(b: Operand): Tensor;
    fmod(b: Operand): Tensor;
    maximum(b: Operand): Tensor;
    minimum(b: Operand): Tensor;
    equal(b: Operand): Tensor;
    notEqual(b: Operand): Tensor;
    greater(b: Operand): Tensor;
    greaterEqual(b: Operand): Tensor;
    less(b: Operand): Tensor;
    lessEqual(b: Operand): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    relu(): Tensor;
    leakyRelu(alpha?: number): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    elu(alpha?: number): Tensor;
    gelu(): Tensor;
    softplus(): Tensor;
    erf(): Tensor;
    sign(): Tensor;
    square(): Tensor;
    reciprocal(): Tensor;
    clip(min: number, max: number): Tensor;
    sum(axis?: number | number[] | null, keepDims?: boolean): Tensor;
    mean(axis?: number | number[] | null, keepDims?: boolean): Tensor;
    max(axis?: number | number[] | null, keepDims?: boolean): Tensor;
    min(axis?: number | number[] | null, keepDims?: boolean): Tensor;
    argmax(axis?: number, keepDims?: boolean): Tensor;
    argmin(axis?: number, keepDims?: boolean): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    matmul(b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
    reshape(shape: readonly number[]): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    permute(perm: readonly number[]): Tensor;
    slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    expand(shape: readonly number[]): Tensor;
    squeeze(axis?: number | readonly number[]): Tensor;
    expandDims(axis?: number): Tensor;
    flatten(): Tensor;
    gather(indices: Tensor | readonly number[], axis?: number): Tensor;
    pad(paddings: readonly (readonly [number, number])[], constantValue?: number): Tensor;
    cast(dtype: DType): Tensor;
    contiguous(): Tensor;
    /** Back-propagates from this tensor, accumulating into `.grad` of leaves (gradient defaults to ones). */
    backward(gradient?: Tensor): void;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of ['add', 'sub', 'mul', 'div', 'pow', 'mod', 'fmod', 'maximum', 'minimum', 'equal', 'notEqual', 'greater',
  'greaterEqual', 'less', 'lessEqual'] as const) {
  const f = binary[name];
  proto[name] = function (this: Tensor, b: Operand) {
    return f(this, b);
  };
}
for (const name of ['neg', 'exp', 'log', 'sqrt', 'abs', 'relu', 'sigmoid', 'tanh', 'gelu', 'softplus', 'erf', 'sign',
  'square', 'reciprocal'] as const) {
  const f = unary[name];
  proto[name] = function (this: Tensor) {
    return f(this);
  };
}
for (const name of ['sum', 'mean', 'max', 'min', 'argmax', 'argmin'] as const) {
  const f = reduce[name] as (x: Tensor, ...rest: unknown[]) => Tensor;
  proto[name] = function (this: Tensor, ...rest: unknown[]) {
    return f(this, ...rest);
  };
}
const withSelf = (f: (x: Tensor, ...rest: never[]) => unknown) =>
  function (this: Tensor, ...rest: unknown[]) {
    return (f as (x: Tensor, ...r: unknown[]) => unknown)(this, ...rest);
  };
Object.assign(proto, {
  leakyRelu: withSelf(unary.leakyRelu),
  elu: withSelf(unary.elu),
  clip: withSelf(unary.clip),
  softmax: withSelf(softmax),
  logSoftmax: withSelf(logSoftmax),
  matmul: withSelf(matmul),
  reshape: withSelf(views.reshape),
  transpose: withSelf(views.transpose),
  permute: withSelf(views.permute),
  slice: withSelf(views.slice),
  broadcastTo: withSelf(views.broadcastTo),
  expand: withSelf(views.expand),
  squeeze: withSelf(views.squeeze),
  expandDims: withSelf(views.expandDims),
  flatten: withSelf(views.flatten),
  gather: withSelf(gather),
  pad: withSelf(pad),
  cast: withSelf(cast),
  contiguous: withSelf(contiguous),
  backward: withSelf(backward),
});
