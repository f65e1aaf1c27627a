// Recurrent layers (tfjs-layers names and options): simpleRNN, lstm, gru, and the bidirectional and
// timeDistributed wrappers. With the default activations (tanh, sigmoid) LSTM and GRU run as one fused
// sequence op each: one big GEMM for the input projections of every step, then per step one GEMM for
// the recurrent projection of all gates and one fused native cell pass (and the same in backward).
// Other activations, GRU with resetAfter = false and SimpleRNN fall back to composed ops per step.
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { type ActivationName, resolveActivation } from '../activations/activations';
import {
  type Initializer,
  type InitializerIdentifier,
  getInitializer,
  serializeInitializer,
} from '../initializers/initializers';
import { type RegularizerIdentifier, getRegularizer } from '../regularizers/regularizers';
import { Generator, globalGenerator } from '../random/generator';
import { add, div, mul, sub } from '../ops/binary';
import { zeros } from '../ops/creation';
import { linear } from '../ops/linear';
import { matmul } from '../ops/matmul';
import { concat, gather, stack } from '../ops/movement';
import { gruSequence, lstmSequence } from '../ops/rnn-cells';
import { reshape, slice } from '../ops/views';
import { type CallContext, Layer, type LayerArgs, type LayerConfig, isShapeList } from './layer';
import { Activation, Dropout, Flatten, Reshape } from './basic';
import { Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D } from './convolutional';
import { Dense } from './dense';
import { Embedding } from './embedding';
import { BatchNormalization, LayerNormalization } from './normalization';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, UpSampling2D, ZeroPadding2D } from './pooling';
import type { ShapeWithBatch, SymbolicTensor } from './symbolic-tensor';

declare module './layer' {
  interface CallContext {
    // `mask` ([batch, time], 0 at padded steps: the state and output are carried over) is declared
    // on CallContext itself, since models propagate it to every layer.
    /** Recurrent layers: initial states ([h] or [h, c] for LSTM), instead of zeros. */
    initialState?: Tensor[] | null;
  }
}

// ---------------------------------------------------------------------------------------------
// Orthogonal initializer (Keras's default recurrent initializer)

/** An orthogonal matrix (Gram-Schmidt on a seeded normal matrix) times `gain`, as Keras's Orthogonal. */
export class Orthogonal implements Initializer {
  readonly className = 'Orthogonal';
  constructor(private readonly gain = 1, private readonly seed?: number) {}

  apply(shape: readonly number[]): Tensor {
    if (shape.length < 2) argError('orthogonal', 'shape', 'at least 2 dimensions', `[${shape.join(',')}]`);
    const cols = shape[shape.length - 1]!;
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const n = Math.max(rows, cols);
    const k = Math.min(rows, cols);
    const g = this.seed === undefined ? globalGenerator() : new Generator(this.seed);
    // k orthonormal vectors of length n (Gram-Schmidt, twice for stability).
    const q: Float64Array[] = [];
    for (let j = 0; j < k; j++) {
      const v = Float64Array.from({ length: n }, () => g.normal());
      for (let pass = 0; pass < 2; pass++) {
        for (const u of q) {
          let d = 0;
          for (let i = 0; i < n; i++) d += u[i]! * v[i]!;
          for (let i = 0; i < n; i++) v[i] = v[i]! - d * u[i]!;
        }
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
      q.push(v);
    }
    const t = Tensor.empty(shape.slice(), 'float32');
    const d = t.buffer;
    // rows >= cols: column j is q[j]; rows < cols: row i is q[i].
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) d[t.offset + r * cols + c] = this.gain * (rows >= cols ? q[c]![r]! : q[r]![c]!);
    }
    return t;
  }

  getConfig(): Record<string, number | string | null> {
    return { gain: this.gain, seed: this.seed ?? null };
  }
}

type RecurrentInitializerId = InitializerIdentifier | 'orthogonal';

function resolveInit(fn: string, arg: string, id: RecurrentInitializerId): Initializer {
  if (id === 'orthogonal') return new Orthogonal();
  if (typeof id === 'object' && id !== null && !('apply' in id) && id.className === 'Orthogonal') {
    const c = id.config ?? {};
    return new Orthogonal(typeof c['gain'] === 'number' ? c['gain'] : 1, typeof c['seed'] === 'number' ? c['seed'] : undefined);
  }
  return getInitializer(fn, arg, id as InitializerIdentifier);
}

// ---------------------------------------------------------------------------------------------

export interface RNNArgs extends LayerArgs {
  units: number;
  /** Default 'tanh'. */
  activation?: ActivationName | null;
  useBias?: boolean;
  kernelInitializer?: RecurrentInitializerId;
  /** Default 'orthogonal'. */
  recurrentInitializer?: RecurrentInitializerId;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  recurrentRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  /** Output every step ([batch, time, units]) instead of the last ([batch, units]). */
  returnSequences?: boolean;
  /** Also return the final states: [output, h] (or [output, h, c] for LSTM). */
  returnState?: boolean;
  /** Process the sequence in reverse (outputs are in processing order, as Keras). */
  goBackwards?: boolean;
}

export interface GatedRNNArgs extends RNNArgs {
  /** Default 'sigmoid'. */
  recurrentActivation?: ActivationName | null;
}

export interface LSTMArgs extends GatedRNNArgs {
  /** Initialize the forget-gate bias to 1 (default true, as Keras). */
  unitForgetBias?: boolean;
}

export interface GRUArgs extends GatedRNNArgs {
  /** Keras's default (true): the reset gate multiplies h U + b_rec (cuDNN-compatible form). */
  resetAfter?: boolean;
}

type Act = ReturnType<typeof resolveActivation>;

/** The [batch, 1] column of a [batch, time] mask at step t. */
function maskColumn(mask: Tensor, t: number): Tensor {
  return slice(mask, [0, t], [mask.shape[0]!, 1]);
}

/** Keeps the previous value at masked steps: m * next + (1 - m) * prev. */
function blend(next: Tensor, prev: Tensor, m: Tensor | null): Tensor {
  return m ? add(mul(next, m), mul(prev, sub(1, m))) : next;
}

function reverseTime(x: Tensor): Tensor {
  const T = x.shape[1]!;
  return gather(x, Array.from({ length: T }, (_, i) => T - 1 - i), 1);
}

function reverseMask(mask: Tensor): Tensor {
  const c = mask.contiguousCopy();
  const [B, T] = [mask.shape[0]!, mask.shape[1]!];
  const out = Tensor.empty([B, T], 'float32');
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.buffer[b * T + t] = c.buffer[c.offset + b * T + T - 1 - t]!;
  return out;
}

/** Step t of [batch, time, f] as [batch, f]. */
function stepOf(x: Tensor, t: number): Tensor {
  const [B, , F] = x.shape;
  return reshape(slice(x, [0, t, 0], [B!, 1, F!]), [B!, F!]);
}

/**
 * A layer whose call context may carry a mask and initial states. The base `apply` builds a fresh
 * context of its own, so these keep what the caller passed for the duration of the call.
 */
export abstract class ContextLayer extends Layer {
  private pending: { mask: Tensor | null; initialState: Tensor[] | null } | null = null;

  /** The mask and initial states of the call in progress (from ctx, or from apply's ctx). */
  protected extras(ctx: CallContext): { mask: Tensor | null; initialState: Tensor[] | null } {
    return { mask: ctx.mask ?? this.pending?.mask ?? null, initialState: ctx.initialState ?? this.pending?.initialState ?? null };
  }

  override apply(inputs: SymbolicTensor, ctx?: Partial<CallContext>): SymbolicTensor;
  override apply(inputs: SymbolicTensor[], ctx?: Partial<CallContext>): SymbolicTensor | SymbolicTensor[];
  override apply(inputs: Tensor, ctx?: Partial<CallContext>): Tensor;
  override apply(inputs: Tensor[], ctx?: Partial<CallContext>): Tensor | Tensor[];
  override apply(
    inputs: SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[],
    ctx: Partial<CallContext> = {},
  ): SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[] {
    const prev = this.pending;
    this.pending = { mask: ctx.mask ?? null, initialState: ctx.initialState ?? null };
    try {
      return super.apply(inputs as Tensor[], ctx);
    } finally {
      this.pending = prev;
    }
  }

}

/** Base of SimpleRNN, LSTM and GRU: weights, options, masking, states and output selection. */
export abstract class RecurrentLayer extends ContextLayer {
  readonly units: number;
  readonly activation: Act;
  readonly useBias: boolean;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  protected readonly kernelInit: Initializer;
  protected readonly recurrentInit: Initializer;
  protected readonly biasInit: Initializer;
  protected readonly kernelReg;
  protected readonly recurrentReg;
  protected readonly biasReg;
  kernel: Tensor | null = null;
  recurrentKernel: Tensor | null = null;
  bias: Tensor | null = null;
  /** Gates per unit: 1 (SimpleRNN), 3 (GRU), 4 (LSTM). */
  protected abstract readonly gateCount: number;
  /** Number of state tensors: 1, or 2 for LSTM. */
  abstract readonly stateCount: number;

  constructor(args: RNNArgs, fn: string) {
    super(args, fn);
    if (!args || !Number.isInteger(args.units) || args.units < 1) argError(fn, 'units', 'a positive integer', describe(args?.units));
    this.units = args.units;
    this.activation = resolveActivation(fn, args.activation === undefined ? 'tanh' : args.activation);
    this.useBias = args.useBias ?? true;
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.kernelInit = resolveInit(fn, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.recurrentInit = resolveInit(fn, 'recurrentInitializer', args.recurrentInitializer ?? 'orthogonal');
    this.biasInit = getInitializer(fn, 'biasInitializer', args.biasInitializer ?? 'zeros');
    this.kernelReg = getRegularizer(fn, 'kernelRegularizer', args.kernelRegularizer);
    this.recurrentReg = getRegularizer(fn, 'recurrentRegularizer', args.recurrentRegularizer);
    this.biasReg = getRegularizer(fn, 'biasRegularizer', args.biasRegularizer);
  }

  protected biasShape(): number[] {
    return [this.gateCount * this.units];
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const f = shape[shape.length - 1];
    if (shape.length !== 3 || typeof f !== 'number') {
      argError(this.name, 'inputShape', '[batch, time, features] with known features', `[${shape.join(',')}]`);
    }
    const G = this.gateCount * this.units;
    this.kernel = this.addWeight('kernel', [f, G], this.kernelInit, { regularizer: this.kernelReg });
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, G], this.recurrentInit, { regularizer: this.recurrentReg });
    if (this.useBias) this.bias = this.addWeight('bias', this.biasShape(), this.biasInit, { regularizer: this.biasReg });
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch | ShapeWithBatch[] {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const out: ShapeWithBatch = this.returnSequences ? [shape[0]!, shape[1]!, this.units] : [shape[0]!, this.units];
    if (!this.returnState) return out;
    return [out, ...Array.from({ length: this.stateCount }, (): ShapeWithBatch => [shape[0]!, this.units])];
  }

  call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    let x = list[0]!;
    const inDim = this.kernel!.shape[0]!;
    if (x.rank !== 3 || x.shape[2] !== inDim) {
      argError(this.name, 'inputs', `a tensor [batch, time, ${inDim}]`, `shape [${x.shape.join(',')}]`);
    }
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    if (T < 1) argError(this.name, 'inputs', 'at least one time step', `shape [${x.shape.join(',')}]`);
    const extra = this.extras(ctx);
    let states = list.length > 1 ? list.slice(1) : extra.initialState;
    if (states && states.length !== this.stateCount) {
      argError(this.name, 'initial state', `${this.stateCount} tensor(s) [batch, ${this.units}]`, `${states.length} tensors`);
    }
    states ??= Array.from({ length: this.stateCount }, () => zeros([B, this.units]));
    states.forEach((s, i) => {
      if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== this.units) {
        argError(this.name, `initial state ${i}`, `shape [${B},${this.units}]`, `shape [${s.shape.join(',')}]`);
      }
    });
    let mask = extra.mask;
    if (mask && (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)) {
      argError(this.name, 'mask', `shape [${B},${T}]`, `shape [${mask.shape.join(',')}]`);
    }
    if (mask && mask.dtype !== 'float32') mask = castMask(mask);
    if (this.goBackwards) {
      x = reverseTime(x);
      if (mask) mask = reverseMask(mask);
    }
    const { seq, finals } = this.run(x, states, mask);
    const out = this.returnSequences ? seq() : finals[0]!;
    return this.returnState ? [out, ...finals] : out;
  }

  /** Runs the recurrence over x [batch, time, features]: the output sequence (lazily) and final states. */
  protected abstract run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] };

  override getConfig(): LayerConfig {
    const reg = (r: ReturnType<typeof getRegularizer>) => (r ? { className: 'L1L2', config: r.getConfig() } : null);
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation.name,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInit),
      recurrentInitializer: serializeInitializer(this.recurrentInit),
      biasInitializer: serializeInitializer(this.biasInit),
      kernelRegularizer: reg(this.kernelReg),
      recurrentRegularizer: reg(this.recurrentReg),
      biasRegularizer: reg(this.biasReg),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
    };
  }
}

function castMask(mask: Tensor): Tensor {
  const c = mask.contiguousCopy();
  const out = Tensor.empty(mask.shape.slice(), 'float32');
  for (let i = 0; i < mask.size; i++) out.buffer[i] = c.buffer[c.offset + i]!;
  return out;
}

/** Fully connected RNN: h_t = activation(x_t W + b + h_{t-1} U). */
export class SimpleRNN extends RecurrentLayer {
  readonly className = 'SimpleRNN';
  protected readonly gateCount = 1;
  readonly stateCount = 1;
  constructor(args: RNNArgs) {
    super(args, 'simple_rnn');
  }

  protected run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] } {
    const xp = linear(x, this.kernel!, this.bias);
    let h = states[0]!;
    const outs: Tensor[] = [];
    for (let t = 0; t < x.shape[1]!; t++) {
      const next = this.activation.apply(add(stepOf(xp, t), matmul(h, this.recurrentKernel!)));
      h = blend(next, h, mask && maskColumn(mask, t));
      outs.push(h);
    }
    return { seq: () => stack(outs, 1), finals: [h] };
  }
}

/** Long short-term memory (Hochreiter 1997), Keras gate order i, f, c, o. */
export class LSTM extends RecurrentLayer {
  readonly className = 'LSTM';
  protected readonly gateCount = 4;
  readonly stateCount = 2;
  readonly recurrentActivation: Act;
  readonly unitForgetBias: boolean;
  constructor(args: LSTMArgs) {
    super(args, 'lstm');
    this.recurrentActivation = resolveActivation('lstm', args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation);
    this.unitForgetBias = args.unitForgetBias ?? true;
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    super.build(inputShape);
    if (this.bias && this.unitForgetBias) {
      const H = this.units;
      this.bias.buffer.fill(1, this.bias.offset + H, this.bias.offset + 2 * H);
    }
  }

  /** Whether the fused native path applies (the default activations). */
  get fused(): boolean {
    return this.activation.name === 'tanh' && this.recurrentActivation.name === 'sigmoid';
  }

  protected run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] } {
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    const H = this.units;
    const xp = linear(x, this.kernel!, this.bias);
    if (this.fused) {
      const Y = lstmSequence(xp, this.recurrentKernel!, states[0]!, states[1]!, mask);
      const last = (off: number) => reshape(slice(Y, [0, T - 1, off], [B, 1, H]), [B, H]);
      return { seq: () => slice(Y, [0, 0, 0], [B, T, H]), finals: [last(0), last(H)] };
    }
    let [h, c] = states as [Tensor, Tensor];
    const outs: Tensor[] = [];
    const sigma = this.recurrentActivation.apply;
    for (let t = 0; t < T; t++) {
      const z = add(stepOf(xp, t), matmul(h, this.recurrentKernel!));
      const gate = (k: number) => slice(z, [0, k * H], [B, H]);
      const cNext = add(mul(sigma(gate(1)), c), mul(sigma(gate(0)), this.activation.apply(gate(2))));
      const hNext = mul(sigma(gate(3)), this.activation.apply(cNext));
      const m = mask && maskColumn(mask, t);
      h = blend(hNext, h, m);
      c = blend(cNext, c, m);
      outs.push(h);
    }
    return { seq: () => stack(outs, 1), finals: [h, c] };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation.name, unitForgetBias: this.unitForgetBias };
  }
}

/** Gated recurrent unit (Cho 2014), Keras gate order z, r, h; resetAfter (default) as Keras 2 / cuDNN. */
export class GRU extends RecurrentLayer {
  readonly className = 'GRU';
  protected readonly gateCount = 3;
  readonly stateCount = 1;
  readonly recurrentActivation: Act;
  readonly resetAfter: boolean;
  constructor(args: GRUArgs) {
    super(args, 'gru');
    this.recurrentActivation = resolveActivation('gru', args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation);
    this.resetAfter = args.resetAfter ?? true;
  }

  protected override biasShape(): number[] {
    // resetAfter: separate input and recurrent biases, [2, 3 * units], as Keras.
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  get fused(): boolean {
    return this.resetAfter && this.activation.name === 'tanh' && this.recurrentActivation.name === 'sigmoid';
  }

  protected run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] } {
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    const H = this.units;
    const U = this.recurrentKernel!;
    let bIn: Tensor | null = this.bias;
    let bRec: Tensor | null = null;
    if (this.bias && this.resetAfter) {
      bIn = reshape(slice(this.bias, [0, 0], [1, 3 * H]), [3 * H]);
      bRec = reshape(slice(this.bias, [1, 0], [1, 3 * H]), [3 * H]);
    }
    const xp = linear(x, this.kernel!, bIn);
    if (this.fused) {
      const Y = gruSequence(xp, U, bRec, states[0]!, mask);
      return { seq: () => Y, finals: [reshape(slice(Y, [0, T - 1, 0], [B, 1, H]), [B, H])] };
    }
    let h = states[0]!;
    const outs: Tensor[] = [];
    const sigma = this.recurrentActivation.apply;
    for (let t = 0; t < T; t++) {
      const xt = stepOf(xp, t);
      const xg = (k: number) => slice(xt, [0, k * H], [B, H]);
      let hNext: Tensor;
      if (this.resetAfter) {
        const hp = bRec ? add(matmul(h, U), bRec) : matmul(h, U);
        const hg = (k: number) => slice(hp, [0, k * H], [B, H]);
        const z = sigma(add(xg(0), hg(0)));
        const r = sigma(add(xg(1), hg(1)));
        const hh = this.activation.apply(add(xg(2), mul(r, hg(2))));
        hNext = add(mul(z, h), mul(sub(1, z), hh));
      } else {
        const hzr = matmul(h, slice(U, [0, 0], [H, 2 * H]));
        const z = sigma(add(xg(0), slice(hzr, [0, 0], [B, H])));
        const r = sigma(add(xg(1), slice(hzr, [0, H], [B, H])));
        const hh = this.activation.apply(add(xg(2), matmul(mul(r, h), slice(U, [0, 2 * H], [H, H]))));
        hNext = add(mul(z, h), mul(sub(1, z), hh));
      }
      h = blend(hNext, h, mask && maskColumn(mask, t));
      outs.push(h);
    }
    return { seq: () => stack(outs, 1), finals: [h] };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation.name, resetAfter: this.resetAfter };
  }
}

// ---------------------------------------------------------------------------------------------
// Wrappers

// Layers the wrappers can rebuild from a saved { className, config }. Imported directly rather than
// through registry.ts, which will import this file (a cycle that would see these classes uninitialized).
const wrappable: Record<string, new (config: never) => Layer> = {
  SimpleRNN, LSTM, GRU, Dense, Activation, Dropout, Flatten, Reshape, Embedding, BatchNormalization, LayerNormalization,
  Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
  GlobalMaxPooling2D, UpSampling2D, ZeroPadding2D,
};

function layerFrom(fn: string, spec: unknown): Layer {
  if (spec instanceof Layer) return spec;
  if (typeof spec === 'object' && spec !== null && typeof (spec as { className?: unknown }).className === 'string') {
    const { className, config } = spec as { className: string; config?: LayerConfig };
    const cls = wrappable[className];
    if (!cls) argError(fn, 'layer className', `one of ${Object.keys(wrappable).join(', ')}`, describe(className));
    return new cls((config ?? {}) as never);
  }
  return argError(fn, 'layer', 'a Layer or { className, config }', describe(spec));
}

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer run forwards; a copy with goBackwards flipped runs backwards. */
  layer: RecurrentLayer | { className: string; config: LayerConfig };
  /** How the two outputs combine (default 'concat' on the last axis). */
  mergeMode?: MergeMode;
}

/** Runs a recurrent layer forwards and a copy of it backwards and merges their outputs. */
export class Bidirectional extends ContextLayer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;

  constructor(args: BidirectionalArgs) {
    super(args, 'bidirectional');
    const inner = layerFrom('bidirectional', args?.layer);
    if (!(inner instanceof RecurrentLayer)) argError('bidirectional', 'layer', 'a recurrent layer (simpleRNN, lstm, gru)', describe(inner));
    this.forwardLayer = inner;
    const config = inner.getConfig();
    const Cls = inner.constructor as new (c: never) => RecurrentLayer;
    this.backwardLayer = new Cls({ ...config, name: `backward_${inner.name}`, goBackwards: !inner.goBackwards } as never);
    const mode = args.mergeMode ?? 'concat';
    if (!['concat', 'sum', 'mul', 'ave'].includes(mode)) argError('bidirectional', 'mergeMode', "'concat', 'sum', 'mul' or 'ave'", describe(mode));
    this.mergeMode = mode;
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    this.forwardLayer.ensureBuilt(shape);
    this.backwardLayer.ensureBuilt(shape);
    // Prefixed names keep the two directions' weights apart in saved models.
    this.weightList.push(...this.forwardLayer.weightsInfo.map((w) => ({ ...w, name: `forward/${w.name}` })),
      ...this.backwardLayer.weightsInfo.map((w) => ({ ...w, name: `backward/${w.name}` })));
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch | ShapeWithBatch[] {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const inner = this.forwardLayer.computeOutputShape(shape);
    const list = isShapeList(inner) ? inner : [inner];
    const out = list[0]!.slice();
    if (this.mergeMode === 'concat') out[out.length - 1] = 2 * this.forwardLayer.units;
    if (!this.forwardLayer.returnState) return out;
    return [out, ...list.slice(1), ...list.slice(1)];
  }

  call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0]!;
    const n = this.forwardLayer.stateCount;
    const extra = this.extras(ctx);
    const states = list.length > 1 ? list.slice(1) : extra.initialState;
    if (states && states.length !== 2 * n) argError(this.name, 'initial state', `${2 * n} tensors (forward then backward)`, `${states.length}`);
    const run = (layer: RecurrentLayer, st: Tensor[] | null) =>
      layer.call(x, { ...ctx, mask: extra.mask, initialState: st }) as Tensor | Tensor[];
    const fw = run(this.forwardLayer, states ? states.slice(0, n) : null);
    const bw = run(this.backwardLayer, states ? states.slice(n) : null);
    const fwList = Array.isArray(fw) ? fw : [fw];
    const bwList = Array.isArray(bw) ? bw : [bw];
    let yb = bwList[0]!;
    if (this.forwardLayer.returnSequences) yb = reverseTime(yb);
    const yf = fwList[0]!;
    const merged = this.mergeMode === 'concat' ? concat([yf, yb], -1)
      : this.mergeMode === 'sum' ? add(yf, yb)
        : this.mergeMode === 'mul' ? mul(yf, yb)
          : div(add(yf, yb), 2);
    return this.forwardLayer.returnState ? [merged, ...fwList.slice(1), ...bwList.slice(1)] : merged;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      mergeMode: this.mergeMode,
    };
  }
}

export interface TimeDistributedArgs extends LayerArgs {
  /** Applied to every time step (axis 1) of a [batch, time, ...] input. */
  layer: Layer | { className: string; config: LayerConfig };
}

/** Applies a layer to every time step: [batch, time, ...] -> the layer on [batch * time, ...]. */
export class TimeDistributed extends Layer {
  readonly className = 'TimeDistributed';
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    super(args, 'time_distributed');
    this.layer = layerFrom('timeDistributed', args?.layer);
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    if (shape.length < 3) argError(this.name, 'inputShape', '[batch, time, ...] (rank >= 3)', `[${shape.join(',')}]`);
    this.layer.ensureBuilt([null, ...shape.slice(2)]);
    this.weightList.push(...this.layer.weightsInfo);
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const inner = this.layer.computeOutputShape([null, ...shape.slice(2)]) as ShapeWithBatch;
    return [shape[0]!, shape[1]!, ...inner.slice(1)];
  }

  call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    const y = this.layer.call(reshape(x, [B * T, ...x.shape.slice(2)]), ctx);
    if (Array.isArray(y)) throw new Error(`${this.name}: the wrapped layer must have one output`);
    return reshape(y, [B, T, ...y.shape.slice(1)]);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }
}
